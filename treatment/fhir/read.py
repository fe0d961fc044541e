"""What a plan's FHIR export reads: the plan detail's own selectors (`plan_tree`, `patient_scores`), the plan's
progress entries, and its signed version. A fixed number of queries, however many goals, entries or scores."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from treatment.fhir.signing import SignedVersion, signed_version_of
from treatment.instruments import INSTRUMENTS
from treatment.measure_selectors import ScorePoint, patient_scores
from treatment.models import GoalProgress, TreatmentPlan
from treatment.selectors import PlanTree, plan_tree


@dataclass(frozen=True)
class PlanExport:
    """Everything a plan's Bundle says, read once."""

    plan: TreatmentPlan
    tree: PlanTree
    #: Each goal's progress entries (each with `recorded_by`), oldest first.
    progress: dict[uuid.UUID, tuple[GoalProgress, ...]]
    #: The patient's scores on the plan's instruments (its own and its objectives'), by instrument code in the
    #: registry's order, each oldest first.
    scores: dict[str, tuple[ScorePoint, ...]]
    #: The objectives each instrument drives in this plan (instrument code -> goal ids, in tree order).
    driven: dict[str, tuple[uuid.UUID, ...]]
    signed: SignedVersion | None


def plan_instruments(plan: TreatmentPlan, tree: PlanTree) -> list[str]:
    """The plan's instruments in the registry's order: those it administers and those its objectives follow."""
    codes = set(plan.measure_instruments or ()) | {n.goal.measure_instrument for n in tree.nodes.values()}
    return [code for code in INSTRUMENTS if code in codes]


def plan_export(plan: TreatmentPlan) -> PlanExport:
    """The plan's export (its patient, practice and therapist loaded with it). Queries: the goals and their
    interventions (`plan_tree`), the progress entries, the patient's scores when the plan has an instrument, and
    the signed version when it has one."""
    tree = plan_tree(plan)
    progress: dict[uuid.UUID, list[GoalProgress]] = defaultdict(list)
    entries = GoalProgress.objects.filter(goal__plan_id=plan.pk).select_related("recorded_by")
    for entry in entries.order_by("recorded_at", "id"):
        progress[entry.goal_id].append(entry)
    instruments = plan_instruments(plan, tree)
    series = patient_scores(plan.patient_id) if instruments else {}
    driven: dict[str, list[uuid.UUID]] = defaultdict(list)
    for node in tree.in_tree_order():
        if node.goal.measure_instrument:
            driven[node.goal.measure_instrument].append(node.goal.pk)
    return PlanExport(
        plan=plan,
        tree=tree,
        progress={goal_id: tuple(rows) for goal_id, rows in progress.items()},
        scores={code: tuple(series[code]) for code in instruments if code in series},
        driven={code: tuple(ids) for code, ids in driven.items()},
        signed=signed_version_of(plan),
    )
