"""The plan lock: writes to one plan serialize, so every stored figure is the rollup of the stored leaves.

Real concurrency on PostgreSQL: each writer is a thread with its own database connection, all released
together by a barrier (`tests.support.run_together`). After every round, every goal's stored percentage and the
plan's overall progress must equal `rollup()` recomputed from the stored goals. Writes to different plans of the
same patient do not wait on each other.

The race is made to happen rather than hoped for. Each writer pauses after `plan_recalculate` has read the tree
and computed its rollup, before it stores it, until every other writer has done the same or waits for a lock
(`pause_after`); and each writer appends its audit events last (`audit_last`), since the audit chain's lock,
taken by a transaction's first event, would otherwise serialise the writers by itself and these tests would pass
without the plan lock (they did: the twenty entries and the two sessions, at 20 rounds). With `lock_plan` a plain
read every writer computes from a tree without the others' leaves, and the last to store wins: each scenario
fails in its first round. With the lock the others queue behind the holder and each reads what the previous one
committed.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable

import pytest
from django.db import OperationalError, connection, transaction

from accounts.audit import AuditContext
from reviews.services.reviews import review_record
from tests.factories import GoalFactory, PlanFactory
from tests.support import run_together
from treatment.models import GoalStatus, TreatmentGoal, TreatmentPlan
from treatment.progress import rollup
from treatment.services import goal_update, lock_plan, plan_update, plans, progress_record, session_record

pytestmark = pytest.mark.django_db(transaction=True)

#: Each scenario fails in round 1 of 3 with `lock_plan` taking no lock (checked by making it a plain `get`, five
#: runs each); the further rounds start from a tree the earlier ones moved, with every leaf at another figure.
ROUNDS = 3


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer; the plan lock is proven on PostgreSQL (CI)")


@pytest.fixture
def by(owner) -> AuditContext:
    return AuditContext.system("tests", user=owner)


def race(*writers: Callable[[], object]) -> list[object]:
    """The writers released together, each holding its computed rollup until the others have theirs."""
    return run_together(*writers, pause_after=(plans, "rollup"), audit_last=True)


def assert_rollup_is_exact(plan: TreatmentPlan) -> None:
    """Every stored figure equals the rollup of the stored tree."""
    goals = list(TreatmentGoal.objects.filter(plan=plan))
    computed, overall = rollup(goals)
    stored = {goal.pk: goal.progress_percentage for goal in goals}
    wrong = {str(pk): (stored[pk], computed[pk]) for pk in stored if stored[pk] != computed[pk]}
    assert wrong == {}, f"stored vs recomputed: {wrong}"
    assert TreatmentPlan.objects.get(pk=plan.pk).overall_progress == overall


def leaf_figures(goals: list[TreatmentGoal]) -> dict:
    return dict(TreatmentGoal.objects.filter(pk__in=[g.pk for g in goals]).values_list("pk", "progress_percentage"))


def wide_tree(plan: TreatmentPlan, objectives: int) -> list[TreatmentGoal]:
    """A long-term goal over a short-term goal over `objectives` objectives of mixed priorities."""
    long_term = GoalFactory(plan=plan, description="Reduce overall anxiety to a manageable level")
    short_term = GoalFactory(parent_goal=long_term, goal_type="short_term", description="Practise coping skills")
    return [
        GoalFactory(parent_goal=short_term, goal_type="objective", description=f"Objective {n}", priority=1 + n % 5)
        for n in range(objectives)
    ]


def test_twenty_parallel_progress_entries_on_sibling_objectives_roll_up_exactly(plan, by):
    objectives = wide_tree(plan, 20)

    for round_ in range(ROUNDS):
        # Each round every objective moves, each by a different amount, so a stale sibling shows.
        ratings = [1 + (round_ + n) % 10 for n in range(len(objectives))]
        race(
            *(
                lambda goal=goal, rating=rating: progress_record(by=by, goal=goal, progress_note="Seen", rating=rating)
                for goal, rating in zip(objectives, ratings, strict=True)
            )
        )
        assert leaf_figures(objectives) == {o.pk: 10 * r for o, r in zip(objectives, ratings, strict=True)}
        assert_rollup_is_exact(plan)


def test_progress_goal_edits_and_a_session_on_one_plan_roll_up_exactly(plan, patient, by):
    objectives = wide_tree(plan, 8)
    other_long_term = GoalFactory(plan=plan, description="Sleep through the night", priority=2)
    other_short_term = GoalFactory(parent_goal=other_long_term, goal_type="short_term", description="Sleep hygiene")
    other_objective = GoalFactory(parent_goal=other_short_term, goal_type="objective", description="Sleep diary")
    today = patient.practice.today()

    def writers(round_: int) -> list[Callable[[], object]]:
        flip = round_ % 2
        return [
            *(
                lambda goal=goal, n=n: progress_record(
                    by=by, goal=goal, progress_note="Practised", rating=1 + (round_ * 3 + n) % 10
                )
                for n, goal in enumerate(objectives[:4])
            ),
            # Priorities weigh the rollup: moving them changes the parent's figure.
            lambda: goal_update(by=by, goal=objectives[4], priority=1 + (round_ % 10)),
            lambda: goal_update(
                by=by, goal=objectives[5], status=GoalStatus.ACHIEVED if flip else GoalStatus.IN_PROGRESS
            ),
            lambda: goal_update(by=by, goal=other_long_term, priority=1 + flip),
            lambda: session_record(
                by=by,
                patient=patient,
                plan=plan,
                session_date=today,
                duration_minutes=50,
                progress=[
                    {"goal": objectives[6], "progress_note": "In session", "rating": 1 + round_ % 10},
                    {"goal": objectives[7], "progress_note": "In session", "rating": 10 - round_ % 10},
                    {"goal": other_objective, "progress_note": "Diary kept", "rating": 1 + (round_ * 7) % 10},
                ],
            ),
        ]

    for round_ in range(ROUNDS):
        race(*writers(round_))
        assert_rollup_is_exact(plan)


def test_two_sessions_recorded_at_once_roll_up_exactly(plan, patient, by):
    objectives = wide_tree(plan, 6)
    today = patient.practice.today()

    def session(goals: list[TreatmentGoal], rating: int) -> Callable[[], object]:
        return lambda: session_record(
            by=by,
            patient=patient,
            plan=plan,
            session_date=today,
            duration_minutes=45,
            goals=goals,
            progress=[{"goal": goal, "progress_note": "Worked on it", "rating": rating} for goal in goals],
        )

    for round_ in range(ROUNDS):
        first, second = 1 + round_ % 10, 10 - round_ % 10
        race(session(objectives[:3], first), session(objectives[3:], second))
        expected = {o.pk: 10 * first for o in objectives[:3]} | {o.pk: 10 * second for o in objectives[3:]}
        assert leaf_figures(objectives) == expected
        assert_rollup_is_exact(plan)
    assert plan.sessions.count() == 2 * ROUNDS


def test_a_review_and_progress_at_once_seal_and_store_exact_figures(plan, patient, owner, by):
    objectives = wide_tree(plan, 4)
    today = patient.practice.today()

    for round_ in range(ROUNDS):
        race(
            lambda: review_record(
                by=by,
                plan=plan,
                review_date=today,
                summary="Reviewed",
                goal_changes={str(objectives[0].pk): {"status": GoalStatus.IN_PROGRESS, "progress_percentage": 30}},
            ),
            *(
                lambda goal=goal, rating=1 + round_: progress_record(
                    by=by, goal=goal, progress_note="Practised", rating=rating
                )
                for goal in objectives[1:]
            ),
        )
        assert_rollup_is_exact(plan)
    assert TreatmentPlan.objects.get(pk=plan.pk).version == 1 + ROUNDS


def test_writes_to_another_plan_of_the_same_patient_do_not_wait(plan, patient, by):
    """The plan lock holds its own plan's row only: a second plan of the patient (and practice) goes on,
    while a write to the held plan waits for it. (The holder takes the plan lock and writes no audit event yet:
    a transaction that has appended one holds the audit chain's lock until it ends, which every audited write
    waits for, `accounts.audit_chain`.)"""
    other = PlanFactory(patient=patient, title="Sleep plan", start_date=datetime.date(2026, 9, 1))
    held_goal = GoalFactory(plan=plan, description="Held plan's goal")
    free_goal = GoalFactory(plan=other, description="Other plan's goal")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            lock_plan(plan.pk)
            holding.set()
            assert release.wait(timeout=30)

    def write_other_plan() -> str:
        assert holding.wait(timeout=30)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                plan_update(by=by, plan=other, title="Not kept waiting")
                progress_record(by=by, goal=free_goal, progress_note="Not kept waiting", rating=7)
            try:
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL lock_timeout = '300ms'")
                    progress_record(by=by, goal=held_goal, progress_note="Must wait", rating=3)
            except OperationalError as error:
                return f"waited: {type(error.__cause__).__name__}"
            return "did not wait"
        finally:
            release.set()

    _, outcome = run_together(hold, write_other_plan)

    assert outcome == "waited: LockNotAvailable"
    assert TreatmentPlan.objects.get(pk=other.pk).title == "Not kept waiting"
    assert TreatmentGoal.objects.get(pk=free_goal.pk).progress_percentage == 70
    assert TreatmentGoal.objects.get(pk=held_goal.pk).progress_percentage == 0
