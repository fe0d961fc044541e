"""Responses that may carry PHI are never cached; the health check answers without signing in."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def no_store(response):
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize("url", ["/api/v1/patients", "/api/v1/patients/{id}", "/api/v1/staff/me"])
def test_api_answers_are_not_stored(api, owner, patient, url):
    response = api.as_(owner).get(url.format(id=patient.pk))

    assert response.status_code == 200
    assert no_store(response)


def test_api_errors_are_not_stored_either(db):
    response = APIClient().get("/api/v1/patients")

    assert response.status_code == 401
    assert no_store(response)


def test_the_token_answer_is_not_stored(owner, password):
    response = APIClient().post("/api/v1/auth/token", {"email": owner.email, "password": password}, format="json")

    assert response.status_code == 200
    assert no_store(response)


@pytest.mark.parametrize(
    "url",
    [
        "/patients/",
        "/patients/{id}/",
        "/patients/{id}/edit/",
        "/admin/accounts/patient/",
        "/admin/accounts/patient/{id}/change/",
    ],
)
def test_signed_in_pages_are_not_stored(client, practice_admin, patient, url):
    client.force_login(practice_admin)

    response = client.get(url.format(id=patient.pk))

    assert response.status_code == 200
    assert no_store(response)


def test_healthz(db):
    response = APIClient().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_password_validators_require_twelve_characters():
    from django.contrib.auth.password_validation import get_default_password_validators

    lengths = [v.min_length for v in get_default_password_validators() if hasattr(v, "min_length")]
    assert lengths == [12]


def test_pages_may_not_be_framed_and_types_not_sniffed(client, owner):
    client.force_login(owner)

    response = client.get("/patients/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert settings.SESSION_COOKIE_HTTPONLY is True
