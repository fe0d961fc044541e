"""Reviews awaiting a supervisor's co-signature: the in-app notification a review sends, its settling when the
review is co-signed, and the dashboard's "Reviews awaiting your co-signature" section.

The cast (tests/conftest.py): `owner` treats `patient` (Emily Carter, "Anxiety Management Plan") and is
supervised by `supervisor`; `colleague` has no supervisor; `outsider_admin` runs another practice.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.audit import AuditContext
from accounts.models import AuditEvent, User
from reviews.models import Notification, PlanReview
from reviews.selectors import reviews_awaiting_cosign
from reviews.services.reviews import review_cosign, review_record
from tests.factories import PatientFactory, PlanFactory
from treatment.models import PlanStatus, TreatmentPlan

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"
SECTION = "Reviews awaiting your co-signature"


def by(user):
    return AuditContext.system("tests", user=user)


def record(user, plan, days_ago=0, summary="Worry down; sleep still poor."):
    today = plan.patient.practice.today()
    return review_record(by=by(user), plan=plan, review_date=today - datetime.timedelta(days=days_ago), summary=summary)


def requests_to(user):
    return Notification.objects.filter(recipient=user, kind="cosign_requested")


def dashboard_html(client, user):
    client.force_login(user)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return response, response.content.decode()


# --- the notification --------------------------------------------------------------------------


def test_recording_a_review_asks_the_supervisor_once_without_phi(owner, supervisor, patient, plan, tree):
    review = record(owner, plan)

    request = requests_to(supervisor).get()
    assert request.read_at is None
    assert request.plan == plan
    assert request.link == f"/plans/{plan.pk}/"
    assert request.title == "Review to co-sign — E.C."
    reviewed_on = f"{review.review_date.day} {review.review_date:%b %Y}"
    assert request.body == (
        f"{owner.get_full_name()} reviewed the treatment plan for E.C. on {reviewed_on}; it awaits your co-signature."
    )
    text = f"{request.title} {request.body}"
    for phi in ("Emily", "Carter", "Anxiety Management Plan", "F41.1"):
        assert phi not in text
    # In-app only, and nobody else is asked.
    assert request.emailed_at is None
    assert not Notification.objects.filter(kind="cosign_requested").exclude(recipient=supervisor).exists()


def test_each_review_asks_again(owner, supervisor, plan, tree):
    record(owner, plan, days_ago=10)
    record(owner, plan)

    assert requests_to(supervisor).unread().count() == 2


def test_no_request_when_the_therapist_has_no_supervisor(owner, plan, tree):
    owner.supervisor = None
    owner.save()

    record(owner, plan)

    assert not Notification.objects.filter(kind="cosign_requested").exists()


def test_no_request_to_an_inactive_supervisor(owner, supervisor, plan, tree):
    User.objects.filter(pk=supervisor.pk).update(is_active=False)
    owner.refresh_from_db()

    record(owner, plan)

    assert not Notification.objects.filter(kind="cosign_requested").exists()


def test_a_supervisor_reviewing_a_supervisees_plan_is_not_asked_to_cosign_it(owner, supervisor):
    # On the care team, the supervisor may change the plan, and reviews it; nobody co-signs their own review.
    patient = PatientFactory(primary_therapist=owner, first_name="Ben", last_name="Adams", care_team=[supervisor])
    plan = PlanFactory(patient=patient)
    record(supervisor, plan)

    assert not Notification.objects.filter(kind="cosign_requested").exists()
    assert list(reviews_awaiting_cosign(supervisor)) == []


def test_no_request_to_a_supervisor_who_cannot_see_the_patient(owner, outsider_admin, plan, tree):
    # Bad data (another practice's user as supervisor, bypassing the model's validation) must leak nothing.
    User.objects.filter(pk=owner.pk).update(supervisor=outsider_admin)
    owner.refresh_from_db()

    record(owner, plan)

    assert not Notification.objects.filter(kind="cosign_requested").exists()
    assert list(reviews_awaiting_cosign(outsider_admin)) == []


def test_cosigning_marks_the_request_read(owner, supervisor, plan, tree):
    review = record(owner, plan)
    other_plan = PlanFactory(patient=PatientFactory(primary_therapist=owner, first_name="Ben", last_name="Adams"))
    other = record(owner, other_plan)

    review_cosign(by=by(supervisor), review=review)

    assert requests_to(supervisor).get(plan=plan).read_at is not None
    # The request about the other plan's review still stands.
    assert requests_to(supervisor).get(plan=other_plan).read_at is None
    assert PlanReview.objects.get(pk=other.pk).cosigned_by is None


def test_the_requests_stay_unread_while_another_review_of_the_plan_awaits(owner, supervisor, plan, tree):
    first = record(owner, plan, days_ago=10)
    second = record(owner, plan)

    review_cosign(by=by(supervisor), review=first)
    assert requests_to(supervisor).unread().count() == 2

    review_cosign(by=by(supervisor), review=second)
    assert requests_to(supervisor).unread().count() == 0


def test_cosigning_from_the_plan_page_marks_the_request_read(client, owner, supervisor, plan, tree):
    review = record(owner, plan)
    client.force_login(supervisor)

    response = client.post(f"/reviews/{review.pk}/cosign/")

    assert response.status_code == 302
    assert requests_to(supervisor).get().read_at is not None


# --- the dashboard section ---------------------------------------------------------------------


def test_the_supervisor_sees_the_review_awaiting_their_cosignature(client, owner, supervisor, plan, tree):
    review = record(owner, plan, days_ago=3)

    response, html = dashboard_html(client, supervisor)

    assert response.context["awaiting_cosign"] == [review]
    section = html[html.index('id="awaiting-cosign-heading"') :]
    section = section[: section.index("</section>")]
    assert SECTION in section
    assert "Carter, Emily" in section
    assert f'href="/plans/{plan.pk}/"' in section and "Anxiety Management Plan" in section
    assert f"{review.review_date:%Y-%m-%d}" in section
    assert owner.get_full_name() in section
    # Co-signing happens on the plan page (the co-sign view always returns there).
    assert f'href="/plans/{plan.pk}/#plan-reviews-heading"' in section


def test_the_section_lists_newest_first(client, owner, supervisor, plan, tree):
    older = record(owner, plan, days_ago=20)
    newer_plan = PlanFactory(patient=PatientFactory(primary_therapist=owner, first_name="Ben", last_name="Adams"))
    newer = record(owner, newer_plan, days_ago=1)

    assert list(reviews_awaiting_cosign(supervisor)) == [newer, older]


def test_a_closed_plans_review_still_awaits(client, owner, supervisor, plan, tree):
    review = record(owner, plan)
    TreatmentPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.COMPLETED)

    response, html = dashboard_html(client, supervisor)

    assert response.context["awaiting_cosign"] == [review]
    assert f'href="/plans/{plan.pk}/"' in html


@pytest.mark.parametrize("role", ["owner", "colleague", "practice_admin", "outsider_admin"])
def test_nobody_but_the_supervisor_sees_the_section(client, cast, plan, tree, role):
    record(cast["owner"], plan)

    response, html = dashboard_html(client, cast[role])

    assert response.context["awaiting_cosign"] == []
    assert SECTION not in html
    assert 'id="awaiting-cosign-heading"' not in html


def test_after_cosigning_the_review_leaves_the_section(client, owner, supervisor, plan, tree):
    review = record(owner, plan)
    client.force_login(supervisor)
    client.post(f"/reviews/{review.pk}/cosign/")

    response, html = dashboard_html(client, supervisor)

    assert response.context["awaiting_cosign"] == []
    assert SECTION not in html


def test_the_dashboard_records_a_view_of_the_plans_in_the_section(client, owner, supervisor, plan, tree):
    record(owner, plan)
    TreatmentPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.COMPLETED)  # not in the caseload
    before = list(AuditEvent.objects.values_list("pk", flat=True))

    dashboard_html(client, supervisor)

    viewed = AuditEvent.objects.exclude(pk__in=before).filter(action="view", user=supervisor)
    assert list(viewed.values_list("object_type", "object_id")) == [("treatment.treatmentplan", str(plan.pk))]


def test_a_plan_in_both_the_caseload_and_the_section_is_audited_once(client, owner, supervisor, plan, tree):
    record(owner, plan)  # the plan is active: on the supervisor's caseload too
    before = list(AuditEvent.objects.values_list("pk", flat=True))

    dashboard_html(client, supervisor)

    viewed = AuditEvent.objects.exclude(pk__in=before).filter(action="view", object_id=str(plan.pk))
    assert viewed.count() == 1


def test_the_selector_is_one_query(owner, supervisor, plan, tree, django_assert_num_queries):
    record(owner, plan)

    with django_assert_num_queries(1):
        rows = list(reviews_awaiting_cosign(supervisor))
        [(r.plan.patient.initials, r.plan.title, r.reviewer.get_full_name()) for r in rows]


def _dashboard_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(DASHBOARD).status_code == 200
    return len(queries)


def test_the_dashboard_costs_the_same_for_1_and_5_awaiting_reviews(client, owner, supervisor):
    def add_reviewed_plans(count, start):
        for index in range(start, start + count):
            patient = PatientFactory(primary_therapist=owner, first_name=f"N{index}", last_name="Many")
            record(owner, PlanFactory(patient=patient))

    add_reviewed_plans(1, 0)
    _dashboard_queries(client, supervisor)  # warm the per-process caches
    few = _dashboard_queries(client, supervisor)
    add_reviewed_plans(4, 1)
    many = _dashboard_queries(client, supervisor)

    assert len(reviews_awaiting_cosign(supervisor)) == 5
    assert many == few
