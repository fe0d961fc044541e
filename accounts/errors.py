"""The answers Django gives when no view answered (config/urls.py's handler400/403/404/500).

Under /api/ they are JSON in the API's error shape, `{"detail": "..."}`, as DRF answers its own errors, so a
client parses every error the same way: an unknown URL, a body too large, an exception a view did not catch.
They say what happened in general terms only: no exception text, no traceback, nothing from the request.
Everywhere else they are the HTML error pages. With DEBUG on, Django shows its debug pages instead of the
404, the 500 and a 400 raised as SuspiciousOperation, on both: a development machine wants the traceback.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template import loader
from django.urls import Resolver404, ResolverMatch, resolve
from django.views import defaults
from rest_framework import exceptions

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def body_too_large_detail() -> str:
    return f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api(request):
        # A page's own refusal (`BadRequest("...")`) says what was wrong; anything else stays general.
        reason = str(exception) if type(exception) is BadRequest else ""
        return HttpResponseBadRequest(loader.render_to_string("400.html", {"reason": reason}, request))
    if isinstance(exception, RequestDataTooBig):
        return api_error(body_too_large_detail(), 400)
    if isinstance(exception, TooManyFieldsSent):
        return api_error("The request sends too many parameters.", 400)
    return api_error("Bad request.", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api(request):
        return defaults.permission_denied(request, exception)
    return api_error(str(exceptions.PermissionDenied.default_detail), 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api(request):
        return defaults.page_not_found(request, exception)
    return api_error(str(exceptions.NotFound.default_detail), 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if not is_api(request):
        return defaults.server_error(request)
    return api_error(str(exceptions.APIException.default_detail), 500)


def view_class(match: ResolverMatch | None) -> type | None:
    """The class of the view a URL resolved to (a class-based view or a DRF viewset), if it is one."""
    if match is None:
        return None
    found = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    return found if isinstance(found, type) else None


def api_refusal(request: HttpRequest, detail: Any, status: int = 400) -> HttpResponse:
    """An API refusal written before any view runs (`RequestGuardMiddleware`), in the error shape of the view the
    path leads to: a view class with a `refusal_response(status, detail)` classmethod writes its own (the FHIR
    routes' OperationOutcome); any other gets the API's (`{"detail": ...}`, or the fields at fault)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    hook = getattr(view_class(match), "refusal_response", None)
    if hook is not None:
        return hook(status, detail)
    if isinstance(detail, str):
        return api_error(detail, status)
    return JsonResponse(detail, status=status)
