"""Outcomes by intervention (`treatment.outcomes`): hand-computed figures, small-cell suppression at exactly 4 and
5 patients, the period's boundaries, and a constant number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.treatment.outcomes_support import at, library, measured_objective, patient_goal
from treatment.models import GoalIntervention, TreatmentPlan
from treatment.outcomes import HIDDEN, NO_DATA, QUERIES, Figure, default_period, outcomes_by_intervention

pytestmark = pytest.mark.django_db

SINCE, UNTIL = datetime.date(2026, 3, 1), datetime.date(2026, 5, 31)
FEB, JUN_1 = datetime.date(2026, 2, 1), datetime.date(2026, 6, 1)


def report(user, since=SINCE, until=UNTIL):
    return outcomes_by_intervention(user, since=since, until=until)


def row(user, name, **period):
    rows = [r for r in report(user, **period).rows if r.name == name]
    assert len(rows) == 1, [r.name for r in report(user, **period).rows]
    return rows[0]


def test_figures_by_hand(owner):
    breathing, defusion = library("Deep Breathing"), library("Cognitive Defusion")
    # Progress at an instant: the latest rating before it x 10 (0 before the first).
    patient_goal(owner, [breathing], rating=4, progress=[(at(FEB), 3), (at(datetime.date(2026, 4, 1)), 6)])  # +30
    patient_goal(owner, [breathing], rating=5, progress=[(at(datetime.date(2026, 3, 15)), 5)])  # 0 -> 50: +50
    patient_goal(owner, [breathing], rating=3, progress=[(at(FEB), 7), (at(UNTIL, 23), 4)])  # 70 -> 40: -30
    # The period's first instant (midnight on the practice's clock) is in it: 0 -> 80.
    patient_goal(owner, [breathing], rating=2, progress=[(at(SINCE, 0), 8)])
    # Midnight after `until` is not: 20 -> 40, +20; this goal also uses Cognitive Defusion.
    patient_goal(
        owner,
        [breathing, defusion],
        rating=1,
        progress=[(at(FEB), 2), (at(datetime.date(2026, 3, 10)), 4), (at(JUN_1, 0), 9)],
    )
    # Rated before the period only: counted among patients and ratings, not in the progress change.
    patient_goal(owner, [breathing], rating=5, progress=[(at(FEB), 5)])

    figures = row(owner, "Deep Breathing")
    assert figures.suppressed is False
    assert figures.patients == Figure(6, False)
    assert figures.goals == Figure(6, False)
    assert figures.mean_rating == Figure(3.3, False)  # (4 + 5 + 3 + 2 + 1 + 5) / 6 = 3.33
    assert figures.mean_progress_change == Figure(30.0, False)  # (30 + 50 - 30 + 80 + 20) / 5
    # One patient: the whole row is withheld, its patient count too.
    assert row(owner, "Cognitive Defusion").suppressed is True
    assert row(owner, "Cognitive Defusion").patients == HIDDEN
    assert [r.name for r in report(owner).rows] == ["Cognitive Defusion", "Deep Breathing"]


def test_a_row_of_four_patients_is_withheld_and_of_five_shown(owner):
    breathing = library("Deep Breathing")
    for _ in range(4):
        patient_goal(owner, [breathing], rating=4, progress=[(at(datetime.date(2026, 4, 1)), 5)])
    four = row(owner, "Deep Breathing")
    assert four.suppressed is True
    assert (four.patients, four.goals, four.mean_rating, four.mean_progress_change) == (HIDDEN,) * 4

    patient_goal(owner, [breathing], rating=4, progress=[(at(datetime.date(2026, 4, 1)), 5)])
    five = row(owner, "Deep Breathing")
    assert five.suppressed is False
    assert five.patients == Figure(5, False)
    assert five.goals == Figure(5, False)
    assert five.mean_rating == Figure(4.0, False)
    assert five.mean_progress_change == Figure(50.0, False)


def test_a_cell_of_four_patients_is_withheld_in_a_row_of_five(owner):
    breathing = library("Deep Breathing")
    goals = [
        patient_goal(owner, [breathing], rating=None if i == 0 else 4, progress=[] if i == 0 else [(at(SINCE), 6)])
        for i in range(5)
    ]
    four = row(owner, "Deep Breathing")
    assert four.suppressed is False
    assert four.patients == Figure(5, False)
    assert four.mean_rating == HIDDEN  # four rated links
    assert four.mean_progress_change == HIDDEN  # four goals rated in the period

    GoalIntervention.objects.filter(goal=goals[0]).update(effectiveness_rating=2)
    patient_goal_entry = goals[0].progress_entries.model
    patient_goal_entry.objects.create(
        goal=goals[0], progress_note="Observed.", rating=1, recorded_by=owner, recorded_at=at(SINCE)
    )
    five = row(owner, "Deep Breathing")
    assert five.mean_rating == Figure(3.6, False)  # (2 + 4 * 4) / 5
    assert five.mean_progress_change == Figure(50.0, False)  # (10 + 60 * 4) / 5


def test_several_goals_of_one_patient_count_once_among_patients(owner):
    breathing = library("Deep Breathing")
    goals = [patient_goal(owner, [breathing], rating=3, progress=[(at(SINCE), 5)]) for _ in range(4)]
    # A second goal of the fourth patient: five goals, still four patients, so still withheld.
    from tests.factories import GoalFactory

    extra = GoalFactory(plan=goals[3].plan, interventions=[{"intervention": breathing, "frequency": "weekly"}])
    GoalIntervention.objects.filter(goal=extra).update(created_at=at(SINCE), effectiveness_rating=3)
    assert row(owner, "Deep Breathing").suppressed is True


def test_figures_with_no_patient_have_no_value_and_are_not_withheld(owner):
    breathing = library("Deep Breathing")
    for _ in range(5):
        patient_goal(owner, [breathing])
    figures = row(owner, "Deep Breathing")
    assert figures.patients == Figure(5, False)
    assert figures.mean_rating == NO_DATA
    assert figures.mean_progress_change == NO_DATA


def test_plans_and_links_outside_the_period_do_not_count(owner):
    breathing = library("Deep Breathing")
    for _ in range(5):
        patient_goal(owner, [breathing], rating=4)
    # Started after the period ended.
    patient_goal(owner, [breathing], rating=1, plan_start=JUN_1)
    # Ended before it began.
    ended = patient_goal(owner, [breathing], rating=1, plan_start=datetime.date(2026, 1, 5))
    TreatmentPlan.objects.filter(pk=ended.plan_id).update(actual_end_date=datetime.date(2026, 2, 28))
    # Ended on its first day: counts.
    last_day = patient_goal(owner, [breathing], rating=4)
    TreatmentPlan.objects.filter(pk=last_day.plan_id).update(actual_end_date=SINCE)
    # Linked after the period ended.
    late = patient_goal(owner, [breathing], rating=1)
    GoalIntervention.objects.filter(goal=late).update(created_at=at(JUN_1, 0))
    figures = row(owner, "Deep Breathing")
    assert figures.patients == Figure(6, False)
    assert figures.mean_rating == Figure(4.0, False)


def test_default_period_is_the_twelve_months_up_to_today():
    assert default_period(datetime.date(2026, 12, 1)) == (datetime.date(2025, 12, 2), datetime.date(2026, 12, 1))
    assert default_period(datetime.date(2028, 2, 29)) == (datetime.date(2027, 3, 1), datetime.date(2028, 2, 29))


def _count(user):
    with CaptureQueriesContext(connection) as queries:
        report(user)
    return len(queries)


def test_queries_are_constant_in_patients_and_interventions(owner):
    names = ["Deep Breathing", "Cognitive Defusion", "Activity Scheduling", "Values Clarification"]
    for i in range(5):
        patient_goal(owner, [library(names[i % 2])], rating=3, progress=[(at(SINCE), 4)])
    small = _count(owner)
    for i in range(45):
        patient_goal(owner, [library(names[i % 4]), library(names[(i + 1) % 4])], rating=4, progress=[(at(SINCE), 6)])
    assert len(report(owner).rows) == 4
    assert _count(owner) == small == QUERIES  # one aggregate per group of figures


def d(month: int, day: int, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, day)


def test_measure_figures_by_hand(owner):
    scheduling = library("Activity Scheduling")
    # Plans start on 5 Jan 2026; the period is 1 Mar - 31 May.
    # Baseline the last score on or before the start (20), latest in the period 8: -12, a response.
    measured_objective(owner, [scheduling], scores=[(d(1, 2), 20), (d(4, 1), 8)])
    # No score before the start: the first after it (15); 31 May is in the period: -12, response and remission.
    measured_objective(owner, [scheduling], scores=[(d(1, 10), 15), (d(3, 20), 4), (d(5, 31), 3)])
    # The objective's own baseline (18); 1 Jun is after the period: latest 10, -8, no response (10 > 9).
    measured_objective(owner, [scheduling], baseline=18, scores=[(d(2, 1), 12), (d(3, 5), 10), (d(6, 1), 2)])
    # A score on the start day is the baseline (12): latest 6, -6, a response (exactly half).
    measured_objective(owner, [scheduling], scores=[(d(12, 20, 2025), 10), (d(1, 5), 12), (d(4, 10), 6)])
    # GAD-7 9 -> 11: +2.
    measured_objective(owner, [scheduling], instrument="gad7", scores=[(d(1, 1), 9), (d(5, 1), 11)])
    # PCL-5 50 -> 24: -26, a response; it has no remission threshold, so it is left out of that rate.
    measured_objective(owner, [scheduling], instrument="pcl5", target=20, scores=[(d(1, 1), 50), (d(4, 1), 24)])
    # No score in the period: in the patient count, not in the measure figures.
    measured_objective(owner, [scheduling], scores=[(d(2, 1), 14), (d(6, 2), 5)])

    figures = row(owner, "Activity Scheduling")
    assert figures.patients == Figure(7, False)
    assert figures.mean_score_change == Figure(-10.3, False)  # (-12 - 12 - 8 - 6 + 2 - 26) / 6
    assert figures.response_rate == Figure(66.7, False)  # 4 of 6
    assert figures.remission_rate == Figure(20.0, False)  # 1 of 5 (the PCL-5 left out)


def test_measure_figures_of_four_patients_are_withheld(owner):
    scheduling = library("Activity Scheduling")
    for _ in range(4):
        measured_objective(owner, [scheduling], scores=[(d(1, 2), 20), (d(4, 1), 8)])
    measured_objective(owner, [scheduling], instrument="pcl5", target=20, scores=[(d(1, 1), 50), (d(4, 1), 24)])
    figures = row(owner, "Activity Scheduling")
    assert figures.mean_score_change == Figure(-14.8, False)  # five patients: (-12 * 4 - 26) / 5
    assert figures.response_rate == Figure(100.0, False)
    assert figures.remission_rate == HIDDEN  # four PHQ-9 patients

    measured_objective(owner, [scheduling], scores=[(d(1, 2), 9), (d(4, 1), 4)])
    assert row(owner, "Activity Scheduling").remission_rate == Figure(20.0, False)  # 1 of 5


def test_a_superuser_sees_their_own_practice_only(owner, other_practice):
    from tests.factories import UserFactory

    breathing = library("Deep Breathing")
    harbor = UserFactory(practice=other_practice, email="therapist@harbor.example")
    for _ in range(5):
        patient_goal(owner, [breathing], rating=4)
        patient_goal(harbor, [breathing], rating=1)
    root = UserFactory(practice=owner.practice, email="root@riverside.example", is_superuser=True)
    assert row(root, "Deep Breathing").patients == Figure(5, False)
    assert row(root, "Deep Breathing").mean_rating == Figure(4.0, False)
