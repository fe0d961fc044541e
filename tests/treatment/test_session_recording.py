"""What recording a session asks and carries forward, at the service and selector level:

- `session_warnings` / `session_record(confirmed=...)`: a session dated before its plan started, or a goal
  addressed with nothing recorded for it (nor for a sub-goal), is refused naming the fields and "confirm"
  unless confirmed; the page and the API share the rule.
- `last_progress_by_goal` and `last_session`: each goal's latest entry and the latest session's
  interventions, one query each whatever the number of goals and entries.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.audit import AuditContext
from tests.factories import GoalFactory, PlanFactory, intervention
from treatment.models import GoalProgress, TherapySession
from treatment.selectors import DeliveredIntervention, LastProgress, LastSession, last_progress_by_goal, last_session
from treatment.services import progress_record, session_record
from treatment.services.sessions import CONFIRM_HINT, SessionWarning, session_warnings

pytestmark = pytest.mark.django_db


@pytest.fixture
def by(owner):
    return AuditContext.system("tests", user=owner)


@pytest.fixture
def today(practice):
    return practice.today()


def record(by, plan, session_date, **kwargs):
    return session_record(
        by=by, patient=plan.patient, plan=plan, session_date=session_date, duration_minutes=50, **kwargs
    )


# --- plausibility ------------------------------------------------------------------------------


def test_a_session_before_the_plan_started_is_refused_unless_confirmed(by, plan, tree):
    day = plan.start_date - datetime.timedelta(days=1)
    progress = [{"goal": tree["objective"], "progress_note": "Breathing daily.", "rating": 6}]

    with pytest.raises(ValidationError) as refused:
        record(by, plan, day, progress=progress)

    start = plan.start_date
    assert refused.value.message_dict == {
        "confirm": [CONFIRM_HINT],
        "session_date": [
            f"The session date {day.day} {day:%b %Y} is before the plan started ({start.day} {start:%b %Y})."
        ],
    }
    assert not TherapySession.objects.exists()
    assert not GoalProgress.objects.exists()

    session = record(by, plan, day, progress=progress, confirmed=True)

    assert session.session_date == day
    assert GoalProgress.objects.get().session == session


def test_the_plan_start_day_itself_is_plausible(by, plan, tree):
    assert (
        record(
            by,
            plan,
            plan.start_date,
            goals=[tree["objective"]],
            interventions=[{"intervention": intervention("Deep Breathing"), "goal": tree["objective"]}],
        ).session_date
        == plan.start_date
    )


def test_a_goal_addressed_with_nothing_recorded_is_refused_unless_confirmed(by, plan, tree, today):
    sleep = GoalFactory(plan=plan, description="Sleep seven hours", priority=2)
    progress = [{"goal": tree["objective"], "progress_note": "Breathing daily.", "rating": 6}]

    with pytest.raises(ValidationError) as refused:
        # The long-term goal is covered by its objective's progress; the sleep goal has nothing.
        record(by, plan, today, goals=[tree["long_term"], sleep], progress=progress)

    assert refused.value.message_dict == {
        "confirm": [CONFIRM_HINT],
        "goal_ids": [
            "“Sleep seven hours” is marked as addressed, but nothing is recorded for it "
            "(no note, rating or intervention)."
        ],
    }
    assert not TherapySession.objects.exists()

    session = record(by, plan, today, goals=[tree["long_term"], sleep], progress=progress, confirmed=True)

    assert set(session.goals_addressed.all()) == {tree["long_term"], sleep, tree["objective"]}


def test_an_intervention_delivered_for_a_goal_counts_as_recorded(plan, tree, today):
    objective = tree["objective"]
    delivered = [{"intervention": intervention("Deep Breathing"), "goal": objective}]

    assert (
        session_warnings(plan=plan, session_date=today, goals=[objective], interventions=delivered, progress=[]) == []
    )


def test_the_warnings_of_both_kinds_come_together_and_cost_one_query(plan, tree, django_assert_num_queries):
    day = plan.start_date - datetime.timedelta(days=3)

    with django_assert_num_queries(1):  # the plan's goals' parents (the page passes them, and spares it)
        found = session_warnings(
            plan=plan, session_date=day, goals=[tree["short_term"], tree["objective"]], interventions=[], progress=[]
        )

    assert [(w.field, w.goal) for w in found] == [
        ("session_date", None),
        ("goal_ids", tree["short_term"]),
        ("goal_ids", tree["objective"]),
    ]
    assert all(isinstance(w, SessionWarning) for w in found)


def test_a_session_without_a_plan_has_nothing_to_check(today, plan):
    assert session_warnings(plan=None, session_date=today, goals=[], interventions=[], progress=[]) == []


# --- carry forward -----------------------------------------------------------------------------


def test_each_goal_carries_its_latest_entry(by, plan, tree, today):
    objective, short_term = tree["objective"], tree["short_term"]
    earlier = today - datetime.timedelta(days=14)
    record(by, plan, earlier, progress=[{"goal": objective, "progress_note": "Started.", "rating": 3}])
    record(
        by,
        plan,
        today - datetime.timedelta(days=7),
        progress=[
            {"goal": objective, "progress_note": "Most days.", "progress_value": "5 days", "rating": 6},
            {"goal": short_term, "progress_note": "One technique learned."},
        ],
    )

    last = last_progress_by_goal(plan)

    assert last == {
        objective.pk: LastProgress(objective.pk, "Most days.", "5 days", 6, today - datetime.timedelta(days=7)),
        short_term.pk: LastProgress(
            short_term.pk, "One technique learned.", "", None, today - datetime.timedelta(days=7)
        ),
    }


def test_an_entry_without_a_session_speaks_for_the_day_it_was_recorded(by, plan, tree, today):
    progress_record(by=by, goal=tree["objective"], progress_note="Phoned in.", rating=5)

    assert last_progress_by_goal(plan)[tree["objective"].pk].day == today


def test_the_latest_entries_cost_one_query_however_many_goals_and_entries(
    by, plan, tree, today, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert last_progress_by_goal(plan) == {}
    goals = [GoalFactory(plan=plan, priority=2) for _ in range(8)]
    for k in range(3):
        for goal in goals:
            progress_record(by=by, goal=goal, progress_note=f"Observation {k}", rating=k + 1)

    with django_assert_num_queries(1):
        last = last_progress_by_goal(plan)

    assert {entry.note for entry in last.values()} == {"Observation 2"}
    assert set(last) == {g.pk for g in goals}


def test_the_last_session_is_the_latest_with_what_it_delivered(by, plan, tree, today, django_assert_num_queries):
    objective = tree["objective"]
    with django_assert_num_queries(1):
        assert last_session(plan) is None
    record(
        by,
        plan,
        today - datetime.timedelta(days=14),
        interventions=[{"intervention": intervention("Mindfulness"), "goal": None}],
        progress=[{"goal": objective, "progress_note": "Started."}],
    )
    record(
        by,
        plan,
        today - datetime.timedelta(days=7),
        interventions=[
            {"intervention": intervention("Deep Breathing"), "goal": objective},
            {"intervention": intervention("Psychoeducation"), "goal": None},
        ],
        progress=[{"goal": objective, "progress_note": "Most days."}],
    )

    with django_assert_num_queries(1):
        last = last_session(plan)

    assert last == LastSession(
        session_date=today - datetime.timedelta(days=7),
        interventions=(
            DeliveredIntervention(intervention("Deep Breathing").pk, "Deep Breathing", objective.pk),
            DeliveredIntervention(intervention("Psychoeducation").pk, "Psychoeducation", None),
        ),
    )


def test_a_latest_session_that_delivered_nothing_offers_nothing_to_repeat(by, plan, tree, today):
    objective = tree["objective"]
    record(
        by,
        plan,
        today - datetime.timedelta(days=7),
        interventions=[{"intervention": intervention("Deep Breathing"), "goal": objective}],
        progress=[{"goal": objective, "progress_note": "Most days."}],
    )
    record(by, plan, today, progress=[{"goal": objective, "progress_note": "Talked only."}])

    assert last_session(plan) is None


def test_another_plan_of_the_patient_is_not_carried(by, plan, tree, patient, today):
    other = PlanFactory(patient=patient, title="Sleep plan")
    goal = GoalFactory(plan=other)
    record(
        by,
        other,
        today,
        interventions=[{"intervention": intervention("Sleep Hygiene"), "goal": goal}],
        progress=[{"goal": goal, "progress_note": "Other plan."}],
    )

    assert last_progress_by_goal(plan) == {}
    assert last_session(plan) is None
