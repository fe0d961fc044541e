"""The progress report API: ask (202), follow the status, download the PDF (audited as an export)."""

import pytest

from accounts.models import AuditEvent
from reviews.models import ProgressReport, ReportStatus
from reviews.services.reports import report_render

pytestmark = pytest.mark.usefixtures("media_root")


def _reports_url(plan):
    return f"/api/v1/treatment-plans/{plan.pk}/progress-reports"


def _ask(api, user, plan, django_capture_on_commit_callbacks, **body):
    with django_capture_on_commit_callbacks(execute=True):
        return api.as_(user).post(_reports_url(plan), body, format="json")


def test_asking_answers_202_and_the_worker_makes_it_downloadable(
    api, owner, report_plan, celery_eager, django_capture_on_commit_callbacks, pdf_text
):
    plan = report_plan["plan"]
    today = plan.patient.practice.today()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = api.as_(owner).post(_reports_url(plan), {"period_end": str(today)}, format="json")
    assert response.status_code == 202, response.data
    body = response.json()
    assert body["status"] == "pending" and body["download_url"] is None
    assert body["plan_id"] == str(plan.pk) and body["period_end"] == str(today)
    assert body["requested_by_id"] == str(owner.pk)
    assert response["Location"] == f"http://testserver/api/v1/progress-reports/{body['id']}"
    assert len(queued) == 1

    queued[0]()  # the commit happens: `.delay()` runs the render in-process (celery_eager)
    status = api.get(f"/api/v1/progress-reports/{body['id']}").json()
    assert status["status"] == "ready" and status["error"] is None
    assert status["download_url"] == f"http://testserver/api/v1/progress-reports/{body['id']}/pdf"

    pdf = api.get(status["download_url"])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("attachment; filename=")
    assert "progress-report-" in pdf["Content-Disposition"] and "Carter" not in pdf["Content-Disposition"]
    content = b"".join(pdf.streaming_content)
    assert content.startswith(b"%PDF")
    assert plan.title in pdf_text(content)
    export = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (export.user, export.object_id, export.patient, export.channel) == (owner, body["id"], plan.patient, "api")


def test_a_client_that_accepts_only_pdf_gets_the_pdf_and_json_errors(api, owner, plan):
    from accounts.audit import AuditContext
    from reviews.services.reports import report_request

    report = report_request(by=AuditContext.system("tests", user=owner), plan=plan)
    url = f"/api/v1/progress-reports/{report.pk}/pdf"
    waiting = api.as_(owner).get(url, HTTP_ACCEPT="application/pdf")
    assert waiting.status_code == 409
    assert waiting["Content-Type"] == "application/json"
    assert waiting.json()["status"] == "pending"

    report_render(report.pk)
    ready = api.get(url, HTTP_ACCEPT="application/pdf")
    assert ready.status_code == 200 and ready["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("status", [ReportStatus.PENDING, ReportStatus.RENDERING, ReportStatus.FAILED])
def test_a_report_without_a_pdf_answers_409_and_is_not_exported(api, owner, plan, status):
    report = ProgressReport.objects.create(
        plan=plan, period_start=plan.start_date, period_end=plan.start_date, requested_by=owner, status=status
    )
    response = api.as_(owner).get(f"/api/v1/progress-reports/{report.pk}/pdf")
    assert response.status_code == 409
    assert response.json()["status"] == status
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_a_render_that_keeps_failing_is_retried_then_failed_with_its_reason(
    api, owner, plan, celery_eager, django_capture_on_commit_callbacks, monkeypatch
):
    calls = []

    def broken(html):
        calls.append(html)
        raise RuntimeError("the renderer crashed")

    monkeypatch.setattr("reviews.services.reports.render_pdf", broken)
    response = _ask(api, owner, plan, django_capture_on_commit_callbacks)
    assert response.status_code == 202

    report = ProgressReport.objects.get(pk=response.json()["id"])
    assert len(calls) == 3, "one attempt and two retries"
    assert (report.status, report.attempts) == (ReportStatus.FAILED, 3)
    assert not report.file
    status = api.get(f"/api/v1/progress-reports/{report.pk}").json()
    assert status["status"] == "failed"
    assert status["error"] == "RuntimeError: the renderer crashed"
    assert status["download_url"] is None
    pdf = api.get(f"/api/v1/progress-reports/{report.pk}/pdf")
    assert pdf.status_code == 409
    assert "the renderer crashed" in pdf.json()["detail"]


def test_a_render_that_fails_once_is_ready_after_its_retry(
    api, owner, plan, celery_eager, django_capture_on_commit_callbacks, monkeypatch
):
    from reviews.reports import pdf as real

    attempts = []

    def flaky(html):
        attempts.append(html)
        if len(attempts) == 1:
            raise OSError("disk full")
        return real.render_pdf(html)

    monkeypatch.setattr("reviews.services.reports.render_pdf", flaky)
    report_id = _ask(api, owner, plan, django_capture_on_commit_callbacks).json()["id"]
    report = ProgressReport.objects.get(pk=report_id)
    assert (report.status, report.attempts, report.error) == (ReportStatus.READY, 2, "")
    assert report.file


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period_start": "2026-10-10", "period_end": "2026-10-01"}, "period_start"),
        ({"period_end": "2999-01-01"}, "period_end"),
        ({"period_start": "not a date"}, "period_start"),
    ],
)
def test_a_bad_period_is_a_400_naming_the_field(api, owner, plan, body, field):
    response = api.as_(owner).post(_reports_url(plan), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ProgressReport.objects.exists()


def test_the_plans_reports_are_listed_newest_first_and_each_read_is_audited(
    api, owner, plan, django_capture_on_commit_callbacks
):
    first = _ask(api, owner, plan, django_capture_on_commit_callbacks, period_end="2026-10-31").json()
    second = _ask(api, owner, plan, django_capture_on_commit_callbacks, period_end="2026-11-15").json()
    listing = api.get(_reports_url(plan)).json()
    assert [r["id"] for r in listing["results"]] == [second["id"], first["id"]]
    assert listing["count"] == 2
    views = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, object_type="reviews.progressreport")
    assert sorted(views.values_list("object_id", flat=True)) == sorted([first["id"], second["id"]])
    assert {e.patient_id for e in views} == {plan.patient_id}


def test_a_supervisor_may_ask_for_a_report(api, supervisor, plan, django_capture_on_commit_callbacks):
    response = _ask(api, supervisor, plan, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    assert response.json()["requested_by_name"] == supervisor.get_full_name()


def test_listing_takes_a_fixed_number_of_queries(api, owner, plan, django_assert_max_num_queries):
    from accounts.audit import AuditContext
    from reviews.services.reports import report_request

    def count(n):
        for _ in range(n):
            report_request(by=AuditContext.system("tests", user=owner), plan=plan)
        client = api.as_(owner)
        with django_assert_max_num_queries(12) as captured:
            assert client.get(_reports_url(plan)).status_code == 200
        return len(captured)

    assert count(1) == count(10)
