"""Session narratives in the progress report: on by default (service, form, API), read back from the PDF."""

import datetime

import pytest

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.models import ProgressReport
from reviews.reports import report_context
from reviews.services.reports import report_render, report_request
from treatment.models import TherapySession
from treatment.services import session_addendum_add, session_record

pytestmark = pytest.mark.django_db

SESSION_NOTE = "Client described a panic episode on the train and used paced breathing."
ADDENDUM = "Correction: the episode was on the bus, not the train."


@pytest.fixture
def narrated(report_plan, owner, supervisor):
    """`report_plan` with its first session's notes written and an addendum on it, and a session with no notes."""
    plan = report_plan["plan"]
    by = AuditContext.system("tests", user=owner)
    first = TherapySession.objects.filter(plan=plan).order_by("session_date").first()
    TherapySession.objects.filter(pk=first.pk).update(notes=SESSION_NOTE)
    session_addendum_add(by=by, session=first, text=ADDENDUM)
    return report_plan


def _render(owner, plan, **options):
    report = report_request(by=AuditContext.system("tests", user=owner), plan=plan, **options)
    return report_render(report.pk)


def test_the_pdf_tells_each_sessions_story_by_default(narrated, owner, media_root, pdf_text):
    report = _render(owner, narrated["plan"])

    text = pdf_text(report.file.path)
    assert report.include_narratives is True
    assert "Session notes" in text
    assert SESSION_NOTE in text
    # Each goal's progress note, with its number in the tree and its rating.
    assert (
        "Practised twice this week" in text and "Six hours most nights" in text and "Daily practice most days" in text
    )
    assert "3/10" in text and "5/10" in text and "4/10" in text
    assert ADDENDUM in text and f"Addendum by {owner}" in text
    assert "No session notes were written." in text  # the second session
    # Sessions oldest first, and the addendum under its own session's notes.
    assert text.index(SESSION_NOTE) < text.index(ADDENDUM) < text.index("Daily practice most days")
    # A session's progress notes in the tree's reading order: the objective 1.1.1 before the short-term goal 1.2.
    assert text.index("1.1.1 Practice deep breathing") < text.index("1.2 Sleep seven hours") < text.index(ADDENDUM)


def test_without_narratives_the_pdf_keeps_the_figures_only(narrated, owner, media_root, pdf_text):
    report = _render(owner, narrated["plan"], include_narratives=False)

    text = pdf_text(report.file.path)
    assert "Sessions in this period" in text and "50 min" in text
    assert "Session notes" not in text
    assert SESSION_NOTE not in text and ADDENDUM not in text and "Practised twice this week" not in text


def test_the_request_is_audited_with_the_choice(owner, plan):
    report = report_request(by=AuditContext.system("tests", user=owner), plan=plan, include_narratives=False)

    event = AuditEvent.objects.get(object_id=str(report.pk), action="create")
    assert event.changes["include_narratives"] is False


def test_the_narratives_cost_two_queries_however_many_sessions(
    narrated, owner, django_assert_max_num_queries, django_assert_num_queries
):
    plan = narrated["plan"]
    report = report_request(by=AuditContext.system("tests", user=owner), plan=plan)
    figures_only = report_request(by=AuditContext.system("tests", user=owner), plan=plan, include_narratives=False)
    with django_assert_num_queries(8):  # the figures, the standardized scores among them
        report_context(figures_only)
    with django_assert_max_num_queries(10) as counted:
        context = report_context(report)
    assert len(context["narratives"]) == 2

    by = AuditContext.system("tests", user=owner)
    goal = narrated["breathing"]
    for days_ago in range(1, 6):
        session = session_record(
            by=by,
            patient=plan.patient,
            plan=plan,
            session_date=plan.patient.practice.today() - datetime.timedelta(days=days_ago),
            duration_minutes=30,
            notes=f"Session {days_ago}",
            progress=[{"goal": goal, "progress_note": f"Note {days_ago}", "rating": 5}],
        )
        session_addendum_add(by=by, session=session, text=f"Addendum {days_ago}")
    with django_assert_num_queries(len(counted.captured_queries)):
        context = report_context(report)
    assert len(context["narratives"]) == 7
    assert sum(len(n.addenda) for n in context["narratives"]) == 6


# --- the form and the API ------------------------------------------------------------------------


def test_the_form_offers_the_notes_ticked_and_honours_an_unticked_box(
    client, owner, plan, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    page = client.get(plan.get_absolute_url()).content.decode()
    assert 'name="include_narratives" checked' in page

    with django_capture_on_commit_callbacks():
        client.post(f"/plans/{plan.pk}/reports/", {"include_narratives": "on"})
        client.post(f"/plans/{plan.pk}/reports/", {})
    assert list(ProgressReport.objects.order_by("created_at").values_list("include_narratives", flat=True)) == [
        True,
        False,
    ]


def test_a_refused_form_keeps_the_box_as_it_was(client, owner, plan):
    client.force_login(owner)

    html = client.post(f"/plans/{plan.pk}/reports/", {"period_start": "2026-10-10", "period_end": "2026-10-01"})
    assert html.status_code == 400
    assert 'name="include_narratives" checked' not in html.content.decode()
    assert not ProgressReport.objects.exists()


def test_the_api_takes_the_option_and_shows_it(api, owner, plan, django_capture_on_commit_callbacks):
    client = api.as_(owner)
    url = f"/api/v1/treatment-plans/{plan.pk}/progress-reports"

    with django_capture_on_commit_callbacks():
        default = client.post(url, {}, format="json")
        without = client.post(url, {"include_narratives": False}, format="json")

    assert (default.status_code, default.json()["include_narratives"]) == (202, True)
    assert (without.status_code, without.json()["include_narratives"]) == (202, False)
    assert client.get(f"/api/v1/progress-reports/{without.json()['id']}").json()["include_narratives"] is False


def test_the_api_refuses_an_option_that_is_not_a_boolean(api, owner, plan):
    response = api.as_(owner).post(
        f"/api/v1/treatment-plans/{plan.pk}/progress-reports", {"include_narratives": "perhaps"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["include_narratives"]
    assert not ProgressReport.objects.exists()
