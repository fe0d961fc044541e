"""Anti-automation: request rates counted in the shared cache, for the API and for the sign-in and reset doors.

Each limit is a fixed window that opens with the first request it counts and lasts the rate's period: on
Redis the count is one atomic increment (INCR), so parallel requests cannot slip past the limit (the
database cache of `make run` increments without that guarantee), and the answer past it is a 429 with
`Retry-After` (the seconds until that window closes). The rates are settings
(config/settings.py, "Anti-automation"), read on each request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts.audit import client_ip
from accounts.auth import axes_username
from accounts.errors import api_error, is_api

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    """At most `limit` requests in `period` seconds."""

    limit: int
    period: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`"20/minute"` (DRF's notation: the period's first letter counts) -> Rate(20, 60)."""
        count, _, period = text.partition("/")
        return cls(limit=int(count), period=PERIODS[period.strip()[0].lower()])


def rate_setting(name: str) -> Rate:
    return Rate.parse(getattr(settings, name))


def digest(value: str) -> str:
    # Keys name no email address or IP in the cache: a dump of Redis is not a list of who signs in from where.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def window_count(scope: str, ident: str, period: int) -> tuple[int, float]:
    """Count one event of `ident` under `scope` in its window: (the count so far, when the window opened)."""
    now = time.time()
    window_key = window_key_of(scope, ident)
    # Within an open window: a read and an increment (three round trips to Redis, the increment being two), where
    # adding the window and its count on every request made it five.
    opened = cache.get(window_key)
    if opened is None:
        opened = now if cache.add(window_key, now, timeout=period) else cache.get(window_key, now)
    # The count lives under a key of its own window: a count left by an earlier window is never reused.
    count_key = f"{window_key}:{int(opened * 1000)}"
    try:
        return cache.incr(count_key), opened
    except ValueError:  # the window's first count: started at 0, whichever parallel request adds it
        cache.add(count_key, 0, timeout=period)
        return cache.incr(count_key), opened


def window_key_of(scope: str, ident: str) -> str:
    return f"throttle:{scope}:{digest(ident)}"


def hit(scope: str, ident: str, rate: Rate) -> int | None:
    """Count one request of `ident` under `scope`; None while within the rate, else the seconds to wait."""
    try:
        count, opened = window_count(scope, ident, rate.period)
    except (RedisError, ValueError):
        # Redis down (or the window closing between two steps): the request goes through uncounted rather
        # than the API failing with the cache; the lockout, kept in the database, still guards sign-in.
        logger.warning("Rate limit %s not counted: the cache did not answer", scope)
        return None
    if count <= rate.limit:
        return None
    return max(1, math.ceil(opened + rate.period - time.time()))


def throttled_detail(wait: int) -> str:
    return f"Too many requests: try again in {wait} seconds."


# --- The API ---------------------------------------------------------------------------------------


class RateThrottle(BaseThrottle):
    """A DRF throttle on `hit`; DRF turns a refusal into a 429 with Retry-After from `wait()`."""

    scope = ""
    rate_name = ""

    def ident_of(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: object) -> bool:
        ident = self.ident_of(request)
        if ident is None:
            return True
        self.wait_seconds = hit(self.scope, ident, rate_setting(self.rate_name))
        return self.wait_seconds is None

    def wait(self) -> float | None:
        return self.wait_seconds


class UserRateThrottle(RateThrottle):
    """Per signed-in user, whichever token or session they call with."""

    scope = "api-user"
    rate_name = "THROTTLE_API_USER_RATE"

    def ident_of(self, request: Request) -> str | None:
        return str(request.user.pk) if request.user and request.user.is_authenticated else None


class AnonRateThrottle(RateThrottle):
    """Per client address, for calls that carry no valid credentials."""

    scope = "api-anon"
    rate_name = "THROTTLE_API_ANON_RATE"

    def ident_of(self, request: Request) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        # The address the sign-in doors, the lockout and the audit trail name, not DRF's own reading of it.
        return client_ip(request) or ""


# --- Sign-in and password reset --------------------------------------------------------------------


@dataclass(frozen=True)
class Door:
    """A view that takes credentials or sends a reset email, and the rates that guard it."""

    scope: str
    ip_rate: str
    account_rate: str


SIGN_IN = Door("sign-in", "THROTTLE_SIGN_IN_IP_RATE", "THROTTLE_SIGN_IN_ACCOUNT_RATE")
PASSWORD_RESET = Door("password-reset", "THROTTLE_PASSWORD_RESET_IP_RATE", "THROTTLE_PASSWORD_RESET_ACCOUNT_RATE")

#: The URL names whose POSTs are counted. The three sign-in doors share one count: a guesser gains nothing
#: by moving from the page to the admin (its sign-in is accounts.mfa's `admin-login`) or the API. The second
#: factor's code step counts per address too (its account is in the session, not the POST; a wrong code is
#: a failed sign-in to the lockout).
DOORS: dict[str, Door] = {
    "login": SIGN_IN,
    "admin-login": SIGN_IN,
    "login-code": SIGN_IN,
    "api:auth-token": SIGN_IN,
    "password_reset": PASSWORD_RESET,
}


def door_of(request: HttpRequest) -> Door | None:
    if request.method != "POST":
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return DOORS.get(match.view_name)


def account_named(request: HttpRequest) -> str:
    """The account the POST names (the form's `username` or `email`, or the API's JSON `email`), lower-cased."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return ""
        value = body.get("email") if isinstance(body, dict) else None
        return value.strip().lower() if isinstance(value, str) else ""
    return axes_username(request)


def door_wait(request: HttpRequest, door: Door) -> int | None:
    """Count this attempt per address and per account named; the longer wait if either is past its rate."""
    waits = [hit(f"{door.scope}-ip", client_ip(request) or "", rate_setting(door.ip_rate))]
    account = account_named(request)
    if account:
        waits.append(hit(f"{door.scope}-account", account, rate_setting(door.account_rate)))
    refused = [wait for wait in waits if wait is not None]
    return max(refused) if refused else None


def too_many_requests(request: HttpRequest, wait: int) -> HttpResponse:
    if is_api(request):
        response: HttpResponse = api_error(throttled_detail(wait), 429)
    else:
        response = render(request, "429.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


class DoorThrottleMiddleware:
    """Counts every POST to a sign-in or reset view before the view runs, known account or not, so the 429
    says nothing about whether the account exists (and a refused reset sends no email)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        door = door_of(request)
        if door is not None:
            wait = door_wait(request, door)
            if wait is not None:
                return too_many_requests(request, wait)
        return self.get_response(request)
