"""Builders for the outcomes-by-intervention tests: patients whose one goal uses given interventions, with the
links' ratings and the goal's rated progress entries at chosen instants."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Sequence

from accounts.models import User
from interventions.models import Intervention
from tests.factories import GoalFactory, PatientFactory, PlanFactory, intervention
from treatment.models import GoalIntervention, GoalProgress, TreatmentGoal

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
