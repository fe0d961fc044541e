"""API tokens, and the lockout that guards every door to an account (django-axes, by account and address;
tests/accounts/test_lockout.py has the account-wide lockout, the lock email and the unlock).

These use real credentials (no force_authenticate): what is tested is the authentication itself.
"""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
LOGIN_URL = "/accounts/login/"


def get_token(email, password, ip="10.0.0.1"):
    return APIClient().post(TOKEN_URL, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip)


def fail_on_token_endpoint(email, times, first_ip=1, ip=None):
    """`times` wrong passwords, from `ip`, or else each from another address."""
    for n in range(first_ip, first_ip + times):
        response = get_token(email, "wrong-password-123", ip=ip or f"10.0.0.{n}")
        assert response.status_code in (400, 429)


def fail_on_login_page(client, email, times, first_ip=101, ip=None):
    for n in range(first_ip, first_ip + times):
        response = client.post(
            LOGIN_URL, {"username": email, "password": "wrong-password-123"}, REMOTE_ADDR=ip or f"10.0.1.{n}"
        )
        assert response.status_code in (200, 429)


def test_a_token_authenticates_until_it_is_revoked(owner, password):
    response = APIClient().post(TOKEN_URL, {"email": owner.email, "password": password}, format="json")

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"token", "expires"}
    assert response.json()["expires"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = client.get("/api/v1/staff/me")
    assert me.status_code == 200
    assert me.json()["email"] == owner.email

    assert client.delete(TOKEN_URL).status_code == 204
    assert client.get("/api/v1/staff/me").status_code == 401
    assert not AuthToken.objects.filter(user=owner).exists()


def test_revoking_one_token_leaves_the_others(owner, password):
    first = get_token(owner.email, password).json()["token"]
    second = get_token(owner.email, password).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    client.delete(TOKEN_URL)

    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert other.get("/api/v1/staff/me").status_code == 200


def test_the_email_is_case_insensitive(owner, password):
    assert get_token(owner.email.upper(), password).status_code == 200


def test_a_wrong_password_is_a_400_naming_non_field_errors(owner):
    response = get_token(owner.email, "not-the-password")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert not AuthToken.objects.exists()


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, {"email", "password"}),
        ({"email": "owner@riverside.example"}, {"password"}),
        ({"password": "x"}, {"email"}),
        ({"email": "not-an-email", "password": "x"}, {"email"}),
    ],
)
def test_missing_or_malformed_fields_are_named(owner, body, named):
    response = APIClient().post(TOKEN_URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == named


def test_an_unknown_or_deactivated_account_gets_no_token(owner, password):
    owner.is_active = False
    owner.save()

    assert get_token(owner.email, password).status_code == 400
    assert get_token("nobody@riverside.example", password).status_code == 400
    assert not AuthToken.objects.exists()


def test_a_made_up_token_is_a_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "a" * 64)

    assert client.get("/api/v1/patients").status_code == 401


def test_revoking_needs_a_token(owner):
    assert APIClient().delete(TOKEN_URL).status_code == 401


# --- Lockout ----------------------------------------------------------------------------------


def test_four_failures_do_not_lock(owner, password):
    fail_on_token_endpoint(owner.email, 4, ip="10.0.0.1")

    assert get_token(owner.email, password, ip="10.0.0.1").status_code == 200


def test_five_failures_on_the_token_endpoint_lock_the_account_from_that_address(owner, password):
    fail_on_token_endpoint(owner.email, 5, ip="10.0.0.1")

    response = get_token(owner.email, password, ip="10.0.0.1")

    assert response.status_code == 429
    assert "locked" in response.json()["detail"]
    assert response["Retry-After"] == "1800"
    assert not AuthToken.objects.exists()
    # Whoever typed the owner's email five times locked only their own address out.
    assert get_token(owner.email, password, ip="192.168.7.7").status_code == 200


def test_five_failures_from_five_addresses_lock_nothing(owner, password):
    fail_on_token_endpoint(owner.email, 5)

    assert get_token(owner.email, password, ip="10.0.0.3").status_code == 200


def test_five_failures_on_the_login_page_lock_the_account_from_that_address(client, owner, password):
    fail_on_login_page(client, owner.email, 5, ip="10.0.1.1")

    response = client.post(LOGIN_URL, {"username": owner.email, "password": password}, REMOTE_ADDR="10.0.1.1")

    assert response.status_code == 429
    assert b"locked" in response.content
    assert response["Retry-After"] == "1800"
    assert "_auth_user_id" not in client.session
    response = client.post(LOGIN_URL, {"username": owner.email, "password": password}, REMOTE_ADDR="192.168.7.7")
    assert response.status_code == 302


def test_failures_on_both_doors_count_together(client, owner, password):
    fail_on_login_page(client, owner.email, 3, ip="10.0.0.1")
    fail_on_token_endpoint(owner.email.upper(), 2, ip="10.0.0.1")

    assert get_token(owner.email, password, ip="10.0.0.1").status_code == 429
    response = client.post(LOGIN_URL, {"username": owner.email, "password": password}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429


def test_a_locked_account_does_not_lock_another(client, owner, colleague, password):
    fail_on_token_endpoint(owner.email, 5, ip="10.0.0.1")

    assert get_token(colleague.email, password, ip="10.0.0.1").status_code == 200
    response = client.post(LOGIN_URL, {"username": colleague.email, "password": password}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(colleague.pk)


def test_a_successful_sign_in_resets_the_count(owner, password):
    fail_on_token_endpoint(owner.email, 4, ip="10.0.0.1")
    assert get_token(owner.email, password, ip="10.0.0.1").status_code == 200

    fail_on_token_endpoint(owner.email, 4, ip="10.0.0.1")
    assert get_token(owner.email, password, ip="10.0.0.1").status_code == 200


def test_the_login_page_signs_in_with_email(client, owner, password):
    response = client.post(LOGIN_URL, {"username": owner.email.upper(), "password": password})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)
