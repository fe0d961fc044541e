"""HTML to PDF with WeasyPrint, in the worker only, with no way out to the network.

WeasyPrint fetches every stylesheet, image and font a document names through its URL fetcher. Ours
serves two kinds of address and refuses everything else: the project's own static files (found by the
staticfiles finders, so the worker needs no collectstatic and no web server) under `REPORT_BASE_URL`,
and `data:` URLs. A report whose text carried `<img src="http://...">` therefore fetches nothing.

WeasyPrint (and Pango behind it) is imported only when a PDF is rendered: the web processes, which
import the services, never load it.
"""

from __future__ import annotations

import functools
import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request

from django.conf import settings
from django.contrib.staticfiles import finders

#: The document's base URL: an address that can never resolve (.invalid), whose /static/ the fetcher
#: serves from the project's files. Relative links in the report resolve against it.
REPORT_BASE_URL = "https://trellis-report.invalid/"


class RefusedURL(ValueError):
    """The report named an address the fetcher does not serve."""


def static_url(path: str) -> str:
    """The address of a static file (e.g. "css/report.css") as the report's HTML names it."""
    return f"{REPORT_BASE_URL.rstrip('/')}{settings.STATIC_URL}{path}"


def _static_file(url: str) -> Path:
    base = urlsplit(REPORT_BASE_URL)
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        raise RefusedURL(f"{url!r} is outside the report; only Trellis's own static files are served.")
    path = unquote(parts.path)
    if not path.startswith(settings.STATIC_URL):
        raise RefusedURL(f"{url!r} is not a static file.")
    relative = posixpath.normpath(path.removeprefix(settings.STATIC_URL))
    if relative.startswith(("/", "..")) or relative == ".":
        raise RefusedURL(f"{url!r} leaves the static files.")
    found = finders.find(relative)
    if not found:
        raise RefusedURL(f"{url!r}: there is no such static file.")
    return Path(found)


def resolve_url(url: str) -> tuple[bytes, str]:
    """The bytes and media type at `url` if the report may use it; raises `RefusedURL` otherwise."""
    if urlsplit(url).scheme.lower() == "data":
        # urllib's data: handler decodes in memory; it opens nothing.
        with DataHandler().data_open(Request(url)) as response:  # noqa: S310 (data: only, checked above)
            return response.read(), response.headers.get_content_type()
    path = _static_file(url)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return path.read_bytes(), media_type


@functools.cache
def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesOnlyFetcher(URLFetcher):
        """WeasyPrint's fetcher, narrowed to `resolve_url`: it never opens a connection or a file: URL."""

        def __init__(self):
            super().__init__(allowed_protocols={"data", "https"}, allow_redirects=False)

        def fetch(self, url, headers=None):
            body, media_type = resolve_url(url)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": media_type})

    return StaticFilesOnlyFetcher


def static_files_only_fetcher():
    """A new `StaticFilesOnlyFetcher` for one render (a WeasyPrint fetcher keeps per-request state)."""
    return _fetcher_class()()


def render_pdf(html: str) -> bytes:
    """The PDF of `html` (tagged for screen readers, PDF/UA). Relative links resolve against REPORT_BASE_URL."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=static_files_only_fetcher(), media_type="print")
    return document.write_pdf(pdf_variant="pdf/ua-1")
