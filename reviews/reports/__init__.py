"""The PDF progress report: what it shows (`context`), and how HTML becomes a PDF in the worker (`pdf`).

The services (`reviews.services.reports`) decide when a report renders and where it is stored; this
package only turns a report row into bytes.
"""

from reviews.reports.context import report_context, report_filename, report_html
from reviews.reports.pdf import REPORT_BASE_URL, render_pdf, static_files_only_fetcher

__all__ = [
    "REPORT_BASE_URL",
    "render_pdf",
    "report_context",
    "report_filename",
    "report_html",
    "static_files_only_fetcher",
]
