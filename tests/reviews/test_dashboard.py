"""The dashboard: needs review (overdue first), the caseload by role, Treatment Plan Currency, audit, query counts.

The cast (tests/conftest.py): `owner` is supervised by `supervisor`; `colleague` has no supervisor;
`practice_admin` runs Riverside; `outsider_admin` runs Harbor. Review dates are set relative to the
practice's today, so the statuses hold whatever day the suite runs.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.audit import AuditContext
from accounts.models import AuditEvent, Patient
from reviews.models import Notification, PlanReview
from reviews.selectors import Currency, caseload, plan_currency
from tests.factories import PatientFactory, PlanFactory, UserFactory
from treatment.models import PlanStatus, TreatmentPlan

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"


def plan_due_in(patient, days, *, title=None, today=None, **fields):
    """An active plan of `patient` whose next review is `days` from today (negative: overdue)."""
    today = today or patient.practice.today()
    plan = PlanFactory(
        patient=patient,
        title=title or f"Plan of {patient.first_name}",
        start_date=today - datetime.timedelta(days=200),
        next_review_date=today + datetime.timedelta(days=days),
    )
    if fields:
        TreatmentPlan.objects.filter(pk=plan.pk).update(**fields)
        plan.refresh_from_db()
    return plan


@pytest.fixture
def today(practice):
    return practice.today()


@pytest.fixture
def owners_plans(owner, patient, practice):
    """The owner's caseload: one plan overdue, one due today, one due soon, one current, one beyond the lead."""
    practice.review_reminder_lead_days = 10
    practice.save()
    return {
        "overdue": plan_due_in(patient, -3, title="Anxiety Management Plan"),
        "due": plan_due_in(PatientFactory(primary_therapist=owner, first_name="Ben", last_name="Adams"), 0),
        "soon": plan_due_in(PatientFactory(primary_therapist=owner, first_name="Cara", last_name="Bell"), 9),
        "later": plan_due_in(PatientFactory(primary_therapist=owner, first_name="Dan", last_name="Cole"), 11),
        "long_overdue": plan_due_in(PatientFactory(primary_therapist=owner, first_name="Eve", last_name="Dunn"), -40),
    }


@pytest.fixture
def others_plans(practice, other_practice, supervisor, colleague, outsider_admin):
    harbor_therapist = UserFactory(practice=other_practice, email="therapist@harbor.example")
    return {
        "supervisor": plan_due_in(
            PatientFactory(primary_therapist=supervisor, first_name="Sam", last_name="Stone"), 30, title="Sam's plan"
        ),
        "colleague": plan_due_in(
            PatientFactory(primary_therapist=colleague, first_name="Cole", last_name="Moss"), -1, title="Cole's plan"
        ),
        "harbor": plan_due_in(
            PatientFactory(primary_therapist=harbor_therapist, first_name="Hana", last_name="Reed"),
            -5,
            title="Harbor plan",
        ),
    }


def get_dashboard(client, user):
    client.force_login(user)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return response


def test_home_sends_a_signed_in_user_to_the_dashboard(client, owner):
    client.force_login(owner)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD


def test_signing_in_lands_on_the_dashboard(client, owner, password):
    response = client.post("/accounts/login/", {"username": owner.email, "password": password}, follow=True)

    assert response.redirect_chain[-1][0] == DASHBOARD
    assert response.status_code == 200
    assert response.templates[0].name == "reviews/dashboard.html"


def test_the_dashboard_asks_signed_out_visitors_to_sign_in(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_therapist_sees_their_active_plans_with_progress_and_review(client, owner, owners_plans, others_plans):
    TreatmentPlan.objects.filter(pk=owners_plans["overdue"].pk).update(overall_progress=40)
    closed = plan_due_in(
        PatientFactory(primary_therapist=owner, first_name="Finn", last_name="Gray"), -9, status=PlanStatus.COMPLETED
    )

    response = get_dashboard(client, owner)

    board = response.context["caseload"]
    assert board.scope == "therapist"
    assert {row.plan for row in board.mine} == set(owners_plans.values())
    assert board.groups == []
    html = response.content.decode()
    assert "My caseload" in html
    overdue = owners_plans["overdue"]
    assert f'href="/plans/{overdue.pk}/"' in html
    assert "Anxiety Management Plan" in html
    assert f'href="/patients/{overdue.patient.pk}/"' in html
    assert '<progress max="100" value="40"' in html
    assert "was due" in html and "(3 days ago)" in html
    # Closed plans and other therapists' plans are not on a therapist's dashboard.
    for plan in [closed, *others_plans.values()]:
        assert plan.title not in html
        assert f"/plans/{plan.pk}/" not in html


def test_needs_review_lists_overdue_first_then_due_today_then_due_within_the_lead_days(
    client, owner, owners_plans, today
):
    response = get_dashboard(client, owner)

    needs_review = response.context["caseload"].needs_review
    assert [row.plan for row in needs_review] == [
        owners_plans["long_overdue"],
        owners_plans["overdue"],
        owners_plans["due"],
        owners_plans["soon"],
    ]
    assert [row.review for row in needs_review] == ["overdue", "overdue", "due", "due_soon"]
    # 11 days away is beyond the practice's 10 lead days: current, not on the list.
    assert owners_plans["later"].pk not in {row.plan.pk for row in needs_review}
    html = response.content.decode()
    section = html[html.index('id="needs-review-heading"') : html.index('id="caseload-heading"')]
    positions = [section.index(f"/plans/{owners_plans[key].pk}/") for key in ("long_overdue", "overdue", "due", "soon")]
    assert positions == sorted(positions)
    assert f"/plans/{owners_plans['later'].pk}/" not in section


def test_the_lead_days_come_from_the_practice(client, owner, practice, patient, today):
    practice.review_reminder_lead_days = 3
    practice.save()
    plan = plan_due_in(patient, 5)

    assert caseload(owner, today).needs_review == []

    practice.review_reminder_lead_days = 5
    practice.save()
    owner.refresh_from_db()
    assert [row.plan for row in caseload(owner, today).needs_review] == [plan]


def test_a_supervisor_sees_their_own_caseload_and_their_supervisees_plans_by_therapist(
    client, supervisor, owner, owners_plans, others_plans
):
    response = get_dashboard(client, supervisor)

    board = response.context["caseload"]
    assert board.scope == "supervisor"
    assert [row.plan for row in board.mine] == [others_plans["supervisor"]]
    assert [group.therapist for group in board.groups] == [owner]
    assert {row.plan for row in board.groups[0].plans} == set(owners_plans.values())
    assert board.groups[0].needing_review == 4
    html = response.content.decode()
    assert "My supervisees' plans" in html
    assert owner.get_full_name() in html
    # The colleague is not their supervisee; Harbor is another practice.
    assert "Cole's plan" not in html
    assert "Harbor plan" not in html
    # Overdue supervisee plans are on the supervisor's "Needs review" too, with the therapist named.
    needs_review = [row.plan for row in board.needs_review]
    assert owners_plans["long_overdue"] in needs_review
    assert others_plans["colleague"] not in needs_review


def test_a_practice_admin_sees_the_whole_practice_by_therapist_in_figures(
    client, practice_admin, owner, supervisor, colleague, owners_plans, others_plans
):
    response = get_dashboard(client, practice_admin)

    board = response.context["caseload"]
    assert board.scope == "practice"
    assert board.mine == [] and board.groups == []
    figures = {row.therapist_id: (row.active, row.overdue, row.due, row.due_soon) for row in board.summary}
    # The owner: overdue, long overdue, due today, due in 9 days (lead 10), due in 11 days.
    assert figures == {owner.pk: (5, 2, 1, 1), supervisor.pk: (1, 0, 0, 0), colleague.pk: (1, 1, 0, 0)}
    html = response.content.decode()
    assert "Practice caseload by therapist" in html
    assert "My caseload" not in html
    assert "Harbor plan" not in html
    # Needs review: every urgent plan of the practice, overdue first; the current ones are only counted.
    assert [row.plan for row in board.needs_review] == [
        owners_plans["long_overdue"],
        owners_plans["overdue"],
        others_plans["colleague"],
        owners_plans["due"],
        owners_plans["soon"],
    ]
    assert board.needs_review_total == 5
    assert str(others_plans["supervisor"].pk) not in html and str(owners_plans["later"].pk) not in html


def test_a_large_practice_shows_only_the_most_urgent_plans(client, practice_admin, owners_plans, monkeypatch):
    monkeypatch.setattr("reviews.selectors.NEEDS_REVIEW_LIMIT", 2)

    response = get_dashboard(client, practice_admin)

    board = response.context["caseload"]
    assert [row.plan for row in board.needs_review] == [owners_plans["long_overdue"], owners_plans["overdue"]]
    assert board.needs_review_total == 4
    assert "The 2 most urgent of 4" in response.content.decode()
    # Only the plans named on the page are reads of their patients' records.
    viewed = set(AuditEvent.objects.filter(user=practice_admin, action="view").values_list("object_id", flat=True))
    assert viewed == {str(owners_plans["long_overdue"].pk), str(owners_plans["overdue"].pk)}


def test_an_admin_of_another_practice_sees_nothing_of_this_one(client, outsider_admin, owners_plans, others_plans):
    response = get_dashboard(client, outsider_admin)

    board = response.context["caseload"]
    assert [plan.title for plan in board.plans] == ["Harbor plan"]
    html = response.content.decode()
    for plan in [*owners_plans.values(), others_plans["supervisor"], others_plans["colleague"]]:
        assert str(plan.pk) not in html
        # As the dashboard writes a patient (a last name alone may also be a staff member's random one).
        assert f"{plan.patient.last_name}, {plan.patient.first_name}" not in html
        assert plan.patient.get_absolute_url() not in html
    currency = response.context["currency"]
    assert (currency.current, currency.total) == (0, 1)


def test_currency_counts_active_patients_with_an_active_plan_whose_review_is_not_overdue(owner, patient, today):
    plan_due_in(patient, 0)  # due today: still current
    plan_due_in(PatientFactory(primary_therapist=owner, first_name="Ben", last_name="Adams"), 20)
    PatientFactory(primary_therapist=owner, first_name="Nora", last_name="Plan")  # no plan at all
    plan_due_in(PatientFactory(primary_therapist=owner, first_name="Otto", last_name="Late"), -1)  # overdue
    on_hold = PatientFactory(primary_therapist=owner, first_name="Hal", last_name="Hold")
    plan_due_in(on_hold, 30, status=PlanStatus.ON_HOLD)  # not an active plan
    no_date = PatientFactory(primary_therapist=owner, first_name="Ned", last_name="Nodate")
    plan_due_in(no_date, 30, next_review_date=None)  # no review date: never overdue
    both = PatientFactory(primary_therapist=owner, first_name="Bo", last_name="Both")
    plan_due_in(both, -10)
    plan_due_in(both, 10)  # one current plan is enough
    inactive = PatientFactory(primary_therapist=owner, first_name="Ina", last_name="Away")
    Patient.objects.filter(pk=inactive.pk).update(status=Patient.Status.INACTIVE)  # not an active patient

    currency = plan_currency(owner, today)

    # Current: Emily, Ben, Ned, Bo. Not: Nora (no plan), Otto (overdue), Hal (on hold). Ina is not active.
    assert (currency.current, currency.total) == (4, 7)
    assert currency.percent == 57


def test_the_currency_figure_reads_as_numerator_denominator_and_percentage(client, owner, patient):
    for index in range(12):
        plan_due_in(PatientFactory(primary_therapist=owner, first_name=f"P{index}", last_name="Current"), 30)
    plan_due_in(patient, -2)
    PatientFactory(primary_therapist=owner, first_name="Nora", last_name="Plan")

    response = get_dashboard(client, owner)

    assert "12 of 14 active patients (86%) have a current plan" in response.content.decode()


def test_currency_follows_the_scope_of_the_dashboard(owner, supervisor, colleague, practice_admin, patient, today):
    plan_due_in(patient, 10)  # the owner's: current
    PatientFactory(primary_therapist=supervisor, first_name="Sam", last_name="Stone")  # the supervisor's: no plan
    plan_due_in(PatientFactory(primary_therapist=colleague, first_name="Cole", last_name="Moss"), -1)  # overdue

    assert plan_currency(owner, today) == Currency(current=1, total=1)
    assert plan_currency(supervisor, today) == Currency(current=1, total=2)
    assert plan_currency(colleague, today) == Currency(current=0, total=1)
    assert plan_currency(practice_admin, today) == Currency(current=1, total=3)


def test_without_active_patients_there_is_no_percentage(client, colleague):
    response = get_dashboard(client, colleague)

    assert response.context["currency"].percent is None
    assert "No active patients in your caseload." in response.content.decode()


def test_the_dashboard_records_a_view_of_every_plan_it_shows(client, supervisor, owners_plans, others_plans):
    before = list(AuditEvent.objects.values_list("pk", flat=True))

    get_dashboard(client, supervisor)

    events = list(AuditEvent.objects.exclude(pk__in=before))
    viewed = {event.object_id for event in events if event.action == "view"}
    shown = {str(plan.pk) for plan in [*owners_plans.values(), others_plans["supervisor"]]}
    assert viewed == shown
    assert all(event.channel == "web" and event.user == supervisor for event in events)
    assert {event.object_type for event in events} == {"treatment.treatmentplan"}


def test_the_dashboard_lists_the_latest_five_unread_notifications(client, owner):
    for index in range(7):
        Notification.objects.create(recipient=owner, kind="review_due", title=f"Reminder {index}", link="/plans/")
    Notification.objects.create(recipient=owner, kind="review_due", title="Already read", read_at="2026-01-01T00:00Z")

    response = get_dashboard(client, owner)

    titles = [notification.title for notification in response.context["latest_notifications"]]
    assert len(titles) == 5
    assert "Already read" not in titles
    html = response.content.decode()
    assert 'href="/notifications/"' in html
    assert "7 unread" in html


def _queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(DASHBOARD).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["owner", "supervisor", "practice_admin"])
def test_the_dashboard_costs_the_same_queries_for_2_and_20_plans(client, cast, owner, colleague, supervisor, role):
    user = cast[role]
    therapists = [owner, supervisor, colleague]

    def add_plans(count):
        for index in range(count):
            therapist = therapists[index % len(therapists)] if role == "practice_admin" else owner
            patient = PatientFactory(primary_therapist=therapist, first_name=f"N{index}", last_name="Many")
            plan = plan_due_in(patient, (index % 5) * 4 - 6)
            Notification.objects.create(recipient=user, kind="review_due", title=f"N{index}", link="/plans/")
            # A review by the plan's therapist, not co-signed: the supervisor's "awaiting co-signature" rows.
            PlanReview.objects.create(
                plan=plan,
                review_date=plan.start_date,
                reviewer=therapist,
                summary="Reviewed.",
                next_review_date=plan.start_date + datetime.timedelta(days=90),
                version=1,
            )

    add_plans(2)
    few = _queries(client, user)
    add_plans(18)
    many = _queries(client, user)

    if role == "supervisor":
        # Every plan is the owner's: each of its reviews awaits the supervisor's co-signature.
        assert len(client.get(DASHBOARD).context["awaiting_cosign"]) == 20
    assert many == few
    # With the audit append (the chain's end, then the INSERT), the measures due (the plans' instruments) and the
    # plans awaiting signatures.
    # The notifications are unread: the header's count and the latest list each look up that there are some
    # before reading those the user may see.
    assert few == {"owner": 17, "supervisor": 16, "practice_admin": 17}[role]


def test_caseload_reads_its_plans_in_one_query(owner, owners_plans, today, django_assert_num_queries):
    with django_assert_num_queries(1):
        board = caseload(owner, today)
        [(plan.patient.practice.review_reminder_lead_days, plan.therapist.email) for plan in board.plans]


def test_currency_is_one_query(owner, owners_plans, today, django_assert_num_queries):
    with django_assert_num_queries(1):
        plan_currency(owner, today)


def test_plans_created_by_the_service_show_up_with_their_first_review(client, owner, patient):
    from treatment.services import plan_create

    plan = plan_create(
        by=AuditContext.system("tests"), patient=patient, title="Fresh plan", start_date=patient.practice.today()
    )

    response = get_dashboard(client, owner)

    board = response.context["caseload"]
    assert plan in [row.plan for row in board.mine]
    assert plan not in [row.plan for row in board.needs_review]
