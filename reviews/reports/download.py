"""Handing a rendered PDF out (a progress report, a treatment-plan document): the same response for the page and
the API."""

from __future__ import annotations

import logging
import posixpath

from django.http import FileResponse, Http404

from reviews.models import PlanDocument, ProgressReport, ReportStatus

logger = logging.getLogger(__name__)


def pdf_response(report: ProgressReport | PlanDocument) -> FileResponse:
    """The stored PDF of a report or a treatment-plan document, as an attachment named like the file (which
    carries no patient name).

    Only a `ready` row has a file to serve; the callers answer for the others before calling this.
    """
    if report.status != ReportStatus.READY or not report.file:
        raise ValueError("Only a ready report has a PDF to download.")
    try:
        handle = report.file.open("rb")
    except FileNotFoundError as missing:
        logger.error("%s %s is ready but its file %s is missing", type(report).__name__, report.pk, report.file.name)
        raise Http404("The PDF's file is missing.") from missing
    return FileResponse(
        handle, as_attachment=True, filename=posixpath.basename(report.file.name), content_type="application/pdf"
    )
