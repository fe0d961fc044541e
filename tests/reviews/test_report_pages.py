"""The progress report pages: the plan page's panel, asking (with and without htmx), the status page, the PDF."""

import datetime
import re

import pytest
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import AuditEvent
from reviews.models import ProgressReport, ReportStatus
from reviews.services.reports import report_render

pytestmark = pytest.mark.usefixtures("media_root")

HTMX = {"HTTP_HX_REQUEST": "true"}


def _report(plan, *, status=ReportStatus.PENDING, requested_by=None, error="", days=30):
    end = plan.start_date + datetime.timedelta(days=days)
    report = ProgressReport(
        plan=plan, period_start=plan.start_date, period_end=end, requested_by=requested_by, error=error
    )
    if status == ReportStatus.READY:
        report.file.save(
            f"progress-report-{end:%Y-%m-%d}-{report.pk.hex[:8]}.pdf", ContentFile(b"%PDF-1.7"), save=False
        )
    report.status = status
    report.save()
    return report


def _polls(html: str, report) -> bool:
    item = re.search(rf'<div class="report-item" id="report-{report.pk}"[^>]*>', html)
    assert item, f"report {report.pk} is not listed"
    return 'hx-trigger="every 2s"' in item.group(0) and f'hx-get="/reports/{report.pk}/"' in item.group(0)


# --- the plan page's panel -----------------------------------------------------------------------


def test_the_plan_page_lists_reports_and_offers_the_form(client, owner, supervisor, plan):
    ready = _report(plan, status=ReportStatus.READY, requested_by=supervisor, days=10)
    failed = _report(plan, status=ReportStatus.FAILED, error="RuntimeError: no fonts", requested_by=owner, days=20)
    monthly = _report(plan, days=29)
    client.force_login(owner)
    html = client.get(f"/plans/{plan.pk}/").content.decode()

    assert 'id="plan-reports-heading">Progress reports</h2>' in html
    assert "{#" not in html and "#}" not in html, "template comments stay out of the page"
    assert '<label for="report-period-start">Period start</label>' in html
    assert '<label for="report-period-end">Period end</label>' in html
    assert 'id="report-period-start" name="period_start"' in html and 'type="date"' in html
    assert ">Generate PDF report</button>" in html
    assert f'action="/plans/{plan.pk}/reports/"' in html

    assert f'href="/reports/{ready.pk}/pdf/"' in html
    assert f"Requested by {supervisor.get_full_name()}" in html
    assert not _polls(html, ready)
    assert "The PDF could not be made: RuntimeError: no fonts" in html
    assert not _polls(html, failed)
    assert f'href="/reports/{failed.pk}/pdf/"' not in html
    assert "Monthly" in html
    assert _polls(html, monthly)
    assert "No progress report yet" not in html


def test_a_plan_without_reports_says_so(client, owner, plan):
    client.force_login(owner)
    html = client.get(f"/plans/{plan.pk}/").content.decode()
    assert 'id="plan-reports-empty"' in html and "No progress report yet" in html


def test_the_panel_reads_its_reports_in_a_fixed_number_of_queries(owner, supervisor, plan, django_assert_num_queries):
    """Loaded as the plan page loads its plan, plus the prefetch the panel names, the rows cost no query."""
    from treatment.models import TreatmentPlan

    request = RequestFactory().get(f"/plans/{plan.pk}/")
    request.user = owner

    def render_with(n):
        for i in range(n):
            _report(plan, requested_by=supervisor if i % 2 else owner, days=i + 1)
        loaded = (
            TreatmentPlan.objects.select_related("patient__practice")
            .prefetch_related("progress_reports__requested_by")
            .get(pk=plan.pk)
        )
        with django_assert_num_queries(0):
            html = render_to_string(
                "reviews/_plan_reports.html", {"plan": loaded, "can_change": True, "user": owner, "request": request}
            )
        return html

    assert render_with(1).count('class="report-item"') == 1
    assert render_with(14).count('class="report-item"') == 12
    assert "The 12 most recent of 15 reports." in render_with(0)


# --- asking --------------------------------------------------------------------------------------


def test_asking_without_javascript_returns_to_the_plan_page_with_a_message(
    client, owner, plan, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            f"/plans/{plan.pk}/reports/", {"period_start": "2026-10-01", "period_end": "2026-10-31"}, follow=True
        )
    assert response.redirect_chain == [(f"/plans/{plan.pk}/#plan-reports", 302)]
    report = ProgressReport.objects.get()
    assert (report.period_start, report.period_end) == (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    assert len(queued) == 1
    html = response.content.decode()
    assert "The PDF report for 1 Oct 2026 to 31 Oct 2026 is being prepared" in html
    assert _polls(html, report)


def test_asking_with_htmx_returns_the_new_reports_status_item(client, owner, plan, django_capture_on_commit_callbacks):
    client.force_login(owner)
    with django_capture_on_commit_callbacks():
        response = client.post(f"/plans/{plan.pk}/reports/", {"period_start": "", "period_end": ""}, **HTMX)
    assert response.status_code == 201
    report = ProgressReport.objects.get()
    html = response.content.decode()
    assert "<html" not in html and "{#" not in html
    assert _polls(html, report)
    assert "Queued" in html and f"Requested by {owner.get_full_name()}" in html
    assert '<p id="plan-reports-empty" hx-swap-oob="delete"></p>' in html, "the first report clears the empty line"
    assert 'hx-swap-oob="outerHTML"' in html and "No report was asked for" not in html, "a clean form replaces it"

    with django_capture_on_commit_callbacks():
        again = client.post(f"/plans/{plan.pk}/reports/", {}, **HTMX).content.decode()
    assert 'hx-swap-oob="delete"' not in again


def test_a_refused_period_with_htmx_shows_the_errors_in_the_form(client, owner, plan):
    client.force_login(owner)
    response = client.post(
        f"/plans/{plan.pk}/reports/", {"period_start": "2026-10-20", "period_end": "2026-10-01"}, **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#report-form"
    assert response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="report-form"'), "the answer is the form alone, to replace the form"
    assert 'id="report-period-start-error"' in html and "must start on or before its end" in html
    assert 'value="2026-10-20"' in html and 'value="2026-10-01"' in html, "what was typed is kept"
    assert 'aria-invalid="true"' in html
    assert not ProgressReport.objects.exists()


def test_a_refused_period_without_javascript_shows_the_form_page(client, owner, plan):
    client.force_login(owner)
    future = (plan.patient.practice.today() + datetime.timedelta(days=3)).isoformat()
    response = client.post(f"/plans/{plan.pk}/reports/", {"period_start": "", "period_end": future})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>Generate PDF report: Anxiety Management Plan</h1>" in html
    assert "The period cannot end in the future" in html
    assert f'value="{future}"' in html
    assert "hx-post" not in html
    assert not ProgressReport.objects.exists()


def test_a_date_that_is_not_a_date_is_refused_on_its_field(client, owner, plan):
    client.force_login(owner)
    response = client.post(f"/plans/{plan.pk}/reports/", {"period_start": "soon"}, **HTMX)
    html = response.content.decode()
    assert 'id="report-period-start-error"' in html and "Enter a valid date." in html


# --- the status page -----------------------------------------------------------------------------


def test_the_status_page_of_a_pending_report_polls_and_offers_a_refresh_link(client, owner, plan):
    report = _report(plan, requested_by=owner)
    client.force_login(owner)
    html = client.get(f"/reports/{report.pk}/").content.decode()
    assert "<h1>Progress report</h1>" in html
    assert plan.title in html and "Emily Carter" in html
    assert _polls(html, report)
    assert f'<a href="/reports/{report.pk}/">Refresh the status</a>' in html
    viewed = AuditEvent.objects.get(action=AuditEvent.Action.VIEW, object_id=str(report.pk))
    assert viewed.patient == plan.patient


def test_the_htmx_poll_gets_the_status_item_alone_until_it_is_final(client, owner, plan):
    report = _report(plan, requested_by=owner)
    client.force_login(owner)
    waiting = client.get(f"/reports/{report.pk}/", **HTMX)
    assert "HX-Request" in waiting["Vary"]
    html = waiting.content.decode()
    assert "<html" not in html and _polls(html, report)

    report_render(report.pk)
    done = client.get(f"/reports/{report.pk}/", **HTMX).content.decode()
    assert not _polls(done, report), "a ready report stops polling"
    assert f'href="/reports/{report.pk}/pdf/"' in done and "Ready" in done


def test_a_report_waiting_too_long_stops_polling(client, owner, plan):
    report = _report(plan, requested_by=owner)
    ProgressReport.objects.filter(pk=report.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=11))
    client.force_login(owner)
    html = client.get(f"/reports/{report.pk}/", **HTMX).content.decode()
    assert not _polls(html, report)
    assert "Still queued; check again later." in html


def test_a_failed_report_says_why_and_offers_no_download(client, owner, plan):
    report = _report(plan, status=ReportStatus.FAILED, requested_by=owner, error="OSError: disk full")
    client.force_login(owner)
    html = client.get(f"/reports/{report.pk}/").content.decode()
    assert "The PDF could not be made: OSError: disk full" in html
    assert "/pdf/" not in html


# --- the PDF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [ReportStatus.PENDING, ReportStatus.RENDERING, ReportStatus.FAILED])
def test_the_pdf_of_a_report_that_is_not_ready_is_a_409_page(client, owner, plan, status):
    report = _report(plan, status=status, requested_by=owner)
    client.force_login(owner)
    response = client.get(f"/reports/{report.pk}/pdf/")
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    assert "has no PDF" in response.content.decode() or "not ready yet" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_pdf_downloads_as_an_attachment_and_is_audited(client, owner, report_plan, pdf_text):
    from accounts.audit import AuditContext
    from reviews.services.reports import report_request

    plan = report_plan["plan"]
    report = report_render(report_request(by=AuditContext.system("tests", user=owner), plan=plan).pk)
    client.force_login(owner)
    response = client.get(f"/reports/{report.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{report.file.name.rsplit("/", 1)[-1]}"'
    assert "no-store" in response["Cache-Control"]
    assert plan.title in pdf_text(b"".join(response.streaming_content))
    export = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (export.user, export.object_id, export.channel) == (owner, str(report.pk), "web")


# --- Django admin --------------------------------------------------------------------------------


def test_the_admin_lists_the_practices_reports_and_audits_the_read(client, practice_admin, outsider_admin, plan):
    report = _report(plan, status=ReportStatus.FAILED, error="OSError: disk full")
    client.force_login(practice_admin)
    response = client.get("/admin/reviews/progressreport/")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [report]
    assert AuditEvent.objects.filter(action="view", object_id=str(report.pk), user=practice_admin).exists()
    assert client.get(f"/admin/reviews/progressreport/{report.pk}/change/").status_code == 200

    client.force_login(outsider_admin)
    assert list(client.get("/admin/reviews/progressreport/").context["cl"].result_list) == []


def test_the_admin_sends_a_failed_report_back_to_the_worker(
    client, practice_admin, owner, plan, django_capture_on_commit_callbacks
):
    failed = _report(plan, status=ReportStatus.FAILED, error="OSError: disk full", requested_by=owner)
    ready = _report(plan, status=ReportStatus.READY, requested_by=owner, days=5)
    client.force_login(practice_admin)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            "/admin/reviews/progressreport/",
            {"action": "render_again", "_selected_action": [str(failed.pk), str(ready.pk)]},
            follow=True,
        )
    assert response.status_code == 200
    assert "1 report(s) sent back to the worker; 1 ready report(s) left as they are." in response.content.decode()
    failed.refresh_from_db()
    ready.refresh_from_db()
    assert (failed.status, ready.status) == (ReportStatus.PENDING, ReportStatus.READY)
    assert len(queued) == 1
    assert AuditEvent.objects.filter(action="update", object_id=str(failed.pk), user=practice_admin).exists()


def test_the_plan_page_reads_its_reports_in_a_fixed_number_of_queries(
    client, owner, supervisor, plan, django_assert_max_num_queries
):
    client.force_login(owner)

    def queries_with(n):
        for i in range(n):
            _report(plan, requested_by=supervisor if i % 2 else owner, days=i + 1)
        with django_assert_max_num_queries(200) as captured:
            assert client.get(f"/plans/{plan.pk}/").status_code == 200
        return len(captured)

    assert queries_with(1) == queries_with(9)
