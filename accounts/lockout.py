"""The two lockouts of a sign-in, the email each one sends, and the practice admin's unlock.

django-axes counts failures per (account, client address): 5 lock that pair, so whoever types a colleague's
email five times from elsewhere locks only themselves out (settings AXES_*). Axes has one failure limit for
all its counts, so the second lockout, the account from every address after ACCOUNT_LOCKOUT_FAILURE_LIMIT
failures in ACCOUNT_LOCKOUT_WINDOW (a guesser rotating addresses), is counted here, in the shared cache,
by a handler that extends axes' own. Failures refused because of a lock are not counted again: they tested
no password.
"""

from __future__ import annotations

import logging
from smtplib import SMTPException
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.audit import Action, AuditContext, audit_record
from accounts.models import User
from accounts.throttling import digest, window_count, window_key_of

logger = logging.getLogger(__name__)

ACCOUNT_FAILURES = "account-failures"


def account_lock_key(username: str) -> str:
    return f"lockout:account:{digest(username)}"


def account_locked(username: str) -> bool:
    """Whether the account is locked from every address."""
    try:
        return bool(username) and cache.get(account_lock_key(username)) is not None
    except RedisError:
        logger.warning("Account lockout not checked: the cache did not answer")
        return False


def account_failure_locks(username: str) -> bool:
    """Count a failed sign-in of the account from any address; True when it is the one that locks it."""
    if not username:
        return False
    try:
        window = int(settings.ACCOUNT_LOCKOUT_WINDOW.total_seconds())
        count, _ = window_count(ACCOUNT_FAILURES, username, window)
        if count < settings.ACCOUNT_LOCKOUT_FAILURE_LIMIT:
            return False
        cache.set(account_lock_key(username), timezone.now().isoformat(), timeout=cooloff_seconds())
        # The next failures after the lock ends start a new window: another full count locks it again.
        cache.delete(window_key_of(ACCOUNT_FAILURES, username))
    except (RedisError, ValueError):
        logger.warning("Account lockout not counted: the cache did not answer")
        return False
    return True


def cooloff_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, plus the account-wide lockout and the lock email."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        return super().is_locked(request, credentials) or account_locked(get_client_username(request, credentials))

    def user_login_failed(self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
        refused_by_lock = bool(getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or refused_by_lock:
            return
        username = get_client_username(request, credentials)
        if request.axes_locked_out:
            lock_notify(request, username, whole_account=False)
        elif account_failure_locks(username):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            lock_notify(request, username, whole_account=True)


def lock_notify(request: HttpRequest, username: str, *, whole_account: bool) -> None:
    """Tell the account's owner it was locked, and record the lock in the audit trail (no PHI in either)."""
    user = User.objects.filter(email__iexact=username, is_active=True).first()
    if user is None:
        return
    ip_address = getattr(request, "axes_ip_address", None) or "an unknown address"
    audit_record(
        AuditContext.from_request(request),
        Action.UPDATE,
        user,
        changes={
            "sign_in_locked": [False, True],
            "locked_from": [None, "every address" if whole_account else ip_address],
        },
    )
    context = {
        "email": user.email,
        "when": timezone.now(),
        "whole_account": whole_account,
        "ip_address": ip_address,
        "failures": settings.ACCOUNT_LOCKOUT_FAILURE_LIMIT if whole_account else settings.AXES_FAILURE_LIMIT,
        "window_minutes": int(settings.ACCOUNT_LOCKOUT_WINDOW.total_seconds() // 60),
        "minutes": cooloff_seconds() // 60,
    }
    message = render_to_string("registration/sign_in_locked_email.txt", context)
    transaction.on_commit(lambda: _send_lock_email(user.email, message))


def _send_lock_email(address: str, message: str) -> None:
    try:
        send_mail("Your Trellis sign-in was locked", message, None, [address])
    except (OSError, SMTPException):
        # The lock holds whether or not the mail server answered; the sign-in's answer must not become a 500.
        logger.exception("The sign-in lock email could not be sent")


def sign_in_locked(user: User) -> bool:
    """Whether any lock stands between `user` and signing in: from one address or from all."""
    username = user.email.lower()
    if account_locked(username):
        return True
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(
        username=username, failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    ).exists()


def sign_in_unlock(*, by: AuditContext, user: User) -> bool:
    """Lift every sign-in lock of `user` (a practice admin's action); False when there was none to lift."""
    username = user.email.lower()
    with transaction.atomic():
        locked = sign_in_locked(user)
        axes_reset(username=username)
        cache.delete_many([account_lock_key(username), window_key_of(ACCOUNT_FAILURES, username)])
        if locked:
            audit_record(by, Action.UPDATE, user, changes={"sign_in_locked": [True, False]})
    return locked
