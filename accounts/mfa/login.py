"""What a sign-in leaves in the session about the second factor, and the lockout glue for wrong codes.

A session records its MFA state when it signs in (`mfa_state`), so the gate (accounts.mfa.middleware) reads
the session, not the database, on every request:

- `verified`: a code was entered (or the account was just enrolled) in this session;
- `ok`: no second factor at sign-in: none enrolled and the practice does not ask for one;
- `enrol`: the practice asks for one and none is enrolled: the user may only enrol (or sign out);
- `enter`: one is enrolled but was not entered (a session signed in some other way): it must sign in again.

A user with a second factor is not signed in by the password alone: the password step keeps them "pending"
in the session (`mfa_pending`) for MFA_PENDING_LOGIN_SECONDS, and the code step signs them in.
"""

from __future__ import annotations

import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import SESSION_KEY, user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.mfa.services import mfa_enrolled, mfa_required_for, mfa_verify
from accounts.models import User

STATE = "mfa_state"
PENDING = "mfa_pending"
VERIFIED, OK, ENROL, ENTER = "verified", "ok", "enrol", "enter"


def state_at_sign_in(user: User) -> str:
    if mfa_enrolled(user):
        return ENTER
    return ENROL if mfa_required_for(user) else OK


@receiver(user_logged_in)
def _record_state(sender: type, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """Every session sign-in (the views', the admin's, a test's force_login) records the session's MFA state.

    A signal, because `login()` is called from places this app does not own; the token endpoint also sends
    user_logged_in, but signs no session in, so it is skipped.
    """
    session = getattr(request, "session", None)
    if session is None or session.get(SESSION_KEY) != str(user.pk):
        return
    session[STATE] = state_at_sign_in(user)


def session_state(request: HttpRequest) -> str:
    """This session's MFA state; a session signed in before MFA existed gets its state now."""
    state = request.session.get(STATE)
    if state is None:
        state = state_at_sign_in(request.user)  # type: ignore[arg-type]
        request.session[STATE] = state
    return str(state)


def mark_verified(request: HttpRequest) -> None:
    request.session[STATE] = VERIFIED


def pending_start(request: HttpRequest, user: User, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": str(user.pk),
        # Set by authenticate() on the user it returns: the code step signs in through the same backend.
        "backend": user.backend,
        "next": next_url,
        "at": time.time(),
    }


def pending_user(request: HttpRequest) -> tuple[User, str, str] | None:
    """(user, backend, next URL) of the password step awaiting its code, if it is recent and still active."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("at", 0)) > settings.MFA_PENDING_LOGIN_SECONDS:
        pending_clear(request)
        return None
    user = User.objects.filter(pk=str(pending.get("user", "")), is_active=True).select_related("practice").first()
    if user is None:
        pending_clear(request)
        return None
    return user, str(pending["backend"]), str(pending["next"])


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)


def second_factor_check(request: HttpRequest, user: User, code: str) -> Any:
    """The device that accepts `code`, or None; a wrong code counts toward the lockout as a wrong password does.

    The lockout is django-axes's: asked first (a locked account gets no answer about its code) and told of a
    failure through Django's `user_login_failed` signal, the path a wrong password takes. Either way a locked
    account leaves `request.axes_locked_out` set, which the caller turns into the lockout response.
    """
    credentials = {"username": user.email}
    if not AxesProxyHandler.is_allowed(request, credentials):
        request.axes_locked_out = True  # type: ignore[attr-defined]
        return None
    device = mfa_verify(user=user, code=code)
    if device is None:
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return device
