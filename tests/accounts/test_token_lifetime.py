"""A token from POST /api/v1/auth/token slides with use (API_TOKEN_TTL_HOURS) but ends at its absolute age
(API_TOKEN_MAX_AGE_HOURS), however busy it is kept. Time is moved with time-machine."""

import datetime

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def token_client(owner, password):
    response = APIClient().post("/api/v1/auth/token", {"email": owner.email, "password": password}, format="json")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_a_used_token_slides_but_ends_a_day_after_it_was_issued(owner, password):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = token_client(owner, password)
        token = AuthToken.objects.get(user=owner)
        assert token.expiry == start + 12 * HOUR

        traveller.move_to(start + 11 * HOUR)
        assert client.get("/api/v1/staff/me").status_code == 200
        token.refresh_from_db()
        assert token.expiry == start + 23 * HOUR

        traveller.move_to(start + 22 * HOUR)
        assert client.get("/api/v1/staff/me").status_code == 200
        token.refresh_from_db()
        assert token.expiry == start + 24 * HOUR

        traveller.move_to(start + 23 * HOUR + 59 * datetime.timedelta(minutes=1))
        assert client.get("/api/v1/staff/me").status_code == 200

        traveller.move_to(start + 24 * HOUR + datetime.timedelta(seconds=1))
        assert client.get("/api/v1/staff/me").status_code == 401
        assert not AuthToken.objects.filter(user=owner).exists()


def test_an_unused_token_ends_at_its_idle_time(owner, password):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = token_client(owner, password)

        traveller.move_to(start + 12 * HOUR + datetime.timedelta(seconds=1))
        assert client.get("/api/v1/staff/me").status_code == 401


def test_the_absolute_age_is_a_setting(owner, password, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "AUTO_REFRESH_MAX_TTL": 2 * HOUR}
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = token_client(owner, password)
        assert AuthToken.objects.get(user=owner).expiry == start + 2 * HOUR

        traveller.move_to(start + HOUR)
        assert client.get("/api/v1/staff/me").status_code == 200
        traveller.move_to(start + 2 * HOUR + datetime.timedelta(seconds=1))
        assert client.get("/api/v1/staff/me").status_code == 401


def test_authenticating_reads_only_the_token_presented(owner, password, django_assert_num_queries):
    """One query (the token with its user) per call: the user's other expired tokens are refused if used, and
    deleted by the nightly purge, not looked for on every request as knox does."""
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        stale = token_client(owner, password)
        traveller.move_to(start + 13 * HOUR)
        client = token_client(owner, password)
        client.get("/api/v1/staff/me")  # the token's slide is written on its first use

        with django_assert_num_queries(1):
            assert client.get("/api/v1/staff/me").status_code == 200
        assert AuthToken.objects.filter(user=owner).count() == 2

        assert stale.get("/api/v1/staff/me").status_code == 401
        assert AuthToken.objects.filter(user=owner).count() == 1
