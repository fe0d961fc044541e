"""Anti-automation: every rate answers 429 with Retry-After at exactly its limit + 1.

The rates are settings; these tests lower them (the counting is the same at any limit) except where the
default is small enough to reach. Each test starts with an empty count (tests/conftest.py).
"""

import os
import re
import threading

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import caches
from rest_framework.test import APIClient

from accounts.throttling import Rate, hit
from tests.support import run_together

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
LOGIN_URL = "/accounts/login/"
ADMIN_LOGIN_URL = "/admin/login/"
RESET_URL = "/accounts/password/reset/"


def assert_throttled(response, period):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= period


def test_the_defaults_are_the_documented_ones():
    assert django_settings.THROTTLE_API_USER_RATE == "1200/minute"
    assert django_settings.THROTTLE_API_ANON_RATE == "60/minute"
    assert django_settings.THROTTLE_SIGN_IN_IP_RATE == "20/minute"
    assert django_settings.THROTTLE_SIGN_IN_ACCOUNT_RATE == "10/minute"
    assert django_settings.THROTTLE_PASSWORD_RESET_IP_RATE == "20/hour"
    assert django_settings.THROTTLE_PASSWORD_RESET_ACCOUNT_RATE == "5/hour"


@pytest.mark.parametrize(
    ("text", "rate"),
    [("1200/minute", Rate(1200, 60)), ("20/m", Rate(20, 60)), ("5/hour", Rate(5, 3600)), ("3/s", Rate(3, 1))],
)
def test_rates_read_drf_notation(text, rate):
    assert Rate.parse(text) == rate


# --- the API ---------------------------------------------------------------------------------------


def test_a_user_past_the_api_rate_gets_429_in_the_error_shape(settings, api, owner, colleague):
    settings.THROTTLE_API_USER_RATE = "3/minute"
    client = api.as_(owner)
    for _ in range(3):
        assert client.get("/api/v1/staff/me").status_code == 200

    response = client.get("/api/v1/staff/me")

    assert_throttled(response, 60)
    assert set(response.json()) == {"detail"}
    # The count is the user's: a colleague calling from the same address is not held up.
    assert APIClient().get("/api/v1/staff/me") and api.as_(colleague).get("/api/v1/staff/me").status_code == 200


def test_the_user_rate_counts_every_endpoint_together(settings, api, owner, patient):
    settings.THROTTLE_API_USER_RATE = "2/minute"
    client = api.as_(owner)
    assert client.get("/api/v1/staff/me").status_code == 200
    assert client.get(f"/api/v1/patients/{patient.pk}").status_code == 200

    assert_throttled(client.get("/api/v1/patients"), 60)


def test_anonymous_calls_past_the_rate_get_429_per_address(settings, db):
    settings.THROTTLE_API_ANON_RATE = "3/minute"
    for _ in range(3):
        assert APIClient().get("/api/v1/patients", REMOTE_ADDR="10.2.0.1").status_code == 401

    response = APIClient().get("/api/v1/patients", REMOTE_ADDR="10.2.0.1")

    assert_throttled(response, 60)
    assert set(response.json()) == {"detail"}
    assert APIClient().get("/api/v1/patients", REMOTE_ADDR="10.2.0.2").status_code == 401


def test_the_default_anonymous_rate_is_reached_at_61(db):
    for _ in range(60):
        assert APIClient().get("/api/v1/patients", REMOTE_ADDR="10.2.0.3").status_code == 401

    assert_throttled(APIClient().get("/api/v1/patients", REMOTE_ADDR="10.2.0.3"), 60)


# --- sign-in ---------------------------------------------------------------------------------------


def sign_in_page(client, email, password, ip):
    return client.post(LOGIN_URL, {"username": email, "password": password}, REMOTE_ADDR=ip)


def sign_in_admin(client, email, password, ip):
    return client.post(ADMIN_LOGIN_URL, {"username": email, "password": password}, REMOTE_ADDR=ip)


def sign_in_api(email, password, ip):
    return APIClient().post(TOKEN_URL, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip)


def test_the_default_sign_in_rate_per_address_is_reached_at_21(client, owner, password):
    for n in range(20):
        response = sign_in_page(client, f"someone{n}@riverside.example", "wrong-password-123", "10.3.0.1")
        assert response.status_code == 200

    response = sign_in_page(client, owner.email, password, "10.3.0.1")

    assert_throttled(response, 60)
    assert b"Too many" in response.content
    assert "_auth_user_id" not in client.session
    # Another address signs in.
    assert sign_in_page(client, owner.email, password, "10.3.0.2").status_code == 302


def test_the_three_sign_in_doors_share_the_count_per_address(settings, client, owner, password):
    settings.THROTTLE_SIGN_IN_IP_RATE = "3/minute"
    assert sign_in_page(client, "a@riverside.example", "wrong-password-123", "10.3.1.1").status_code == 200
    assert sign_in_admin(client, "b@riverside.example", "wrong-password-123", "10.3.1.1").status_code == 200
    assert sign_in_api("c@riverside.example", "wrong-password-123", "10.3.1.1").status_code == 400

    api_answer = sign_in_api(owner.email, password, "10.3.1.1")
    admin_answer = sign_in_admin(client, owner.email, password, "10.3.1.1")

    assert_throttled(api_answer, 60)
    assert set(api_answer.json()) == {"detail"}
    assert_throttled(admin_answer, 60)


def test_the_second_factors_code_step_is_a_sign_in_door_too(settings, client):
    settings.THROTTLE_SIGN_IN_IP_RATE = "2/minute"
    for _ in range(2):
        assert client.post("/accounts/login/code/", {"code": "123456"}, REMOTE_ADDR="10.3.2.1").status_code != 429

    assert_throttled(client.post("/accounts/login/code/", {"code": "123456"}, REMOTE_ADDR="10.3.2.1"), 60)
    assert client.post("/accounts/login/code/", {"code": "123456"}, REMOTE_ADDR="10.3.2.2").status_code != 429


def test_the_default_sign_in_rate_per_account_is_reached_at_11_from_any_address(client, owner, colleague, password):
    for n in range(5):
        assert sign_in_page(client, owner.email, "wrong-password-123", f"10.4.0.{n}").status_code == 200
    for n in range(5, 10):
        assert sign_in_api(owner.email.upper(), "wrong-password-123", f"10.4.0.{n}").status_code == 400

    # The right password is held back too: the throttle answers before any password is checked.
    assert_throttled(sign_in_api(owner.email, password, "10.4.0.10"), 60)
    assert_throttled(sign_in_page(client, owner.email, password, "10.4.0.11"), 60)
    assert sign_in_page(client, colleague.email, password, "10.4.0.12").status_code == 302


def test_signing_in_by_get_is_not_counted(settings, client, db):
    settings.THROTTLE_SIGN_IN_IP_RATE = "1/minute"
    for _ in range(3):
        assert client.get(LOGIN_URL, REMOTE_ADDR="10.3.2.1").status_code == 200


# --- password reset --------------------------------------------------------------------------------


def ask_reset(client, email, ip):
    return client.post(RESET_URL, {"email": email}, REMOTE_ADDR=ip)


def test_the_sixth_reset_for_an_account_within_the_hour_is_429_and_sends_nothing(client, owner):
    for n in range(5):
        assert ask_reset(client, owner.email, f"10.5.0.{n}").status_code == 302
    assert len(mail.outbox) == 5

    response = ask_reset(client, owner.email.upper(), "10.5.0.9")

    assert_throttled(response, 3600)
    assert len(mail.outbox) == 5


def test_a_throttled_reset_does_not_tell_whether_the_account_exists(client, owner):
    known = [ask_reset(client, owner.email, f"10.5.1.{n}") for n in range(6)]
    unknown = [ask_reset(client, "nobody@riverside.example", f"10.5.2.{n}") for n in range(6)]

    assert [r.status_code for r in known] == [302] * 5 + [429]
    assert [r.status_code for r in unknown] == [r.status_code for r in known]
    assert [r.get("Location") for r in unknown] == [r.get("Location") for r in known]
    # The same page, but for the nonce each response has of its own.
    assert without_nonce(unknown[-1].content) == without_nonce(known[-1].content)


def without_nonce(content):
    return re.sub(rb' nonce="[^"]*"', b"", content)


def test_resets_past_the_rate_per_address_are_429(settings, client, db):
    settings.THROTTLE_PASSWORD_RESET_IP_RATE = "3/hour"
    for n in range(3):
        assert ask_reset(client, f"someone{n}@riverside.example", "10.5.3.1").status_code == 302

    assert_throttled(ask_reset(client, "another@riverside.example", "10.5.3.1"), 3600)
    assert ask_reset(client, "another@riverside.example", "10.5.3.2").status_code == 302


# --- parallel requests -------------------------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis of REDIS_URL")
def test_parallel_requests_on_redis_get_exactly_the_limit_through(settings):
    """20 requests at once against a limit of 10: Redis' INCR lets exactly 10 through, whatever the interleaving."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "trellis-test-throttling",
        }
    }
    ident = f"parallel-{os.getpid()}-{threading.get_ident()}"

    def request() -> int | None:
        try:
            return hit("parallel", ident, Rate(10, 60))
        finally:
            caches["default"].close()

    answers = run_together(*[request] * 20)

    assert answers.count(None) == 10
    assert all(1 <= wait <= 60 for wait in answers if wait is not None)
    # The keys expire with the window; clearing the cache would empty a Redis the broker shares.
