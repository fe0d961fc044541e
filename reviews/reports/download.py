"""Handing a rendered report out: the same response for the page and the API."""

from __future__ import annotations

import logging
import posixpath

from django.http import FileResponse, Http404

from reviews.models import ProgressReport, ReportStatus

logger = logging.getLogger(__name__)


def pdf_response(report: ProgressReport) -> FileResponse:
    """The stored PDF as an attachment named like the file (which carries no patient name).

    Only a `ready` report has a file to serve; the callers answer for the others before calling this.
    """
    if report.status != ReportStatus.READY or not report.file:
        raise ValueError("Only a ready report has a PDF to download.")
    try:
        handle = report.file.open("rb")
    except FileNotFoundError as missing:
        logger.error("Progress report %s is ready but its file %s is missing", report.pk, report.file.name)
        raise Http404("The report's file is missing; ask for a new report.") from missing
    return FileResponse(
        handle, as_attachment=True, filename=posixpath.basename(report.file.name), content_type="application/pdf"
    )
