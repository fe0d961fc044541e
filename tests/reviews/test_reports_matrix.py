"""The permission matrix of progress reports: every API path and page x every member of the cast.

Reading the plan is what a report asks for: the care team (`owner`), the supervisor and the practice admin
read, ask for and download reports; a colleague off the care team and another practice's admin get 404 on
every path (the report's existence is not disclosed), and a denied request writes nothing: no report, no
audit event. Unauthenticated API calls are 401 and pages send to the login. Each API path is tested in one form;
that it answers with and without a trailing slash is tests/config/test_routes.py's.
"""

import pytest
from django.core.files.base import ContentFile
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import AuditEvent
from reviews.models import ProgressReport, ReportStatus
from tests.factories import make_plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]
SEES = {"owner": True, "colleague": False, "supervisor": True, "practice_admin": True, "outsider_admin": False}
FAKE_PDF = b"%PDF-1.7\n% a stand-in: access is what these tests are about\n%%EOF\n"


def make_ready_report(plan, owner):
    """A ready report of the owner's plan (its file is a stand-in: rendering is tested elsewhere)."""
    report = ProgressReport(plan=plan, period_start=plan.start_date, period_end=plan.start_date, requested_by=owner)
    report.file.save("progress-report-2026-09-01-abcdef12.pdf", ContentFile(FAKE_PDF), save=False)
    report.status = ReportStatus.READY
    report.save()
    return report


@pytest.fixture
def ready_report(plan, owner):
    return make_ready_report(plan, owner)


def _events(action):
    return AuditEvent.objects.filter(action=action, object_type="reviews.progressreport")


# --- API ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_api_ask(role, cast, api, plan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = api.as_(cast[role]).post(f"/api/v1/treatment-plans/{plan.pk}/progress-reports", {}, format="json")
    if SEES[role]:
        assert response.status_code == 202
        assert ProgressReport.objects.get().requested_by == cast[role]
        assert len(queued) == 1
    else:
        assert response.status_code == 404
        assert not ProgressReport.objects.exists()
        assert not queued
        assert not _events(AuditEvent.Action.CREATE).exists()


def test_api_unknown_ids_are_404(api, owner):
    client = api.as_(owner)
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(f"/api/v1/progress-reports/{missing}").status_code == 404
    assert client.get(f"/api/v1/progress-reports/{missing}/pdf").status_code == 404
    assert client.post(f"/api/v1/treatment-plans/{missing}/progress-reports", {}).status_code == 404


# --- pages -------------------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_page_ask(role, cast, plan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = _client(cast[role]).post(f"/plans/{plan.pk}/reports/", {"period_start": "", "period_end": ""})
    if SEES[role]:
        assert response.status_code == 302
        assert response["Location"] == f"/plans/{plan.pk}/#plan-reports"
        assert ProgressReport.objects.get().requested_by == cast[role]
        assert len(queued) == 1
    else:
        assert response.status_code == 404
        assert not ProgressReport.objects.exists()
        assert not queued


def test_asking_without_logging_in_writes_nothing(plan):
    response = Client().post(f"/plans/{plan.pk}/reports/", {})
    assert response.status_code == 302
    assert not ProgressReport.objects.exists()


class TestReads:
    """The cells that only read, on one cast, plan and ready report built once for them all (`shared_cast`,
    tests/conftest.py; the report's file in a media folder of the class's): each runs in a savepoint of the class's
    transaction, so the audit event a read writes is gone before the next."""

    @pytest.fixture(scope="class")
    @classmethod
    def shared_data(cls, shared_cast, tmp_path_factory):
        plan = make_plan(shared_cast["patient"])
        media = tmp_path_factory.mktemp("media")
        with override_settings(MEDIA_ROOT=media):
            report = make_ready_report(plan, shared_cast["owner"])
        return {**shared_cast, "plan": plan, "ready_report": report, "media_root": media}

    @pytest.fixture
    def media_root(self, settings, shared):
        settings.MEDIA_ROOT = shared["media_root"]
        return settings.MEDIA_ROOT

    @pytest.fixture
    def cast(self, shared):
        return shared["cast"]

    @pytest.fixture
    def owner(self, shared):
        return shared["owner"]

    @pytest.fixture
    def plan(self, shared):
        return shared["plan"]

    @pytest.fixture
    def ready_report(self, shared):
        return shared["ready_report"]

    # --- API -----------------------------------------------------------------------------------

    @pytest.mark.parametrize("role", ROLES)
    def test_api_list(self, role, cast, api, plan, ready_report):
        response = api.as_(cast[role]).get(f"/api/v1/treatment-plans/{plan.pk}/progress-reports")
        if SEES[role]:
            assert response.status_code == 200
            assert [r["id"] for r in response.json()["results"]] == [str(ready_report.pk)]
            assert _events(AuditEvent.Action.VIEW).filter(user=cast[role]).count() == 1
        else:
            assert response.status_code == 404
            assert not _events(AuditEvent.Action.VIEW).exists()

    @pytest.mark.parametrize("role", ROLES)
    def test_api_status(self, role, cast, api, ready_report):
        response = api.as_(cast[role]).get(f"/api/v1/progress-reports/{ready_report.pk}")
        if SEES[role]:
            assert response.status_code == 200
            assert response.json()["status"] == "ready"
            assert _events(AuditEvent.Action.VIEW).filter(user=cast[role], object_id=str(ready_report.pk)).exists()
        else:
            assert response.status_code == 404
            assert not _events(AuditEvent.Action.VIEW).exists()

    @pytest.mark.parametrize("role", ROLES)
    def test_api_pdf(self, role, cast, api, ready_report):
        response = api.as_(cast[role]).get(f"/api/v1/progress-reports/{ready_report.pk}/pdf")
        if SEES[role]:
            assert response.status_code == 200
            assert response["Content-Type"] == "application/pdf"
            assert b"".join(response.streaming_content) == FAKE_PDF
            assert _events(AuditEvent.Action.EXPORT).get().user == cast[role]
        else:
            assert response.status_code == 404
            assert not _events(AuditEvent.Action.EXPORT).exists()

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/treatment-plans/{plan}/progress-reports",
            "/api/v1/progress-reports/{report}",
            "/api/v1/progress-reports/{report}/pdf",
        ],
    )
    def test_api_without_credentials_is_401(self, path, plan, ready_report):
        from rest_framework.test import APIClient

        response = APIClient().get(path.format(plan=plan.pk, report=ready_report.pk))
        assert response.status_code == 401

    # --- pages ---------------------------------------------------------------------------------

    @pytest.mark.parametrize("role", ROLES)
    def test_page_status(self, role, cast, ready_report):
        response = _client(cast[role]).get(f"/reports/{ready_report.pk}/")
        assert response.status_code == (200 if SEES[role] else 404)
        assert _events(AuditEvent.Action.VIEW).exists() == SEES[role]

    @pytest.mark.parametrize("role", ROLES)
    def test_page_pdf(self, role, cast, ready_report):
        response = _client(cast[role]).get(f"/reports/{ready_report.pk}/pdf/")
        if SEES[role]:
            assert response.status_code == 200
            assert response["Content-Type"] == "application/pdf"
            assert response["Content-Disposition"] == 'attachment; filename="progress-report-2026-09-01-abcdef12.pdf"'
            assert _events(AuditEvent.Action.EXPORT).get().channel == "web"
        else:
            assert response.status_code == 404
            assert not _events(AuditEvent.Action.EXPORT).exists()

    @pytest.mark.parametrize("path", ["/reports/{report}/", "/reports/{report}/pdf/"])
    def test_pages_send_strangers_to_the_login(self, path, ready_report):
        response = Client().get(path.format(report=ready_report.pk))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_the_ask_page_takes_only_post(self, owner, plan):
        assert _client(owner).get(f"/plans/{plan.pk}/reports/").status_code == 405
