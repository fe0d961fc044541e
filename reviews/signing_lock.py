"""The tablet lock: while a client signs on the clinician's device, the session reaches only that page.

The clinician hands the device over from the plan page (`client_lock`): from then on, whatever is typed in
the address bar, every page of this session other than the client's signing page and the locked screen
("hand back") answers with the locked screen, and the session's API calls are refused. The lock ends only
when the clinician re-enters their password on the locked screen (`client_unlock`), through the sign
service's re-authentication, so a wrong password counts toward the same lockout as a wrong sign-in.
Signing out ends it too (the session is gone, and with it the access the lock protects).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.errors import is_api

SESSION_KEY = "client_signing_lock"
LOCKED_DETAIL = "This session is handed to a client to sign a plan: hand it back on the device first."


def client_lock(session: SessionBase, *, plan_id: Any) -> None:
    session[SESSION_KEY] = {"plan": str(plan_id)}
    # A new session key: a copy of the old cookie taken before the hand-over does not carry the lock away.
    session.cycle_key()


def locked_plan(session: SessionBase) -> str | None:
    """The plan whose client signing page this session is locked to, or None."""
    lock = session.get(SESSION_KEY)
    return lock.get("plan") if isinstance(lock, dict) else None


def client_unlock(session: SessionBase) -> None:
    session.pop(SESSION_KEY, None)


def allowed_paths(plan_id: str) -> tuple[str, ...]:
    return (
        reverse("plan-client-sign", args=[plan_id]),
        reverse("plan-hand-back", args=[plan_id]),
        reverse("logout"),
    )


class ClientSigningLockMiddleware:
    """Sends every request of a locked session, other than the client's page and the locked screen, to the
    locked screen (the API: 403). Static files are served before this (WhiteNoise)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        plan_id = locked_plan(request.session) if hasattr(request, "session") else None
        if plan_id is None or not request.user.is_authenticated or request.path in allowed_paths(plan_id):
            return self.get_response(request)
        if request.path.startswith(settings.STATIC_URL):  # the bare page's own styles and script
            return self.get_response(request)
        if is_api(request):
            if "HTTP_AUTHORIZATION" in request.META:  # a token's call, not this device's session
                return self.get_response(request)
            return JsonResponse({"detail": LOCKED_DETAIL, "code": "client_signing_locked"}, status=403)
        return redirect("plan-hand-back", plan_id)
