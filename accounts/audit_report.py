"""The audit report of the Django admin (ONC 170.315(d)(3)): the CSV export of the events an admin has filtered."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from accounts.audit import AuditContext, audit_report_export
from accounts.models import AuditEvent

COLUMNS = (
    "seq",
    "occurred_at",
    "user_email",
    "action",
    "channel",
    "object_type",
    "object_id",
    "patient_id",
    "ip_address",
    "user_agent",
    "path",
    "changes",
)
CHUNK = 2000


class Echo:
    """A file-like object whose write hands back what it was given, for csv.writer to stream through."""

    def write(self, value: str) -> str:
        return value


def _rows(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield writer.writerow(COLUMNS)
    for event in events.order_by("seq").values_list(*COLUMNS).iterator(chunk_size=CHUNK):
        yield writer.writerow(event)


def export_csv(request: HttpRequest, events: QuerySet[AuditEvent]) -> StreamingHttpResponse:
    """Stream `events` as CSV, oldest first, having recorded the export itself as an event."""
    audit_report_export(
        AuditContext.from_request(request), rows=events.count(), query=request.META.get("QUERY_STRING", "")
    )
    response = StreamingHttpResponse(_rows(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-events-{timezone.now():%Y%m%d-%H%M%S}.csv"'
    return response
