"""The treatment-plan document's render task; its recovery runs in the reports' sweep (`recover_stalled_reports`)."""

from celery import shared_task
from django.conf import settings

from accounts.audit import AuditContext
from accounts.tasks import DB_ERRORS
from reviews.services.documents import document_render
from reviews.services.rendering import ReportRenderError

__all__ = ["render_plan_document"]


@shared_task(
    bind=True,
    name="reviews.render_plan_document",
    acks_late=True,
    soft_time_limit=settings.REPORT_RENDER_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_RENDER_TIME_LIMIT,
    autoretry_for=(ReportRenderError, *DB_ERRORS),
    max_retries=settings.REPORT_RENDER_MAX_RETRIES,
    retry_backoff=10,
    retry_backoff_max=300,
    retry_jitter=True,
)
def render_plan_document(self, document_id: str) -> str | None:
    """Render one pending document to PDF. A redelivered message, or a document gone or done, does nothing."""
    final_attempt = self.request.retries >= self.max_retries
    document = document_render(
        document_id, final_attempt=final_attempt, by=AuditContext.system("celery reviews.render_plan_document")
    )
    return document.status if document is not None else None
