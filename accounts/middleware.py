"""Middleware of every request: no caching of PHI, input refused before any view sees it, the practice's clock."""

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, user_logged_in
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.dispatch import receiver
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from accounts.concurrency import RecordClosed
from accounts.errors import api_refusal, body_too_large_detail, is_api
from accounts.validators import MAX_JSON_DEPTH, NUL_MESSAGE, json_too_deep


class NoStoreMiddleware:
    """Pages and API answers may carry PHI: no browser or proxy may keep a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/static/"):
            return response
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response


class RequestGuardMiddleware:
    """Refuses, before any view runs, input no view can handle safely.

    - A NUL character in the query string, on every path (PostgreSQL cannot compare text with one): a 400
      naming the parameter, JSON on the API, the 400 page elsewhere.
    - On the API, a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE, or JSON nested deeper than
      MAX_JSON_DEPTH: a JSON 400, for every endpoint, the unauthenticated token endpoint included. The
      depth is counted on the raw text (`json_too_deep`), because the JSON parser itself recurses per level.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = is_api(request)
        parameter = _nul_parameter(request)
        if parameter is not None:
            if api:
                return api_refusal(request, {parameter: [NUL_MESSAGE]})
            raise BadRequest(f"{parameter}: {NUL_MESSAGE}")
        if api:
            refusal = _body_refusal(request)
            if refusal is not None:
                return api_refusal(request, refusal)
        return self.get_response(request)


def _nul_parameter(request) -> str | None:
    """The name of the first query parameter whose name or value holds a NUL."""
    for key, values in request.GET.lists():
        if "\x00" in key:
            return key.replace("\x00", "\\u0000")
        if any("\x00" in value for value in values):
            return key
    return None


def _body_refusal(request) -> str | None:
    """Why the API refuses this request's body before reading it further, or None."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return "The Content-Length header is not a number."
    if limit is not None and length > limit:
        return body_too_large_detail()
    if length <= 0:
        return None
    try:
        text = request.body.decode(request.encoding or settings.DEFAULT_CHARSET)
    except RequestDataTooBig:
        return body_too_large_detail()
    except UnicodeDecodeError:
        # Not text: the parser answers (415 for a type the API does not take, 400 for broken JSON) before
        # anything recurses on it.
        return None
    if json_too_deep(text):
        return f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels."
    return None


class RecordClosedMiddleware:
    """A page or htmx request that meets a closed record (`RecordClosed`) gets the one answer, 409.

    The API answers it itself (its exception handler), in JSON. A page gets the 409 page, saying why and
    linking to the record; an htmx request is sent to the record's page (HX-Redirect), where the message
    waits, since htmx swaps nothing from an error response.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RecordClosed) or is_api(request):
            return None
        if getattr(request, "htmx", False) and exception.url:
            messages.warning(request, exception.message)
            response = HttpResponse(exception.message, status=409, content_type="text/plain; charset=utf-8")
            response["HX-Redirect"] = exception.url
            return response
        context = {"message": exception.message, "url": exception.url}
        return TemplateResponse(request, "409.html", context, status=409).render()


class PracticeTimeZoneMiddleware:
    """Pages and the admin show every time in the signed-in user's practice's time zone.

    The zone's name is put in the session at sign-in (`remember_practice_time_zone`), so no page pays a
    query for it; a session from before that asks once. The API is left in UTC: it answers ISO 8601 with
    the offset, the same for a session or a token, and a partner converts as it needs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = None if is_api(request) else _session_zone(request)
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)


#: The session key holding the practice's time zone name ("" for a user without a practice: UTC).
TIME_ZONE_SESSION_KEY = "practice_time_zone"


@receiver(user_logged_in)
def remember_practice_time_zone(sender, request, user, **kwargs) -> None:
    """Every session sign-in keeps the practice's time zone in the session for every page after (the token
    endpoint sends user_logged_in too, but signs no session in: skipped)."""
    session = getattr(request, "session", None)
    if session is not None and session.get(SESSION_KEY) == str(user.pk):
        _keep_zone(session, user)


def _keep_zone(session, user) -> str:
    name = user.practice.time_zone if user.practice_id else ""
    session[TIME_ZONE_SESSION_KEY] = name
    return name


def _session_zone(request) -> zoneinfo.ZoneInfo | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    name = request.session.get(TIME_ZONE_SESSION_KEY)
    if name is None:
        name = _keep_zone(request.session, user)
    return zoneinfo.ZoneInfo(name) if name else None
