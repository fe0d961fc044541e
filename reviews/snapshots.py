"""A plan as plain JSON (what a version seals), and the difference between two such snapshots.

A snapshot is self-contained: it names the therapist and each intervention, so a version still reads the
same after people leave or the library changes. Its shape:

    {"schema": 1, "plan": {title, status, therapist, ...}, "goals": [{id, parent_goal_id, ...}, ...]}

with the goals as a flat list in tree order (each long-term goal, then its short-term goals, each followed by
its objectives), which is the order the pages show them in. The last part prints snapshots and their
differences for reading (labels, choice names), for the version pages and the stale-form notice.
"""

from __future__ import annotations

from typing import Any

from django.utils.dateparse import parse_date

from accounts.audit import diff as field_changes
from accounts.audit import jsonable
from treatment.models import GoalStatus, GoalType, PlanStatus, TreatmentPlan
from treatment.selectors import GoalNode, plan_tree
from treatment.services import GOAL_FIELD_NAMES

SCHEMA = 1

#: The plan's fields a snapshot keeps, in the order the pages show them.
PLAN_SNAPSHOT_FIELDS = (
    "title",
    "status",
    "status_reason",
    "therapist",
    "diagnosis_codes",
    "presenting_problems",
    "start_date",
    "target_end_date",
    "actual_end_date",
    "review_frequency_days",
    "next_review_date",
    "overall_progress",
    "version",
    "notes",
)
#: Each goal's fields a snapshot keeps (besides its id and its interventions): those a client writes.
GOAL_SNAPSHOT_FIELDS = GOAL_FIELD_NAMES
INTERVENTION_SNAPSHOT_FIELDS = ("name", "modality", "frequency", "effectiveness_rating")


def _goal(node: GoalNode) -> dict:
    goal = node.goal
    data: dict[str, object] = {"id": str(goal.pk)}
    data.update({name: jsonable(getattr(goal, name)) for name in GOAL_SNAPSHOT_FIELDS})
    data["interventions"] = [
        {
            "intervention_id": str(link.intervention_id),
            "name": link.intervention.name,
            "modality": link.intervention.modality,
            "frequency": link.frequency,
            "effectiveness_rating": link.effectiveness_rating,
        }
        for link in node.interventions
    ]
    return data


def plan_snapshot(plan: TreatmentPlan) -> dict:
    """The whole plan as JSON: its fields, and every goal with its interventions, in tree order.

    Three queries at most (the goals, their interventions, the therapist unless already loaded),
    however many goals the plan has.
    """
    tree = plan_tree(plan)
    fields: dict[str, Any] = {}
    for name in PLAN_SNAPSHOT_FIELDS:
        if name == "therapist":
            fields["therapist"] = plan.therapist.get_full_name() if plan.therapist_id else ""
            fields["therapist_id"] = str(plan.therapist_id) if plan.therapist_id else None
        else:
            fields[name] = jsonable(getattr(plan, name))
    fields["diagnosis_codes"] = [dict(d) for d in fields["diagnosis_codes"] or []]
    fields["presenting_problems"] = list(fields["presenting_problems"] or [])
    return {"schema": SCHEMA, "plan": fields, "goals": [_goal(node) for node in tree.in_tree_order()]}


def goal_depths(goals: list[dict]) -> dict[str, int]:
    """{goal id: depth} for a snapshot's goals (0 for long-term goals); the list is in tree order."""
    depths: dict[str, int] = {}
    for goal in goals:
        parent = goal.get("parent_goal_id")
        depths[goal["id"]] = depths[parent] + 1 if parent in depths else 0
    return depths


def _changes(old: dict, new: dict, fields) -> dict:
    """{field: [old, new]} for the `fields` that differ: the audit trail's comparison, which amendments use too."""
    return field_changes({name: old.get(name) for name in fields}, {name: new.get(name) for name in fields})


def _interventions_diff(old: list[dict], new: list[dict]) -> dict:
    before = {link["intervention_id"]: link for link in old or []}
    after = {link["intervention_id"]: link for link in new or []}
    changed = []
    for key, link in after.items():
        if key in before:
            changes = _changes(before[key], link, INTERVENTION_SNAPSHOT_FIELDS)
            if changes:
                changed.append({"intervention_id": key, "name": link.get("name"), "changes": changes})
    return {
        "interventions_added": [link for key, link in after.items() if key not in before],
        "interventions_removed": [link for key, link in before.items() if key not in after],
        "interventions_changed": changed,
    }


def snapshot_diff(old: dict, new: dict) -> dict:
    """What changed from snapshot `old` to snapshot `new`.

    {"plan": {field: [old, new]},
     "goals_added": [goal, ...], "goals_removed": [goal, ...],
     "goals_changed": [{"id", "description", "goal_type", "changes": {field: [old, new]},
                        "interventions_added": [...], "interventions_removed": [...],
                        "interventions_changed": [{"intervention_id", "name", "changes": {...}}]}, ...]}

    Goals are matched by id; added and changed goals come in `new`'s tree order, removed ones in `old`'s.
    """
    old_plan, new_plan = old.get("plan", {}), new.get("plan", {})
    plan_changes = _changes(old_plan, new_plan, [*PLAN_SNAPSHOT_FIELDS, "therapist_id"])
    if "therapist" in plan_changes:
        plan_changes.pop("therapist_id", None)
    elif "therapist_id" in plan_changes:
        # Two therapists of the same name: say so by name anyway.
        plan_changes["therapist"] = [old_plan.get("therapist"), new_plan.get("therapist")]
        plan_changes.pop("therapist_id")
    old_goals = {g["id"]: g for g in old.get("goals", [])}
    new_goals = {g["id"]: g for g in new.get("goals", [])}
    changed = []
    for goal_id, goal in new_goals.items():
        if goal_id not in old_goals:
            continue
        before = old_goals[goal_id]
        entry = {
            "id": goal_id,
            "description": goal.get("description"),
            "goal_type": goal.get("goal_type"),
            "changes": _changes(before, goal, GOAL_SNAPSHOT_FIELDS),
            **_interventions_diff(before.get("interventions"), goal.get("interventions")),
        }
        if any(
            entry[key] for key in ("changes", "interventions_added", "interventions_removed", "interventions_changed")
        ):
            changed.append(entry)
    return {
        "plan": plan_changes,
        "goals_added": [g for goal_id, g in new_goals.items() if goal_id not in old_goals],
        "goals_removed": [g for goal_id, g in old_goals.items() if goal_id not in new_goals],
        "goals_changed": changed,
    }


def is_empty(diff: dict) -> bool:
    return not any(diff.get(key) for key in ("plan", "goals_added", "goals_removed", "goals_changed"))


# --- for reading: labels and printed values ------------------------------------------------------


def choice_label(choices, value) -> str:
    """The label of a choice, or the raw value when it is not one (an older snapshot's)."""
    try:
        return choices(value).label
    except ValueError:
        return value or "—"


PLAN_LABELS = {
    "title": "Title",
    "status": "Status",
    "status_reason": "Reason closed",
    "therapist": "Therapist",
    "diagnosis_codes": "Diagnoses",
    "presenting_problems": "Presenting problems",
    "start_date": "Start date",
    "target_end_date": "Target end date",
    "actual_end_date": "End date",
    "review_frequency_days": "Review every (days)",
    "next_review_date": "Next review date",
    "overall_progress": "Overall progress (%)",
    "version": "Version",
    "notes": "Notes",
}
GOAL_LABELS = {
    "parent_goal_id": "Parent goal",
    "goal_type": "Type",
    "description": "Description",
    "measurable_criteria": "Measurable criteria",
    "baseline_value": "Baseline",
    "target_value": "Target",
    "current_value": "Current value",
    "target_date": "Target date",
    "status": "Status",
    "progress_percentage": "Progress (%)",
    "priority": "Priority",
    "smart": "SMART answers",
}
INTERVENTION_LABELS = {
    "name": "Name",
    "modality": "Modality",
    "frequency": "Frequency",
    "effectiveness_rating": "Effectiveness (1-5)",
}


def display_value(field: str, value, goals: dict | None = None) -> str:
    """A snapshot value as the pages print it (`goals`: {id: goal} to name a parent goal)."""
    if value in (None, "", [], {}):
        return "—"
    if field == "diagnosis_codes":
        return "; ".join(f"{d.get('code')} {d.get('description', '')}".strip() for d in value)
    if field == "presenting_problems":
        return "; ".join(value)
    if field == "status":
        return choice_label(GoalStatus, value) if value in GoalStatus.values else choice_label(PlanStatus, value)
    if field == "goal_type":
        return choice_label(GoalType, value)
    if field == "parent_goal_id":
        return (goals or {}).get(value, {}).get("description", "another goal")
    if field == "smart":
        return "; ".join(f"{part}: {', '.join(a for a in answers.values())}" for part, answers in value.items())
    return str(value)


def field_rows(changes: dict, labels: dict, goals: dict | None = None) -> list[dict]:
    """{field: [old, new]} as rows to print: [{"name", "label", "old", "new"}]."""
    return [
        {
            "name": name,
            "label": labels.get(name, name),
            "old": display_value(name, old, goals),
            "new": display_value(name, new, goals),
        }
        for name, (old, new) in changes.items()
    ]


def readable_goals(snapshot: dict) -> list[dict]:
    """A snapshot's goals for reading: depth for the indent, values printed."""
    goals = snapshot.get("goals", [])
    depths = goal_depths(goals)
    return [
        {
            **goal,
            "depth": depths[goal["id"]],
            "type_label": display_value("goal_type", goal.get("goal_type")),
            "status_label": display_value("status", goal.get("status")),
        }
        for goal in goals
    ]


def readable_diff(old: dict, new: dict) -> dict:
    """snapshot_diff with its labels and values printed, for the compare page."""
    diff = snapshot_diff(old, new)
    goals = {g["id"]: g for g in [*old.get("goals", []), *new.get("goals", [])]}
    changed = []
    for goal in diff["goals_changed"]:
        changed.append(
            {
                **goal,
                "type_label": display_value("goal_type", goal["goal_type"]),
                "fields": field_rows(goal["changes"], GOAL_LABELS, goals),
                "interventions_changed": [
                    {**link, "fields": field_rows(link["changes"], INTERVENTION_LABELS)}
                    for link in goal["interventions_changed"]
                ],
            }
        )
    return {
        "plan_changes": field_rows(diff["plan"], PLAN_LABELS),
        "goals_added": [{**g, "status_label": display_value("status", g.get("status"))} for g in diff["goals_added"]],
        "goals_removed": [
            {**g, "status_label": display_value("status", g.get("status"))} for g in diff["goals_removed"]
        ],
        "goals_changed": changed,
        "unchanged": not (diff["plan"] or diff["goals_added"] or diff["goals_removed"] or changed),
    }


def plain_goals(snapshot: dict) -> list[dict]:
    """The goals as a client reads them: each long-term goal with its short-term goals and their objectives."""
    tree: list[dict] = []
    by_id: dict[str, dict] = {}
    for goal in snapshot.get("goals", []):
        target = goal.get("target_date")
        item = {"goal": goal, "children": [], "target_date": parse_date(target) if target else None}
        by_id[goal["id"]] = item
        parent = by_id.get(goal.get("parent_goal_id") or "")
        (parent["children"] if parent else tree).append(item)
    return tree
