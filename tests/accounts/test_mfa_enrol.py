"""Enrolling in MFA from the account page, the practice setting that makes it required, and the gate that
holds a user who owes a second factor."""

import hashlib

import pytest
from django.contrib.auth import SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.mfa.services import mfa_enrolled
from accounts.models import AuditEvent, Practice, RecoveryCode
from tests.accounts.mfa_support import CODE_URL, ENROL_URL, LOGIN_URL, code_for, enrol, key_of

pytestmark = pytest.mark.django_db


def require_mfa(user):
    Practice.objects.filter(pk=user.practice_id).update(mfa_required=True)


def sign_in(client, user, password):
    return client.post(LOGIN_URL, {"username": user.email, "password": password}, REMOTE_ADDR="10.0.0.1")


def pending_key(client) -> str:
    """The secret the enrolment page showed, as the app would have read it from the QR code."""
    return client.session["mfa_enrol_key"]


def test_the_account_page_offers_enrolment(client, owner):
    client.force_login(owner)

    response = client.get("/accounts/")

    assert response.status_code == 200
    assert b"Set up two-step sign-in" in response.content
    assert response.context["mfa_enrolled"] is False


def test_the_enrolment_page_shows_a_qr_code_and_the_secret(client, owner):
    client.force_login(owner)

    response = client.get(ENROL_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    assert "style=" not in html
    secret = response.context["secret"].replace(" ", "")
    assert bytes.fromhex(pending_key(client)) == __import__("base64").b32decode(secret + "=" * (-len(secret) % 8))
    assert secret in html.replace(" ", "")
    assert not TOTPDevice.objects.exists()


def test_reloading_the_enrolment_page_keeps_the_secret(client, owner):
    client.force_login(owner)

    first = client.get(ENROL_URL).context["secret"]
    second = client.get(ENROL_URL).context["secret"]

    assert first == second


def test_a_wrong_code_does_not_enrol(client, owner):
    client.force_login(owner)
    client.get(ENROL_URL)
    wrong = "000000" if code_for(pending_key(client)) != "000000" else "111111"

    response = client.post(ENROL_URL, {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "That code does not match: enter the 6 digits your authenticator app shows now."
    ]
    assert not mfa_enrolled(owner)
    assert not AuditEvent.objects.filter(object_type="accounts.user").exists()


def test_the_right_code_enrols_and_shows_ten_recovery_codes_once(client, owner):
    client.force_login(owner)
    client.get(ENROL_URL)
    key = pending_key(client)

    response = client.post(ENROL_URL, {"code": code_for(key)})

    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    for code in codes:
        assert code in response.content.decode()
    assert key_of(owner) == key
    assert "mfa_enrol_key" not in client.session
    # Stored as digests only: no code appears in the database.
    digests = set(RecoveryCode.objects.filter(device__user=owner).values_list("digest", flat=True))
    assert digests == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    event = AuditEvent.objects.get(object_type="accounts.user", object_id=str(owner.pk))
    assert (event.action, event.user, event.changes) == ("update", owner, {"mfa": [False, True]})
    # The page was the only place they were shown: the account page now counts them.
    account = client.get("/accounts/")
    assert account.context["recovery_codes_left"] == 10
    assert codes[0] not in account.content.decode()
    assert client.get(ENROL_URL)["Location"] == "/accounts/"


def test_the_code_that_confirmed_the_app_cannot_sign_in_again(client, owner, password):
    client.force_login(owner)
    client.get(ENROL_URL)
    key = pending_key(client)
    code = code_for(key)
    client.post(ENROL_URL, {"code": code})
    client.logout()

    sign_in(client, owner, password)

    assert client.post(CODE_URL, {"code": code}).status_code == 200
    assert client.post(CODE_URL, {"code": code_for(key, ahead=1)})["Location"] == "/"


# --- enforced enrolment -----------------------------------------------------------------------


def test_a_user_who_must_enrol_is_sent_to_enrolment_and_nowhere_else(client, owner, password, patient):
    require_mfa(owner)

    sign_in(client, owner, password)

    assert client.session[SESSION_KEY] == str(owner.pk)
    for path in ("/", "/patients/", f"/patients/{patient.pk}/", "/accounts/", "/dashboard/", "/admin/"):
        response = client.get(path)
        assert (path, response.status_code, response["Location"]) == (path, 302, ENROL_URL)
    api = client.get("/api/v1/patients")
    assert api.status_code == 403
    assert api.json() == {
        "detail": "Set up two-step sign-in first: your practice requires it (open /accounts/mfa/enrol/ in a browser).",
        "code": "mfa_enrolment_required",
    }
    assert client.get(ENROL_URL).status_code == 200


def test_enrolling_lets_the_user_in(client, owner, password, patient):
    require_mfa(owner)
    sign_in(client, owner, password)
    client.get(ENROL_URL)

    client.post(ENROL_URL, {"code": code_for(pending_key(client))})

    assert client.get(f"/patients/{patient.pk}/").status_code == 200
    assert client.get("/api/v1/patients").status_code == 200


def test_a_user_who_must_enrol_can_sign_out(client, owner, password):
    require_mfa(owner)
    sign_in(client, owner, password)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_a_session_that_skipped_the_code_is_signed_out(client, owner):
    enrol(owner)
    client.force_login(owner)

    api = client.get("/api/v1/patients")
    page = client.get("/patients/")

    assert api.status_code == 403
    assert api.json()["code"] == "mfa_verification_required"
    assert page.status_code == 302
    assert page["Location"] == f"{LOGIN_URL}?next=/patients/"
    assert SESSION_KEY not in client.session


def test_a_token_is_the_token_doors_business(client, owner, password):
    """A session that owes enrolment does not stop a request that brings its own token."""
    from knox.models import AuthToken

    require_mfa(owner)
    sign_in(client, owner, password)
    _, token = AuthToken.objects.create(owner)

    response = client.get("/api/v1/staff/me", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
