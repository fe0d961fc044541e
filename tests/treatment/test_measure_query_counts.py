"""The pages that show scores read them once: the plan page, its goal tree, the session page and the patient page
cost the same number of queries for 3 goals as for 30 (each objective driven by a measure), and for 1 score as 10.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.audit import AuditContext
from reviews.models import Notification
from tests.factories import GoalFactory, PlanFactory
from treatment.services.measures import measurement_record

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def grow(plan, n):
    """`n` long-term goals, each with a short-term goal and an objective driven by the PHQ-9 (or the GAD-7)."""
    for i in range(n):
        long_term = GoalFactory(plan=plan, priority=1 + i % 10)
        short_term = GoalFactory(parent_goal=long_term, goal_type="short_term")
        GoalFactory(
            parent_goal=short_term,
            goal_type="objective",
            measure_instrument="phq9" if i % 2 == 0 else "gad7",
            measure_target_score=5,
        )


def score(by, patient, n, code="phq9"):
    today = patient.practice.today()
    items = 9 if code == "phq9" else 7
    for i in range(n):
        measurement_record(
            by=by,
            patient=patient,
            instrument=code,
            answers=[(i % 3)] * items,
            administered_on=today - datetime.timedelta(days=7 * (n - i)),
        )


def count(client, url, **extra):
    client.get(url, **extra)  # warm the session and per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


@pytest.fixture
def by(owner):
    return AuditContext.system("tests", user=owner)


def test_the_plan_page_and_its_tree_cost_the_same_for_3_and_30_goals(client, owner, patient, by):
    small, large = PlanFactory(patient=patient, title="Small"), PlanFactory(patient=patient, title="Large")
    grow(small, 1)
    grow(large, 10)
    score(by, patient, 3)
    score(by, patient, 2, "gad7")
    client.force_login(owner)

    few, small_page = count(client, reverse("plan-detail", args=[small.pk]))
    many, large_page = count(client, reverse("plan-detail", args=[large.pk]))

    assert small_page.count('class="goal-card ') == 3 and large_page.count('class="goal-card ') == 30
    assert large_page.count('class="score-chart"') == 10  # each driven objective's chart
    assert few == many
    tree_few, _ = count(client, reverse("plan-goal-tree", args=[small.pk]), **HTMX)
    tree_many, tree = count(client, reverse("plan-goal-tree", args=[large.pk]), **HTMX)
    assert tree.count("<svg") == 10 and tree_few == tree_many


def test_the_session_page_costs_the_same_for_3_and_30_goals(client, owner, patient, by):
    small, large = PlanFactory(patient=patient, title="Small"), PlanFactory(patient=patient, title="Large")
    grow(small, 1)
    grow(large, 10)
    score(by, patient, 2)
    client.force_login(owner)

    few, _ = count(client, reverse("session-record", args=[small.pk]))
    many, large_page = count(client, reverse("session-record", args=[large.pk]))

    assert large_page.count('name="phq9_item_1"') == 4 and large_page.count('name="gad7_item_1"') == 4
    assert "GAD-7 due" in large_page and "PHQ-9 due" not in large_page
    assert few == many


def test_the_patient_page_costs_the_same_for_1_and_10_scores(client, owner, patient, by):
    client.force_login(owner)
    # An unread notification from the start: a score can raise one, and the header counts them only when there are.
    Notification.objects.create(recipient=owner, kind="review_due", title="Review due for E.C.", link="/plans/")
    score(by, patient, 1)
    few, _ = count(client, patient.get_absolute_url())
    score(by, patient, 9)
    score(by, patient, 4, "gad7")
    many, page = count(client, patient.get_absolute_url())

    assert page.count('class="score-chart"') == 2
    assert few == many
