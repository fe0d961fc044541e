"""Logs an operator can use and that carry no PHI.

One line per request (`trellis.request`): request id, user id, practice id, method, path, status and duration.
The path is logged without its query string (a search for a patient's name would put the name in the log)
and ids are UUIDs, never names. Every other line logged while the request runs carries the same request
id (a context variable, set here and read by `RequestContextFilter`), so a warning in a service can be
traced to the request that caused it. The id comes from a proxy's `X-Request-ID` when it is a plain token,
else it is made here, and is sent back in the response's `X-Request-ID`.

Expected refusals are not incidents: Django's `django.request` lines for 403 and 404 are lowered to INFO
and lose their traceback (`ExpectedRefusalFilter`). Production writes JSON lines; development readable ones
(`LOG_FORMAT` in settings).
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("trellis.request")

#: The request being served, for every log line written while it runs ("-" outside a request).
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_user_id: contextvars.ContextVar[str] = contextvars.ContextVar("user_id", default="-")
_practice_id: contextvars.ContextVar[str] = contextvars.ContextVar("practice_id", default="-")

#: A proxy's request id is kept only if it is a short plain token (it is written into every line).
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
EXPECTED_REFUSALS = (403, 404)


def _identify(request: HttpRequest) -> None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        _user_id.set(str(user.pk))
        _practice_id.set(str(user.practice_id) if getattr(user, "practice_id", None) else "-")


class RequestLogMiddleware:
    """Logs each request once it is answered. It sits near the top of MIDDLEWARE, so refusals by the
    middleware below it are logged too; `process_view` names the user once authentication has run."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        tokens = [_request_id.set(request_id), _user_id.set("-"), _practice_id.set("-")]
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            # API token users are known only once DRF has authenticated the view's request.
            _identify(request)
            response["X-Request-ID"] = request_id
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            for var, token in zip((_request_id, _user_id, _practice_id), tokens, strict=True):
                var.reset(token)

    def process_view(self, request: HttpRequest, *args: object) -> None:
        """The user is known once the authentication middleware has run: from here on every line names them."""
        _identify(request)


class RequestContextFilter(logging.Filter):
    """Puts the current request's id, user and practice on every record (for both formats)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        record.user_id = _user_id.get()
        record.practice_id = _practice_id.get()
        return True


class ExpectedRefusalFilter(logging.Filter):
    """403 and 404 are answers, not errors: INFO, without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in EXPECTED_REFUSALS:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info = record.exc_text = None
        return True
