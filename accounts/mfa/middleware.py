"""The gate: a signed-in user who owes a second factor reaches only the pages that settle it."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.errors import is_api
from accounts.mfa.login import ENROL, ENTER, session_state

ENROL_DETAIL = "Set up two-step sign-in first: your practice requires it (open /accounts/mfa/enrol/ in a browser)."
ENTER_DETAIL = "This session has not entered its second factor: sign in again."


class MFAGateMiddleware:
    """Sends a session that must enrol to enrolment, and one that skipped its code back to sign-in.

    The API answers 403 with a `code` (`mfa_enrolment_required`, `mfa_verification_required`) for such a
    session; a request with an Authorization header is the token door's, which asked for the code itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated or request.path.startswith("/static/"):
            return self.get_response(request)
        state = session_state(request)
        if state not in (ENROL, ENTER):
            return self.get_response(request)
        if is_api(request):
            if "HTTP_AUTHORIZATION" in request.META:
                return self.get_response(request)
            if state == ENROL:
                return JsonResponse({"detail": ENROL_DETAIL, "code": "mfa_enrolment_required"}, status=403)
            return JsonResponse({"detail": ENTER_DETAIL, "code": "mfa_verification_required"}, status=403)
        if state == ENROL:
            if request.path in (reverse("mfa-enrol"), reverse("logout")):
                return self.get_response(request)
            return redirect("mfa-enrol")
        logout(request)
        return redirect_to_login(request.get_full_path())
