"""A therapist's dashboard costs the same whatever the size of the practice around their caseload (issue 16).

The owner's caseload stays two plans while the practice grows from those 2 patients to 200 (the colleague's and
the supervisor's patients, each with an active plan, a review awaiting co-signature and notifications of their
own): the owner's dashboard asks exactly the same queries and shows exactly the same plans.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Patient
from reviews.models import Notification, PlanReview
from tests.factories import PatientFactory, PlanFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"


def _plan(patient, days: int):
    today = patient.practice.today()
    return PlanFactory(
        patient=patient,
        title=f"Plan of {patient.first_name}",
        start_date=today - datetime.timedelta(days=200),
        next_review_date=today + datetime.timedelta(days=days),
    )


def _dashboard(client, user) -> tuple[int, list[str], int]:
    """(queries, the titles of the caseload's plans, the plans needing review) of one dashboard."""
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    board = response.context["caseload"]
    return len(queries), [row.plan.title for row in board.mine], len(board.needs_review)


def test_a_therapists_dashboard_costs_the_same_for_a_practice_of_2_and_of_200_patients(
    client, owner, colleague, supervisor, practice
):
    for index, days in enumerate((-3, 40)):
        _plan(PatientFactory(primary_therapist=owner, first_name=f"Own{index}", last_name="Caseload"), days)
    assert Patient.objects.filter(practice=practice).count() == 2
    small = _dashboard(client, owner)

    others = (colleague, supervisor)
    for index in range(198):
        therapist = others[index % 2]
        patient = PatientFactory(primary_therapist=therapist, first_name=f"P{index}", last_name="Practice")
        plan = _plan(patient, index % 60 - 10)
        if index % 10 == 0:
            PlanReview.objects.create(
                plan=plan,
                review_date=plan.start_date,
                reviewer=therapist,
                summary="Reviewed.",
                next_review_date=plan.start_date + datetime.timedelta(days=90),
                version=1,
            )
            Notification.objects.create(recipient=therapist, kind="review_due", title=f"N{index}", link="/plans/")
    assert Patient.objects.filter(practice=practice).count() == 200
    large = _dashboard(client, owner)

    assert large == small
    assert small[1:] == (["Plan of Own0", "Plan of Own1"], 1)
