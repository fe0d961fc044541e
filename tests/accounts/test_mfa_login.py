"""The second factor on the three doors: the sign-in page, the admin's sign-in, and POST /api/v1/auth/token.

Real credentials throughout (no force_login for the signing in itself): what is tested is the sign-in.
"""

import pytest
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import Practice, RecoveryCode
from tests.accounts.mfa_support import CODE_URL, LOGIN_URL, TOKEN_URL, code_for, enrol

pytestmark = pytest.mark.django_db


def password_step(client, user, password, url=LOGIN_URL, REMOTE_ADDR="10.0.0.1", **extra):
    return client.post(url, {"username": user.email, "password": password, **extra}, REMOTE_ADDR=REMOTE_ADDR)


def get_token(body, ip="10.0.0.1"):
    return APIClient().post(TOKEN_URL, body, format="json", REMOTE_ADDR=ip)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_new_practice_requires_mfa(db):
    assert Practice.objects.create(name="Lakeside").mfa_required is True


# --- the sign-in page -------------------------------------------------------------------------


def test_the_password_alone_does_not_sign_an_enrolled_user_in(client, owner, password):
    enrol(owner)

    response = password_step(client, owner, password)

    assert response.status_code == 302
    assert response["Location"] == CODE_URL
    assert not signed_in(client)
    assert client.get("/patients/")["Location"].startswith(LOGIN_URL)


def test_the_code_step_signs_in_with_the_apps_code(client, owner, password):
    key, _ = enrol(owner)
    password_step(client, owner, password, next="/patients/")

    page = client.get(CODE_URL)
    response = client.post(CODE_URL, {"code": code_for(key)})

    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == "/patients/"
    assert signed_in(client)
    assert client.get("/patients/").status_code == 200


def test_a_wrong_code_keeps_the_user_out_and_says_so(client, owner, password):
    key, _ = enrol(owner)
    password_step(client, owner, password)

    response = client.post(CODE_URL, {"code": "000000" if code_for(key) != "000000" else "111111"})

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "That code is not right: enter the code your app shows now, or an unused recovery code."
    ]
    assert not signed_in(client)


def test_the_code_step_without_a_password_step_sends_to_sign_in(client, owner):
    key, _ = enrol(owner)

    response = client.post(CODE_URL, {"code": code_for(key)})

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert not signed_in(client)


def test_the_password_step_expires(client, owner, password, settings):
    key, _ = enrol(owner)
    settings.MFA_PENDING_LOGIN_SECONDS = 0
    password_step(client, owner, password)

    response = client.post(CODE_URL, {"code": code_for(key)})

    assert response["Location"] == LOGIN_URL
    assert not signed_in(client)


def test_a_recovery_code_signs_in_once(client, owner, password):
    _, codes = enrol(owner)

    password_step(client, owner, password)
    first = client.post(CODE_URL, {"code": codes[0].upper()})
    client.logout()
    password_step(client, owner, password)
    again = client.post(CODE_URL, {"code": codes[0]})

    assert first.status_code == 302
    assert again.status_code == 200
    assert not signed_in(client)
    assert RecoveryCode.objects.filter(device__user=owner).count() == 9


def test_wrong_codes_count_toward_the_lockout(client, owner, password):
    """Five wrong codes lock the account from that address (the lockout is per account and address)."""
    key, _ = enrol(owner)
    wrong = "000000" if code_for(key) != "000000" else "111111"
    password_step(client, owner, password)
    for _ in range(4):
        assert client.post(CODE_URL, {"code": wrong}, REMOTE_ADDR="10.0.0.1").status_code == 200

    locked = client.post(CODE_URL, {"code": wrong}, REMOTE_ADDR="10.0.0.1")
    password_again = password_step(client, owner, password)
    code_again = client.post(CODE_URL, {"code": code_for(key)}, REMOTE_ADDR="10.0.0.1")

    assert locked.status_code == 429
    assert password_again.status_code == 429
    assert code_again["Location"] == LOGIN_URL
    assert not signed_in(client)

    elsewhere = Client()
    password_step(elsewhere, owner, password, REMOTE_ADDR="10.0.0.2")
    assert elsewhere.post(CODE_URL, {"code": code_for(key)}, REMOTE_ADDR="10.0.0.2").status_code == 302
    assert signed_in(elsewhere)


def test_a_user_without_mfa_in_a_practice_without_it_signs_in_with_the_password(client, owner, password):
    response = password_step(client, owner, password)

    assert response.status_code == 302
    assert signed_in(client)
    assert client.get("/patients/").status_code == 200


# --- the admin's sign-in ----------------------------------------------------------------------


def test_the_admin_sign_in_asks_for_the_code(client, practice_admin, password):
    key, _ = enrol(practice_admin)

    response = password_step(client, practice_admin, password, url="/admin/login/", next="/admin/")

    assert response.status_code == 302
    assert response["Location"] == CODE_URL
    assert not signed_in(client)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")

    done = client.post(CODE_URL, {"code": code_for(key)})

    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_sign_in_page_renders_and_refuses_clinicians(client, owner, password):
    assert client.get("/admin/login/").status_code == 200

    response = password_step(client, owner, password, url="/admin/login/")

    assert response.status_code == 200
    assert not signed_in(client)


def test_an_admin_without_mfa_signs_in_to_the_admin_with_the_password(client, practice_admin, password):
    response = password_step(client, practice_admin, password, url="/admin/login/", next="/admin/")

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- the token endpoint -----------------------------------------------------------------------


def test_the_token_endpoint_wants_the_code(owner, password):
    key, _ = enrol(owner)

    missing = get_token({"email": owner.email, "password": password})
    blank = get_token({"email": owner.email, "password": password, "otp": ""})
    wrong = get_token({"email": owner.email, "password": password, "otp": "12345"})
    right = get_token({"email": owner.email, "password": password, "otp": code_for(key)})

    for refused in (missing, blank, wrong):
        assert refused.status_code == 401
        assert refused.json()["mfa_required"] is True
        assert refused["WWW-Authenticate"] == "Token"
    assert right.status_code == 200
    assert set(right.json()) == {"token", "expires"}
    assert AuthToken.objects.filter(user=owner).count() == 1


def test_the_same_app_code_gives_one_token(owner, password):
    key, _ = enrol(owner)
    code = code_for(key)

    assert get_token({"email": owner.email, "password": password, "otp": code}).status_code == 200
    assert get_token({"email": owner.email, "password": password, "otp": code}).status_code == 401


def test_a_wrong_password_with_a_right_code_is_still_a_400(owner):
    key, _ = enrol(owner)

    response = get_token({"email": owner.email, "password": "not-the-password", "otp": code_for(key)})

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_each_recovery_code_gives_one_token(owner, password):
    _, codes = enrol(owner)

    first = get_token({"email": owner.email, "password": password, "otp": codes[3]})
    reused = get_token({"email": owner.email, "password": password, "otp": codes[3]})
    other = get_token({"email": owner.email, "password": password, "otp": codes[4]})

    assert (first.status_code, reused.status_code, other.status_code) == (200, 401, 200)


def test_wrong_codes_on_the_token_endpoint_lock_the_account(client, owner, password):
    key, _ = enrol(owner)
    for _ in range(4):
        assert get_token({"email": owner.email, "password": password, "otp": "x"}, ip="10.0.2.1").status_code == 401

    locked = get_token({"email": owner.email, "password": password, "otp": "x"}, ip="10.0.2.1")
    right = get_token({"email": owner.email, "password": password, "otp": code_for(key)}, ip="10.0.2.1")

    assert locked.status_code == 429
    assert right.status_code == 429
    assert not AuthToken.objects.exists()
    elsewhere = get_token({"email": owner.email, "password": password, "otp": code_for(key)}, ip="10.0.2.2")
    assert elsewhere.status_code == 200


def test_a_user_who_must_enrol_gets_no_token(owner, password):
    Practice.objects.filter(pk=owner.practice_id).update(mfa_required=True)

    response = get_token({"email": owner.email, "password": password})

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_enrolment_required"
    assert not AuthToken.objects.exists()


def test_the_schema_documents_the_401(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()

    post = schema["paths"]["/api/v1/auth/token"]["post"]
    assert post["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/MFARequired")
