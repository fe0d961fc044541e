"""Builders for the outcomes-by-intervention tests: patients whose one goal uses given interventions, with the
links' ratings and the goal's rated progress entries at chosen instants."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Sequence

from accounts.models import User
from interventions.models import Intervention
from tests.factories import GoalFactory, PatientFactory, PlanFactory, intervention
from treatment.instruments import INSTRUMENTS
from treatment.models import GoalIntervention, GoalProgress, Measurement, TreatmentGoal

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
PLAN_START = datetime.date(2026, 1, 5)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    """An instant on the test practice's clock (America/New_York)."""
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=NEW_YORK)


def library(name: str) -> Intervention:
    return intervention(name)


def patient_goal(
    therapist: User,
    interventions: Sequence[Intervention],
    *,
    rating: int | None = None,
    progress: Sequence[tuple[datetime.datetime, int]] = (),
    plan_start: datetime.date = PLAN_START,
) -> TreatmentGoal:
    """A new patient of `therapist` with a plan and one long-term goal linked to `interventions` (each link rated
    `rating`), and the goal's rated progress entries `(recorded_at, rating 1-10)`."""
    patient = PatientFactory(primary_therapist=therapist)
    plan = PlanFactory(patient=patient, therapist=therapist, start_date=plan_start)
    goal = GoalFactory(plan=plan, interventions=[{"intervention": i, "frequency": "weekly"} for i in interventions])
    links = GoalIntervention.objects.filter(goal=goal)
    # Linked when the plan started (the link is what the figures of a period count, made before it ended).
    links.update(created_at=at(plan_start, 9))
    if rating is not None:
        links.update(effectiveness_rating=rating)
    # Entries at chosen instants (some in the past of the period): written as the history they stand for.
    GoalProgress.objects.bulk_create(
        [
            GoalProgress(goal=goal, progress_note="In session.", rating=r, recorded_by=therapist, recorded_at=t)
            for t, r in progress
        ]
    )
    return goal


def answers_totalling(instrument: str, total: int) -> list[int]:
    """Item answers adding up to `total` on `instrument`, highest first."""
    spec = INSTRUMENTS[instrument]
    top = max(option.value for option in spec.options)
    answers = []
    for _ in spec.items:
        answers.append(min(top, total))
        total -= answers[-1]
    assert total == 0
    return answers


def measured_objective(
    therapist: User,
    interventions: Sequence[Intervention],
    *,
    instrument: str = "phq9",
    target: int = 4,
    baseline: int | None = None,
    scores: Sequence[tuple[datetime.date, int]] = (),
    plan_start: datetime.date = PLAN_START,
) -> TreatmentGoal:
    """A new patient of `therapist` whose plan has an objective driven by `instrument` (target `target`, baseline
    `baseline` or the default rule) linked to `interventions`, and the patient's scores `(administered_on,
    total)` on it."""
    root = patient_goal(therapist, [], plan_start=plan_start)
    short = GoalFactory(parent_goal=root, goal_type="short_term", description="Fewer depressive symptoms")
    objective = GoalFactory(
        parent_goal=short,
        goal_type="objective",
        description="Score lower on the questionnaire",
        interventions=[{"intervention": i, "frequency": "weekly"} for i in interventions],
    )
    GoalIntervention.objects.filter(goal=objective).update(created_at=at(plan_start, 9))
    TreatmentGoal.objects.filter(pk=objective.pk).update(
        measure_instrument=instrument, measure_target_score=target, measure_baseline_score=baseline
    )
    Measurement.objects.bulk_create(
        [
            Measurement(
                patient_id=root.plan.patient_id,
                instrument=instrument,
                answers=answers_totalling(instrument, total),
                total_score=total,
                administered_on=day,
                administered_by=therapist,
            )
            for day, total in scores
        ]
    )
    return objective
