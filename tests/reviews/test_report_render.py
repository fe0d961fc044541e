"""Rendering a progress report: what the PDF says, how failures end, and what the renderer may fetch."""

import datetime
import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.models import ProgressReport, ReportStatus
from reviews.reports import REPORT_BASE_URL, report_context, report_filename
from reviews.reports.pdf import RefusedURL, render_pdf, resolve_url, static_files_only_fetcher, static_url
from reviews.services.reports import ReportRenderError, report_render, report_request, reports_recover_stalled
from tests.factories import GoalFactory
from tests.support import shown


def _request(owner, plan, **period):
    return report_request(by=AuditContext.system("tests", user=owner), plan=plan, **period)


# --- asking for a report ---------------------------------------------------------------------------


def test_a_request_defaults_to_the_last_30_days_and_enqueues_after_commit(
    plan, owner, django_capture_on_commit_callbacks
):
    today = plan.patient.practice.today()
    with django_capture_on_commit_callbacks() as callbacks:
        report = _request(owner, plan)
    assert (report.period_start, report.period_end) == (today - datetime.timedelta(days=29), today)
    assert report.status == ReportStatus.PENDING
    assert report.requested_by == owner
    assert len(callbacks) == 1, "the render is enqueued once, after the row is committed"
    created = AuditEvent.objects.get(object_id=str(report.pk))
    assert (created.action, created.user, created.patient) == (AuditEvent.Action.CREATE, owner, plan.patient)


@pytest.mark.parametrize(
    ("period", "field"),
    [
        ({"period_start": datetime.date(2026, 10, 10), "period_end": datetime.date(2026, 10, 1)}, "period_start"),
        ({"period_end": datetime.date(2999, 1, 1)}, "period_end"),
        ({"period_start": datetime.date(2000, 1, 1), "period_end": datetime.date(2026, 10, 1)}, "period_start"),
    ],
    ids=["start-after-end", "end-in-future", "longer-than-five-years"],
)
def test_a_bad_period_is_refused_naming_the_field(plan, owner, period, field):
    with pytest.raises(ValidationError) as refused:
        _request(owner, plan, **period)
    assert field in refused.value.message_dict
    assert not ProgressReport.objects.exists()


def test_a_supervisor_may_ask_but_a_colleague_may_not(plan, supervisor, colleague):
    assert report_request(by=AuditContext.system("tests", user=supervisor), plan=plan).requested_by == supervisor
    with pytest.raises(PermissionDenied):
        report_request(by=AuditContext.system("tests", user=colleague), plan=plan)


def test_system_requests_for_the_same_period_are_one_report(plan):
    period = {"period_start": datetime.date(2026, 10, 1), "period_end": datetime.date(2026, 10, 31)}
    first = report_request(by=AuditContext.system("tests"), plan=plan, **period)
    again = report_request(by=AuditContext.system("tests"), plan=plan, **period)
    assert first.pk == again.pk
    assert ProgressReport.objects.count() == 1


# --- the PDF -----------------------------------------------------------------------------------------


def test_the_pdf_carries_the_plan_its_goals_and_their_progress(report_plan, owner, media_root, pdf_text):
    plan = report_plan["plan"]
    report = report_render(_request(owner, plan).pk)

    assert report.status == ReportStatus.READY
    assert report.completed_at is not None
    assert report.attempts == 1
    path = Path(report.file.path)
    assert path.is_relative_to(media_root)
    assert path.name == report_filename(report)
    assert "Carter" not in report.file.name and "Emily" not in report.file.name, "no patient name in file names"

    text = pdf_text(path)
    assert plan.title in text
    for key in ("anxiety", "relax", "sleep", "breathing"):
        assert report_plan[key].description in text
    assert "Progress 45%" in text  # the long-term goal: the average of 40% and 50%
    assert "Progress 40%" in text and "Progress 50%" in text
    assert "Overall progress: 45%" in text
    assert "Emily Carter" in text and "17 May 1990" in text
    assert "F41.1" in text and "Generalized anxiety disorder" in text
    assert "chronic worry" in text
    assert "Deep Breathing" in text and "4/5" in text
    assert "Engaged and practising; sleep is improving." in text and "3 of 4" in text
    assert "Riverside" in text
    assert f"{shown(report.period_start)} to {shown(report.period_end)}" in text
    assert "Clinician signature" in text and "Supervisor co-signature" in text
    assert "Page 1 of" in text
    generated = r"Generated \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} E[SD]T"
    assert re.search(generated, text), "in the practice's time (New York)"


def test_the_pdf_lists_the_periods_sessions_and_charts_each_goal(report_plan, owner, media_root, pdf_text):
    plan = report_plan["plan"]
    report = _request(owner, plan)
    context = report_context(report)
    sessions = context["sessions"]
    assert [(s.duration_minutes, s.goal_count) for s in sessions] == [(50, 3), (45, 2)]
    charts = {row.goal.pk: row for row in context["goals"]}
    assert [pct for _, pct in charts[report_plan["breathing"].pk].points] == [30, 40]
    assert "<svg" in charts[report_plan["breathing"].pk].chart
    assert [row.depth for row in context["goals"]] == [0, 1, 2, 1]

    text = pdf_text(report_render(report.pk).file.path)
    assert "2 sessions in this period (95 minutes)" in text
    for session in sessions:
        assert shown(session.session_date) in text


def test_a_period_without_sessions_says_so(report_plan, owner, media_root, pdf_text):
    period = {"period_start": datetime.date(2026, 9, 1), "period_end": datetime.date(2026, 9, 5)}
    text = pdf_text(report_render(_request(owner, report_plan["plan"], **period).pk).file.path)
    assert "No sessions recorded in this period." in text
    assert "No rated progress in this period." in text


def test_the_report_loads_in_a_fixed_number_of_queries(plan, owner, django_assert_max_num_queries):
    def queries_for(n_goals):
        for i in range(n_goals):
            GoalFactory(plan=plan, description=f"Goal {i}")
        report = _request(owner, plan)
        report = ProgressReport.objects.get(pk=report.pk)
        with django_assert_max_num_queries(8) as captured:
            report_context(report)
        return len(captured)

    assert queries_for(1) == queries_for(15)


# --- failures ---------------------------------------------------------------------------------------


def test_a_failed_attempt_is_put_back_for_a_retry_and_the_last_one_fails_the_report(
    plan, owner, media_root, monkeypatch
):
    def broken(html):
        raise OSError("Pango ran out of fonts")

    monkeypatch.setattr("reviews.services.reports.render_pdf", broken)
    report = _request(owner, plan)

    with pytest.raises(ReportRenderError):
        report_render(report.pk, final_attempt=False)
    report.refresh_from_db()
    assert (report.status, report.attempts) == (ReportStatus.PENDING, 1)
    assert "Pango ran out of fonts" in report.error

    with pytest.raises(ReportRenderError):
        report_render(report.pk, final_attempt=True)
    report.refresh_from_db()
    assert (report.status, report.attempts) == (ReportStatus.FAILED, 2)
    assert report.error == "OSError: Pango ran out of fonts"
    assert not report.file
    assert not list(media_root.rglob("*.pdf")) if media_root.exists() else True


def test_a_report_claimed_elsewhere_done_or_gone_is_left_alone(plan, owner, media_root):
    report = _request(owner, plan)
    ProgressReport.objects.filter(pk=report.pk).update(status=ReportStatus.RENDERING)
    assert report_render(report.pk) is None
    assert ProgressReport.objects.get(pk=report.pk).attempts == 0
    assert report_render("00000000-0000-0000-0000-000000000000") is None


def test_rendering_twice_renders_once(plan, owner, media_root):
    report = _request(owner, plan)
    assert report_render(report.pk).status == ReportStatus.READY
    assert report_render(report.pk) is None
    assert ProgressReport.objects.get(pk=report.pk).attempts == 1


# --- renders that stopped without finishing (hard time limit, a worker that died) ---------------------


def _stalled(report, *, minutes_ago, attempts):
    started = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    ProgressReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.RENDERING, started_at=started, attempts=attempts
    )


def test_a_render_stopped_without_finishing_is_queued_again(
    plan, owner, media_root, settings, django_capture_on_commit_callbacks, celery_eager
):
    settings.REPORT_RENDER_TIME_LIMIT = 120
    report = _request(owner, plan)
    _stalled(report, minutes_ago=5, attempts=1)  # past the 2-minute limit and the grace

    with django_capture_on_commit_callbacks(execute=True):
        assert reports_recover_stalled() == {"requeued": 1, "failed": 0}

    report.refresh_from_db()
    # Back in the queue, and the worker (eager here) rendered it on its second attempt.
    assert (report.status, report.attempts) == (ReportStatus.READY, 2)
    assert report.file


def test_a_render_still_within_its_time_limit_is_left_alone(plan, owner, settings):
    settings.REPORT_RENDER_TIME_LIMIT = 120
    report = _request(owner, plan)
    _stalled(report, minutes_ago=3, attempts=1)  # 120 s limit + 2 min grace: not stalled yet

    assert reports_recover_stalled() == {"requeued": 0, "failed": 0}
    report.refresh_from_db()
    assert report.status == ReportStatus.RENDERING


def test_a_stalled_render_on_its_last_attempt_fails_the_report_with_the_reason(
    plan, owner, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_RENDER_MAX_RETRIES = 2
    report = _request(owner, plan)
    _stalled(report, minutes_ago=30, attempts=3)

    with django_capture_on_commit_callbacks() as queued:
        assert reports_recover_stalled() == {"requeued": 0, "failed": 1}
        assert reports_recover_stalled() == {"requeued": 0, "failed": 0}  # a second run finds nothing

    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "stopped without finishing" in report.error
    assert queued == []


# --- what the renderer may fetch -------------------------------------------------------------------


def test_the_fetcher_serves_the_projects_static_files():
    body, media_type = resolve_url(static_url("css/report.css"))
    assert media_type == "text/css"
    assert b"@page" in body


def test_the_fetcher_serves_data_urls():
    body, media_type = resolve_url("data:text/plain;base64,aGVsbG8=")
    assert (body, media_type) == (b"hello", "text/plain")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.invalid/x.png",
        "https://example.invalid/static/css/report.css",
        "file:///etc/passwd",
        f"{REPORT_BASE_URL}media/progress-reports/x.pdf",
        f"{REPORT_BASE_URL}static/../../config/settings.py",
        f"{REPORT_BASE_URL}static/%2e%2e/%2e%2e/config/settings.py",
        f"{REPORT_BASE_URL}static/css/no-such-file.css",
        "ftp://example.invalid/x",
    ],
)
def test_the_fetcher_refuses_everything_else(url, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError(f"the fetcher opened a connection for {url}")

    monkeypatch.setattr("socket.create_connection", no_network)
    monkeypatch.setattr("socket.getaddrinfo", no_network)
    with pytest.raises(RefusedURL):
        resolve_url(url)
    with pytest.raises(RefusedURL):
        static_files_only_fetcher().fetch(url)


def test_a_document_naming_an_outside_image_renders_without_fetching_it(monkeypatch, pdf_text):
    asked = []

    def no_network(*args, **kwargs):
        asked.append(args)
        raise AssertionError("network access")

    monkeypatch.setattr("socket.create_connection", no_network)
    monkeypatch.setattr("socket.getaddrinfo", no_network)
    html = (
        '<!DOCTYPE html><html lang="en"><head><title>t</title>'
        f'<link rel="stylesheet" href="{static_url("css/report.css")}"></head>'
        '<body><h1>Outside image</h1><img src="http://example.invalid/x.png" alt="tracker"></body></html>'
    )
    pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF")
    assert "Outside image" in pdf_text(pdf)
    assert "Page 1 of 1" in pdf_text(pdf), "the project's stylesheet was fetched (its page footer is there)"
    assert asked == []


# --- the tasks --------------------------------------------------------------------------------------


def test_the_render_task_is_declared_for_a_worker_that_may_die():
    from django.conf import settings

    from reviews.tasks.reports import generate_monthly_reports, render_progress_report

    assert render_progress_report.name == "reviews.render_progress_report"
    assert render_progress_report.acks_late is True
    assert render_progress_report.time_limit == settings.REPORT_RENDER_TIME_LIMIT == 120
    assert render_progress_report.soft_time_limit == settings.REPORT_RENDER_SOFT_TIME_LIMIT == 100
    assert ReportRenderError in render_progress_report.autoretry_for
    assert render_progress_report.max_retries == 2
    assert render_progress_report.retry_backoff and render_progress_report.retry_jitter
    assert generate_monthly_reports.name == "reviews.generate_monthly_reports"


def test_the_render_task_retries_then_fails_the_report(plan, owner, media_root, monkeypatch):
    from reviews.tasks.reports import render_progress_report

    monkeypatch.setattr("reviews.services.reports.render_pdf", lambda html: 1 / 0)
    report = _request(owner, plan)
    result = render_progress_report.apply(args=[str(report.pk)])
    assert result.failed()
    report.refresh_from_db()
    assert (report.status, report.attempts) == (ReportStatus.FAILED, 3)
    assert report.error == "ZeroDivisionError: division by zero"


def test_the_render_task_exits_quietly_when_the_report_is_gone(db):
    from reviews.tasks.reports import render_progress_report

    result = render_progress_report.apply(args=["00000000-0000-0000-0000-000000000000"])
    assert result.successful() and result.result is None


@pytest.fixture
def plans_of_every_kind(patient, owner):
    from tests.factories import PlanFactory
    from treatment.models import TreatmentPlan

    active = [PlanFactory(patient=patient), PlanFactory(patient=patient)]
    on_hold, completed = PlanFactory(patient=patient), PlanFactory(patient=patient)
    TreatmentPlan.objects.filter(pk=on_hold.pk).update(status="on_hold")
    TreatmentPlan.objects.filter(pk=completed.pk).update(status="completed")
    too_new = PlanFactory(patient=patient, start_date=datetime.date(2026, 11, 3))
    return {"active": active, "on_hold": on_hold, "completed": completed, "too_new": too_new}


def test_the_monthly_run_asks_once_per_active_plan_for_last_month(
    plans_of_every_kind, django_capture_on_commit_callbacks
):
    from reviews.tasks.reports import generate_monthly_reports

    with django_capture_on_commit_callbacks() as queued:
        first = generate_monthly_reports("2026-11-05")
    assert first == {"created": 2, "existing": 0, "skipped": 1}
    assert len(queued) == 1  # one batch: its two renders go to the broker together once it commits

    with django_capture_on_commit_callbacks() as queued_again:
        again = generate_monthly_reports("2026-11-05")
    assert again == {"created": 0, "existing": 2, "skipped": 1}
    assert not queued_again, "asking twice enqueues nothing more"

    reports = ProgressReport.objects.all()
    assert sorted(r.plan_id for r in reports) == sorted(p.pk for p in plans_of_every_kind["active"])
    for report in reports:
        assert (report.period_start, report.period_end) == (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
        assert report.requested_by is None and report.status == ReportStatus.PENDING
    assert AuditEvent.objects.filter(action="create", object_type="reviews.progressreport", user=None).count() == 2


def test_the_monthly_run_uses_each_practices_own_today(plan, django_capture_on_commit_callbacks):
    from reviews.services.reports import previous_month
    from reviews.tasks.reports import generate_monthly_reports

    with django_capture_on_commit_callbacks():
        generate_monthly_reports()
    report = ProgressReport.objects.get()
    assert (report.period_start, report.period_end) == previous_month(plan.patient.practice.today())


def test_a_requested_report_does_not_stand_in_for_the_monthly_one(plan, owner):
    from reviews.tasks.reports import generate_monthly_reports

    _request(owner, plan, period_start=datetime.date(2026, 10, 1), period_end=datetime.date(2026, 10, 31))
    assert generate_monthly_reports("2026-11-05")["created"] == 1
    assert ProgressReport.objects.filter(requested_by=None).count() == 1


@pytest.mark.parametrize(
    ("today", "month"),
    [
        (datetime.date(2026, 11, 5), (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))),
        (datetime.date(2026, 1, 1), (datetime.date(2025, 12, 1), datetime.date(2025, 12, 31))),
        (datetime.date(2028, 3, 31), (datetime.date(2028, 2, 1), datetime.date(2028, 2, 29))),
    ],
)
def test_previous_month(today, month):
    from reviews.services.reports import previous_month

    assert previous_month(today) == month
