"""Which measures a plan administers and when each is due (treatment.measure_selectors), and the dashboard's list."""

import datetime

import pytest

from accounts.audit import AuditContext
from tests.factories import PatientFactory, PlanFactory
from treatment.measure_selectors import measures_due, measures_due_for_plans, patient_safety, patient_scores
from treatment.services import (
    goal_update,
    measurement_record,
    plan_update,
    safety_assessment_record,
    session_record,
)

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 11, 1)


@pytest.fixture
def by(owner):
    return AuditContext(user=owner)


@pytest.fixture
def measured(by, tree):
    return goal_update(by=by, goal=tree["objective"], measure_instrument="phq9", measure_target_score=5)


def sessions(by, patient, plan, *days):
    for day in days:
        session_record(by=by, patient=patient, plan=plan, session_date=day, duration_minutes=50)


def phq9_on(by, patient, day, total=9):
    answers = [min(3, max(0, total - 3 * i)) for i in range(8)] + [0]
    return measurement_record(by=by, patient=patient, instrument="phq9", answers=answers, administered_on=day)


def test_a_plan_without_measures_has_none_due(plan, tree, django_assert_num_queries):
    with django_assert_num_queries(1):  # its instruments: none, so nothing more is read
        assert measures_due(plan, TODAY) == []


def test_never_given_is_due(plan, measured):
    [row] = measures_due(plan, TODAY)
    assert (row.instrument, row.due, row.reason, row.last_administered_on) == (
        "phq9",
        True,
        "PHQ-9 not yet given",
        None,
    )


def test_the_plans_own_list_adds_instruments_in_registry_order(by, plan, measured):
    plan = plan_update(by=by, plan=plan, measure_instruments=["pcl5", "gad7"])
    assert [row.instrument for row in measures_due(plan, TODAY)] == ["phq9", "gad7", "pcl5"]


def test_a_discontinued_objectives_instrument_is_not_administered(by, plan, measured):
    goal_update(by=by, goal=measured, status="discontinued")
    assert measures_due(plan, TODAY) == []


def test_due_after_the_practices_sessions(by, patient, plan, measured):
    assert (patient.practice.measure_every_sessions, patient.practice.measure_every_days) == (4, 30)
    phq9_on(by, patient, D(2026, 10, 20))
    sessions(by, patient, plan, D(2026, 10, 20), D(2026, 10, 22), D(2026, 10, 25), D(2026, 10, 28))
    [row] = measures_due(plan, TODAY)
    # The session on the measure's day counts as the one it was given at: 3 since.
    assert (row.sessions_since, row.days_since, row.due) == (3, 12, False)
    sessions(by, patient, plan, D(2026, 10, 31))
    [row] = measures_due(plan, TODAY)
    assert (row.sessions_since, row.due, row.reason) == (4, True, "4 sessions since the last PHQ-9 (every 4)")


def test_due_after_the_practices_days(by, patient, plan, measured):
    phq9_on(by, patient, D(2026, 10, 3))
    assert measures_due(plan, TODAY)[0].due is False  # 29 days
    [row] = measures_due(plan, D(2026, 11, 2))
    assert (row.days_since, row.due, row.reason) == (30, True, "30 days since the last PHQ-9 (every 30)")


def test_the_plan_overrides_the_practice(by, patient, plan, measured):
    plan = plan_update(by=by, plan=plan, measure_every_days=7, measure_every_sessions=1)
    phq9_on(by, patient, D(2026, 10, 26))
    assert measures_due(plan, TODAY)[0].due is False  # 6 days, no session
    assert measures_due(plan, D(2026, 11, 2))[0].reason == "7 days since the last PHQ-9 (every 7)"
    sessions(by, patient, plan, D(2026, 10, 30))
    assert measures_due(plan, TODAY)[0].reason == "1 session since the last PHQ-9 (every 1)"


def test_many_plans_cost_three_queries(by, owner, patient, plan, measured, django_assert_num_queries):
    plans = [plan]
    for name in ("Ann", "Ben", "Cal"):
        other = PatientFactory(primary_therapist=owner, first_name=name, last_name="Lee")
        other_plan = PlanFactory(patient=other, title=f"{name}'s plan", measure_instruments=["gad7"])
        sessions(by, other, other_plan, D(2026, 10, 1))
        plans.append(other_plan)
    loaded = [type(plan).objects.select_related("patient__practice").get(pk=p.pk) for p in plans]
    with django_assert_num_queries(3):
        due = measures_due_for_plans(loaded, TODAY)
    assert [[row.instrument for row in due[p.pk]] for p in plans] == [["phq9"], ["gad7"], ["gad7"], ["gad7"]]


def test_scores_and_safety_state(by, patient, django_assert_num_queries):
    first = phq9_on(by, patient, D(2026, 9, 1), total=12)
    flagged = measurement_record(
        by=by, patient=patient, instrument="phq9", answers=[1] * 8 + [1], administered_on=D(2026, 10, 1)
    )
    measurement_record(by=by, patient=patient, instrument="gad7", answers=[1] * 7, administered_on=D(2026, 9, 15))
    with django_assert_num_queries(1):
        scores = patient_scores(patient.pk)
    assert {code: [(p.administered_on, p.total_score) for p in points] for code, points in scores.items()} == {
        "phq9": [(D(2026, 9, 1), 12), (D(2026, 10, 1), 9)],
        "gad7": [(D(2026, 9, 15), 7)],
    }
    assert first.safety_flag is False
    state = patient_safety(patient.pk)
    assert [row.id for row in state.open] == [flagged.safety_flag_record.pk]
    assert [(row.measurement_id, row.instrument_name, row.total_score) for row in state.open] == [
        (flagged.pk, "PHQ-9", 9)
    ]
    safety_assessment_record(by=by, patient=patient, note="Assessed; safe.")
    with django_assert_num_queries(1):
        state = patient_safety(patient.pk)
    assert (state.open, [(r.is_open, r.assessment_note) for r in state.history]) == ([], [(False, "Assessed; safe.")])


def test_the_dashboard_lists_measures_due(client, owner, patient, plan, measured, practice_admin):
    client.force_login(owner)
    page = client.get("/dashboard/").content.decode()
    assert "Measures due" in page
    assert "PHQ-9 not yet given" in page
    client.force_login(practice_admin)
    assert "Measures due" not in client.get("/dashboard/").content.decode()
