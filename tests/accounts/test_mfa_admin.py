"""Resetting a member of staff's MFA from the admin (their practice's admins only), and create_staff --mfa-secret."""

import base64

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.audit import AuditContext
from accounts.mfa.services import mfa_enrolled, mfa_reset
from accounts.models import AuditEvent, RecoveryCode, User
from tests.accounts.mfa_support import TOKEN_URL, code_for, enrol, key_of

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


def reset_from_admin(client, admin, user):
    client.force_login(admin)
    return client.post(CHANGELIST, {"action": "reset_mfa", "_selected_action": [str(user.pk)]})


def test_a_practice_admin_resets_a_staff_members_mfa(client, practice_admin, owner):
    enrol(owner)

    response = reset_from_admin(client, practice_admin, owner)

    assert response.status_code == 302
    assert not mfa_enrolled(owner)
    assert not RecoveryCode.objects.filter(device__user=owner).exists()
    event = AuditEvent.objects.get(object_type="accounts.user", object_id=str(owner.pk), user=practice_admin)
    assert (event.action, event.channel, event.changes) == ("update", "admin", {"mfa": [True, False]})


def test_another_practices_admin_cannot_reset_it(client, outsider_admin, owner):
    enrol(owner)

    reset_from_admin(client, outsider_admin, owner)

    assert mfa_enrolled(owner)
    assert not AuditEvent.objects.filter(user=outsider_admin, object_type="accounts.user").exists()


@pytest.mark.parametrize("actor", ["outsider_admin", "colleague", "supervisor"])
def test_the_service_refuses_anyone_but_the_practices_admins(request, owner, actor):
    enrol(owner)
    by = AuditContext(user=request.getfixturevalue(actor))

    with pytest.raises(PermissionDenied):
        mfa_reset(by=by, user=owner)

    assert mfa_enrolled(owner)


def test_after_a_reset_the_user_enrols_again_when_required(client, practice_admin, owner, password):
    enrol(owner)
    reset_from_admin(client, practice_admin, owner)
    client.logout()
    owner.practice.mfa_required = True
    owner.practice.save()

    client.post("/accounts/login/", {"username": owner.email, "password": password})

    assert client.get("/patients/")["Location"] == "/accounts/mfa/enrol/"


def test_totp_devices_are_not_in_the_admin(admin_client):
    assert admin_client.get("/admin/otp_totp/totpdevice/").status_code == 404


# --- create_staff --mfa-secret ----------------------------------------------------------------

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_create_staff_enrols_the_given_secret(capsys):
    call_command(
        "create_staff",
        email="ann@lakeside.example",
        password="long-enough-pass-42",
        role="therapist",
        practice="Lakeside",
        mfa_secret=SECRET.lower(),
    )

    user = User.objects.get(email="ann@lakeside.example")
    assert key_of(user) == base64.b32decode(SECRET).hex()
    assert "Two-step sign-in set up with the given secret" in capsys.readouterr().out
    token = APIClient().post(
        TOKEN_URL,
        {"email": user.email, "password": "long-enough-pass-42", "otp": code_for(key_of(user))},
        format="json",
    )
    assert token.status_code == 200


def test_create_staff_replaces_an_existing_secret(owner):
    enrol(owner)

    call_command("create_staff", email=owner.email, password="long-enough-pass-42", role="therapist", mfa_secret=SECRET)

    assert key_of(owner) == base64.b32decode(SECRET).hex()
    assert list(AuditEvent.objects.filter(object_id=str(owner.pk)).values_list("changes", flat=True)) == [
        {"mfa": [False, True]},
        {"mfa": [True, False]},
        # create_staff on an existing account sets the password it is given (staff_save audits it, unshown).
        {"password": ["(kept)", "(set)"]},
        {"mfa": [False, True]},
    ]


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        ("not base32!", "--mfa-secret: The secret is not base32 (letters A-Z and digits 2-7)."),
        ("JBSWY3DP", "--mfa-secret: The secret is too short: give at least 16 base32 characters (80 bits)."),
    ],
)
def test_create_staff_refuses_a_bad_secret_and_creates_nothing(secret, says):
    with pytest.raises(CommandError) as refused:
        call_command(
            "create_staff",
            email="ann@lakeside.example",
            password="long-enough-pass-42",
            role="therapist",
            practice="Lakeside",
            mfa_secret=secret,
        )

    assert str(refused.value) == says
    assert not User.objects.exists()
