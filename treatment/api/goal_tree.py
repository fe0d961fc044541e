"""The goals of the plan detail (a tree) and of a plan's goals list (flat), built in one pass over their rows.

`GoalSerializer` stays the definition of a goal's representation: the OpenAPI schema comes from it, the goal
endpoints answer with it, and tests/treatment/test_goal_tree_json.py holds what is built here to its output
byte for byte. A serializer per goal and per goal intervention cost the plan detail 7-12 times its own data
for a 60-goal plan (issue 16); here one query of plain values (each goal beside its interventions) becomes the
answer's dicts directly, each goal hung under its parent as it is read.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers

from treatment.models import TreatmentGoal, TreatmentPlan
from treatment.progress import summarize
from treatment.services import smart_missing
from treatment.services.goals import GOAL_FIELD_NAMES

#: The goal columns the representation reads, by their `values()` names.
GOAL_COLUMNS = (
    "id",
    "plan_id",
    *GOAL_FIELD_NAMES,  # what a client writes, the parent by its id
    "measure_response",
    "measure_remission",
    "measure_reliable_improvement",
    "measure_reliable_deterioration",
    "created_at",
    "updated_at",
)
#: A goal intervention's columns and its intervention's (`InterventionSummarySerializer`'s fields), read beside its
#: goal's (one row per goal and intervention; a goal without any comes once, with these null).
LINK_COLUMNS = tuple(
    f"goal_interventions__{name}"
    for name in (
        "id",
        "intervention_id",
        "intervention__name",
        "intervention__modality",
        "intervention__category",
        "intervention__evidence_level",
        "intervention__is_system",
        "frequency",
        "notes",
        "effectiveness_rating",
        "created_at",
        "updated_at",
    )
)


class GoalFacts(NamedTuple):
    """What the progress summary (`treatment.progress.summarize`) and the SMART check (`smart_missing`) read of a
    goal, from its row."""

    id: uuid.UUID
    parent_goal_id: uuid.UUID | None
    goal_type: str
    status: str
    priority: int
    progress_percentage: int
    smart: dict[str, Any] | None
    description: str
    measurable_criteria: str
    baseline_value: str
    target_value: str
    target_date: datetime.date | None


@dataclass(frozen=True)
class GoalTree:
    """A plan's goals as the API answers them: the long-term goals (`roots`, each with its `sub_goals`), every
    goal in the plan's order (`flat`), and the plan's progress summary."""

    plan_id: uuid.UUID
    roots: list[dict[str, Any]]
    flat: list[dict[str, Any]]
    #: Goals of every level counted by status, and the plan's overall progress.
    summary: dict[str, int]
    #: Each goal's id, in `flat`'s order (what the goals list audits).
    ids: list[uuid.UUID]


def plan_goal_tree(plan: TreatmentPlan) -> GoalTree:
    """The goals of `plan` (already found among those the caller may view) as its detail nests them. One query."""
    return _build(TreatmentGoal.objects.filter(plan_id=plan.pk), plan, nested=True)


def plan_goal_list(goals: QuerySet[TreatmentGoal], plan: TreatmentPlan) -> GoalTree:
    """`goals` (the caller's view of `plan`'s goals) flat, each with no sub-goals, as the goals list answers them.
    One query."""
    return _build(goals, plan, nested=False)


def _build(goals: QuerySet[TreatmentGoal], plan: TreatmentPlan, *, nested: bool) -> GoalTree:
    # DRF's own field writes the timestamps: its format, and the request's time zone (the practice's), looked up once.
    stamp = serializers.DateTimeField(default_timezone=timezone.get_current_timezone()).to_representation
    children: dict[uuid.UUID | None, list[dict[str, Any]]] = defaultdict(list)
    flat: list[dict[str, Any]] = []
    facts: list[GoalFacts] = []
    # The plan's order (priority, then as added), each goal's interventions as they were added, next to it.
    rows = goals.order_by("priority", "created_at", "id", "goal_interventions__created_at")
    goal: dict[str, Any] = {}
    current: uuid.UUID | None = None
    for values in rows.values(*GOAL_COLUMNS, *LINK_COLUMNS):
        if values["id"] != current:
            current = values["id"]
            fact = GoalFacts(**{name: values[name] for name in GoalFacts._fields})
            goal = _goal(values, fact, stamp)
            # A goal's sub-goals are the list its children append to, whichever of them is read first.
            goal["sub_goals"] = children[values["id"]] if nested else []
            children[values["parent_goal_id"]].append(goal)
            flat.append(goal)
            facts.append(fact)
        if values["goal_interventions__id"] is not None:
            goal["interventions"].append(_link(values, goal["id"], stamp))
    return GoalTree(
        plan_id=plan.pk,
        roots=children[None],
        flat=flat,
        summary=summarize(facts, plan.overall_progress),
        ids=[fact.id for fact in facts],
    )


def _goal(row: dict[str, Any], fact: GoalFacts, stamp: Callable[[Any], Any]) -> dict[str, Any]:
    """A goal as `GoalSerializer` writes it, its keys in its order (its interventions and sub-goals are filled in
    by the caller)."""
    target_date = row["target_date"]
    instrument = row["measure_instrument"]
    return {
        "id": str(row["id"]),
        "plan_id": str(row["plan_id"]),
        "goal_type": row["goal_type"],
        "parent_goal_id": _uuid(row["parent_goal_id"]),
        "description": row["description"],
        "measurable_criteria": row["measurable_criteria"],
        "baseline_value": row["baseline_value"],
        "target_value": row["target_value"],
        "current_value": row["current_value"],
        "target_date": target_date.isoformat() if target_date is not None else None,
        "status": row["status"],
        "progress_percentage": row["progress_percentage"],
        "priority": row["priority"],
        "smart": row["smart"],
        "measure": {
            "instrument": instrument,
            "baseline_score": row["measure_baseline_score"],
            "target_score": row["measure_target_score"],
        }
        if instrument
        else None,
        "measure_flags": {
            "response": row["measure_response"],
            "remission": row["measure_remission"],
            "reliable_improvement": row["measure_reliable_improvement"],
            "reliable_deterioration": row["measure_reliable_deterioration"],
        }
        if instrument
        else None,
        "smart_missing": smart_missing(fact),
        "interventions": [],
        "sub_goals": [],
        "created_at": stamp(row["created_at"]),
        "updated_at": stamp(row["updated_at"]),
    }


def _link(row: dict[str, Any], goal_id: str, stamp: Callable[[Any], Any]) -> dict[str, Any]:
    """A goal intervention as `GoalInterventionSerializer` writes it, from its goal's row (LINK_COLUMNS)."""
    return {
        "id": str(row["goal_interventions__id"]),
        "goal_id": goal_id,
        "intervention": {
            "id": str(row["goal_interventions__intervention_id"]),
            "name": row["goal_interventions__intervention__name"],
            "modality": row["goal_interventions__intervention__modality"],
            "category": row["goal_interventions__intervention__category"],
            "evidence_level": row["goal_interventions__intervention__evidence_level"],
            "is_system": row["goal_interventions__intervention__is_system"],
        },
        "frequency": row["goal_interventions__frequency"],
        "notes": row["goal_interventions__notes"],
        "effectiveness_rating": row["goal_interventions__effectiveness_rating"],
        "created_at": stamp(row["goal_interventions__created_at"]),
        "updated_at": stamp(row["goal_interventions__updated_at"]),
    }


def _uuid(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def audit_stand_ins(tree: GoalTree, plan: TreatmentPlan) -> Iterable[TreatmentGoal]:
    """The goals listed, as the audit names them (each its id and its plan's patient), without loading them."""
    return (TreatmentGoal(id=pk, plan=plan) for pk in tree.ids)
