"""Progress report tasks: rendering one PDF, the monthly run, and the recovery sweep celery-beat schedules.

The report rows are the truth and these tasks' messages only hints (reviews/services/reports.py): a message
lost to a broker outage is sent again by `recover_stalled_reports`, never lost.
"""

import datetime

from celery import shared_task
from django.conf import settings

from accounts.audit import AuditContext
from accounts.tasks import DB_ERRORS, DB_RETRY
from reviews.services.documents import documents_recover
from reviews.services.reports import (
    ReportRenderError,
    monthly_reports_request,
    report_render,
    reports_recover_stalled,
    reports_requeue_unclaimed,
)

__all__ = ["generate_monthly_reports", "recover_stalled_reports", "render_progress_report"]


@shared_task(
    bind=True,
    name="reviews.render_progress_report",
    acks_late=True,
    soft_time_limit=settings.REPORT_RENDER_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_RENDER_TIME_LIMIT,
    autoretry_for=(ReportRenderError, *DB_ERRORS),
    max_retries=settings.REPORT_RENDER_MAX_RETRIES,
    retry_backoff=10,
    retry_backoff_max=300,
    retry_jitter=True,
)
def render_progress_report(self, report_id: str) -> str | None:
    """Render one pending report to PDF. A redelivered message, or a report gone or done, does nothing.

    A failed attempt leaves the report `pending` and is retried with backoff; after the last one it is `failed`.
    """
    final_attempt = self.request.retries >= self.max_retries
    report = report_render(
        report_id, final_attempt=final_attempt, by=AuditContext.system("celery reviews.render_progress_report")
    )
    return report.status if report is not None else None


@shared_task(name="reviews.generate_monthly_reports", **DB_RETRY)
def generate_monthly_reports(today: str | None = None) -> dict[str, int]:
    """Monthly (beat runs it on the 1st to the 7th, so a run the broker lost is made up): ask for last month's
    progress report of every active plan (safe to run any number of times).

    `today` (ISO date) replaces each practice's own date, for catching up by hand.
    """
    day = datetime.date.fromisoformat(today) if today else None
    return monthly_reports_request(by=AuditContext.system("celery reviews.generate_monthly_reports"), today=day)


@shared_task(name="reviews.recover_stalled_reports", **DB_RETRY)
def recover_stalled_reports() -> dict[str, dict[str, int]]:
    """Every 2 minutes: every report asked for reaches an end, whatever the broker or the workers lost.

    Renders stopped by the hard time limit or a lost worker are retried, or marked failed; `pending` reports
    no worker has claimed are sent again, or marked failed when never picked up. The treatment-plan documents
    render the same way and are swept in the same run (`documents`).
    """
    return {
        "stalled": reports_recover_stalled(),
        "unclaimed": reports_requeue_unclaimed(),
        "documents": documents_recover(),
    }
