"""Progress report tasks: rendering one PDF, and the monthly run celery-beat schedules."""

import datetime

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from accounts.audit import AuditContext
from reviews.services.reports import (
    ReportRenderError,
    monthly_reports_request,
    report_render,
    reports_recover_stalled,
)

__all__ = ["generate_monthly_reports", "recover_stalled_reports", "render_progress_report"]


@shared_task(
    bind=True,
    name="reviews.render_progress_report",
    acks_late=True,
    soft_time_limit=settings.REPORT_RENDER_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_RENDER_TIME_LIMIT,
    autoretry_for=(ReportRenderError, OperationalError, InterfaceError),
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


@shared_task(
    name="reviews.generate_monthly_reports",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def generate_monthly_reports(today: str | None = None) -> dict[str, int]:
    """Monthly: ask for last month's progress report of every active plan (safe to run any number of times).

    `today` (ISO date) replaces each practice's own date, for catching up by hand.
    """
    day = datetime.date.fromisoformat(today) if today else None
    return monthly_reports_request(by=AuditContext.system("celery reviews.generate_monthly_reports"), today=day)


@shared_task(
    name="reviews.recover_stalled_reports",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def recover_stalled_reports() -> dict[str, int]:
    """Every few minutes: renders stopped by the hard time limit or a lost worker are retried, or marked failed."""
    return reports_recover_stalled()
