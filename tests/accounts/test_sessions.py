"""The idle time-out: a session ends after 15 minutes without a request."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

pytestmark = pytest.mark.django_db


def session_row(client):
    return Session.objects.get(session_key=client.session.session_key)


def test_the_idle_timeout_is_fifteen_minutes_and_slides_with_each_request():
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_each_request_pushes_the_expiry_fifteen_minutes_ahead(client, owner, patient):
    client.force_login(owner)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() + datetime.timedelta(minutes=1)
    )

    assert client.get("/patients/").status_code == 200

    remaining = session_row(client).expire_date - timezone.now()
    assert datetime.timedelta(minutes=14) < remaining <= datetime.timedelta(minutes=15)


def test_an_expired_session_is_signed_out(client, owner, patient):
    client.force_login(owner)
    assert client.get(f"/patients/{patient.pk}/").status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = client.get(f"/patients/{patient.pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_session_idle_past_its_expiry_cannot_use_the_api(client, owner, patient):
    client.force_login(owner)
    assert client.get("/api/v1/patients").status_code == 200
    session = client.session
    session.set_expiry(-1)
    session.save()

    assert client.get("/api/v1/patients").status_code == 401


def test_pages_tell_the_browser_the_idle_timeout(client, owner):
    client.force_login(owner)

    response = client.get("/patients/")

    assert b'data-idle-timeout="900"' in response.content
