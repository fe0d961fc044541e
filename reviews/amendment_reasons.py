"""The amendment reasons beside the changes of a version diff: which recorded amendment made each change, and why.

A diff compares two snapshots; the amendments (`treatment.models.PlanAmendment`) recorded between the two
versions' seals say why the plan changed. Each row of the readable diff (`reviews.snapshots.readable_diff`) gets
`reasons`: those of the amendments that touched that object (and field), oldest first. A change made before the
plan was first signed, or one that is not an amendment (progress, status), has none.
"""

from __future__ import annotations

from collections.abc import Callable

from reviews.models import PlanVersion
from treatment.models import TreatmentPlan
from treatment.selectors import AmendmentRead, plan_amendments

#: A snapshot's goal field as the amendment names it (the write services' field name).
GOAL_FIELD_OF_SNAPSHOT = {"parent_goal_id": "parent_goal"}

Change = dict
Match = Callable[[Change], bool]


def amendments_between(plan: TreatmentPlan, first: PlanVersion, second: PlanVersion | None) -> list[AmendmentRead]:
    """The amendments recorded between two versions' seals (`second` None: from `first` to now), oldest first,
    whichever of the two is the older."""
    if second is None:
        return plan_amendments(plan, after=first.created_at)
    after, until = sorted((first.created_at, second.created_at))
    return plan_amendments(plan, after=after, until=until)


def _reasons(amendments: list[AmendmentRead], match: Match) -> list[str]:
    reasons: list[str] = []
    for amendment in amendments:
        if any(match(change) for change in amendment.changes) and amendment.reason not in reasons:
            reasons.append(amendment.reason)
    return reasons


def _touches(kind: str, object_id: str, field: str | None = None) -> Match:
    return lambda change: (
        change.get("object") == kind and change.get("id") == object_id and (field is None or field in change["fields"])
    )


def _touches_link(goal_id: str, intervention_id: str, field: str | None = None) -> Match:
    return lambda change: (
        change.get("object") == "goal_intervention"
        and change.get("goal_id") == goal_id
        and change.get("intervention_id") == intervention_id
        and (field is None or field in change["fields"])
    )


def with_reasons(diff: dict, amendments: list[AmendmentRead], plan_id: str) -> dict:
    """`diff` (a readable diff) with `reasons` on each plan row, goal added, goal field, intervention added and
    intervention field; and `amendments`, the list itself."""
    plan_rows = [
        {**row, "reasons": _reasons(amendments, _touches("plan", plan_id, row["name"]))} for row in diff["plan_changes"]
    ]
    added = [{**goal, "reasons": _reasons(amendments, _touches("goal", goal["id"]))} for goal in diff["goals_added"]]
    changed = []
    for goal in diff["goals_changed"]:
        goal_id = goal["id"]
        fields = [
            {
                **row,
                "reasons": _reasons(
                    amendments, _touches("goal", goal_id, GOAL_FIELD_OF_SNAPSHOT.get(row["name"], row["name"]))
                ),
            }
            for row in goal["fields"]
        ]
        links_added = [
            {**link, "reasons": _reasons(amendments, _touches_link(goal_id, link["intervention_id"]))}
            for link in goal["interventions_added"]
        ]
        links_changed = [
            {
                **link,
                "fields": [
                    {
                        **row,
                        "reasons": _reasons(amendments, _touches_link(goal_id, link["intervention_id"], row["name"])),
                    }
                    for row in link["fields"]
                ],
            }
            for link in goal["interventions_changed"]
        ]
        changed.append(
            {**goal, "fields": fields, "interventions_added": links_added, "interventions_changed": links_changed}
        )
    return {
        **diff,
        "plan_changes": plan_rows,
        "goals_added": added,
        "goals_changed": changed,
        "amendments": amendments,
    }
