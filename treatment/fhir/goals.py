"""One Goal per goal of the plan's tree (US Core Goal; an objective driven by a measure is also a PCO PROM Goal)."""

from __future__ import annotations

from typing import Any

from treatment.fhir.codes import (
    GOAL_ACHIEVEMENT,
    GOAL_CATEGORY,
    GOAL_LIFECYCLE,
    GOAL_PRIORITY,
    GOAL_PROFILE,
    GOAL_RELATIONSHIP,
    GOAL_RELATIONSHIP_TYPE,
    LOINC,
    PCO_CATEGORY,
    PROM_GOAL_PROFILE,
    coding,
    concept,
    goal_priority,
)
from treatment.fhir.read import PlanExport
from treatment.fhir.refs import reference
from treatment.models import GoalStatus, GoalType, TreatmentGoal
from treatment.selectors import GoalNode

ACHIEVEMENT_DISPLAY = {
    "in-progress": "In Progress",
    "improving": "Improving",
    "worsening": "Worsening",
    "no-change": "No Change",
    "achieved": "Achieved",
    "not-achieved": "Not Achieved",
}


def achievement_status(goal: TreatmentGoal) -> str:
    """Goal.achievementStatus from the goal's status and progress: achieved, not achieved (discontinued), and for a
    goal pursued, its measure's reliable change first (an objective driven by scores), then any progress made."""
    if goal.status == GoalStatus.ACHIEVED:
        return "achieved"
    if goal.status == GoalStatus.DISCONTINUED:
        return "not-achieved"
    if goal.measure_instrument and goal.measure_last_score is not None:
        if goal.measure_reliable_deterioration:
            return "worsening"
        if goal.measure_reliable_improvement:
            return "improving"
        return "no-change"
    if goal.status == GoalStatus.NOT_STARTED or goal.progress_percentage == 0:
        return "in-progress"
    return "improving"


def _notes(goal: TreatmentGoal) -> list[dict[str, str]]:
    """What has no element of its own: the kind of goal, its measurable criteria, baseline and current value, and
    the SMART answers, as annotations."""
    lines = [f"{GoalType(goal.goal_type).label} (priority {goal.priority})."]
    if goal.measurable_criteria:
        lines.append(f"Measurable criteria: {goal.measurable_criteria}")
    if goal.baseline_value:
        lines.append(f"Baseline: {goal.baseline_value}")
    if goal.current_value:
        lines.append(f"Current value: {goal.current_value}")
    if goal.status == GoalStatus.MODIFIED:
        lines.append("The goal's terms were modified.")
    for part, answers in (goal.smart or {}).items():
        for question, answer in (answers or {}).items() if isinstance(answers, dict) else ():
            if answer:
                lines.append(f"SMART {part}.{question}: {answer}")
    return [{"text": line} for line in lines]


def _target(goal: TreatmentGoal) -> dict[str, Any]:
    target: dict[str, Any] = {}
    spec = goal.measure
    if spec is not None and goal.measure_target_score is not None:
        measure: dict[str, Any] = {"text": f"{spec.short_name} total score"}
        if spec.loinc_total:
            measure["coding"] = [coding(LOINC, spec.loinc_total, f"{spec.short_name} total score")]
        target["measure"] = measure
        target["detailInteger"] = goal.measure_target_score
    elif goal.target_value:
        if goal.measurable_criteria:
            target["measure"] = {"text": goal.measurable_criteria}
        target["detailString"] = goal.target_value
    if goal.target_date is not None:
        target["dueDate"] = goal.target_date.isoformat()
    return target


def goal_resource(node: GoalNode, export: PlanExport, outcomes: list[dict[str, str]]) -> dict[str, Any]:
    goal, plan = node.goal, export.plan
    zone = plan.patient.practice.zoneinfo
    prom = goal.measure is not None
    achievement = achievement_status(goal)
    categories = [concept(GOAL_CATEGORY, "behavioral", "Behavioral")]
    if prom:
        categories.append(concept(PCO_CATEGORY, "person-centered", "Person-Centered"))
    resource: dict[str, Any] = {
        "resourceType": "Goal",
        "id": str(goal.pk),
        "meta": {"profile": [GOAL_PROFILE, *([PROM_GOAL_PROFILE] if prom else [])]},
        "lifecycleStatus": GOAL_LIFECYCLE[GoalStatus(goal.status)],
        "achievementStatus": concept(GOAL_ACHIEVEMENT, achievement, ACHIEVEMENT_DISPLAY[achievement]),
        "category": categories,
        "priority": concept(GOAL_PRIORITY, goal_priority(goal.priority)),
        "description": {"text": goal.description},
        "subject": reference("Patient", plan.patient_id),
        # A goal is pursued from when it entered the plan, and not before the plan starts.
        "startDate": max(plan.start_date, goal.created_at.astimezone(zone).date()).isoformat(),
        "note": _notes(goal),
    }
    target = _target(goal)
    if target:
        resource["target"] = [target]
    if node.children:
        resource["extension"] = [
            {
                "url": GOAL_RELATIONSHIP,
                "extension": [
                    {"url": "type", "valueCodeableConcept": concept(GOAL_RELATIONSHIP_TYPE, "milestone", "Milestone")},
                    {"url": "target", "valueReference": reference("Goal", child.goal.pk)},
                ],
            }
            for child in node.children
        ]
    if outcomes:
        resource["outcomeReference"] = outcomes
    return resource


def goal_resources(export: PlanExport) -> list[dict[str, Any]]:
    """Every goal in the tree's order, each pointing at its progress Observations and, for an objective driven by a
    measure, at its instrument's score Observations."""
    resources = []
    for node in export.tree.in_tree_order():
        goal = node.goal
        outcomes = [reference("Observation", e.pk) for e in export.progress.get(goal.pk, ())]
        if goal.measure_instrument:
            scores = export.scores.get(goal.measure_instrument, ())
            outcomes += [reference("Observation", score.measurement_id) for score in scores]
        resources.append(goal_resource(node, export, outcomes))
    return resources
