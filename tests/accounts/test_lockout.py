"""The account-wide lockout (50 failures in an hour, from any address), the email every lock sends, and the
practice admin's unlock. (The 5-failure lock of one address is in test_auth.py.)

The sign-in rates (test_throttling.py) would refuse these bursts before they reach the password check, so
these tests raise them: what is tested here is what the failures themselves do.
"""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
LOGIN_URL = "/accounts/login/"
STAFF_CHANGELIST = "/admin/accounts/user/"


@pytest.fixture(autouse=True)
def unthrottled_sign_in(settings):
    settings.THROTTLE_SIGN_IN_IP_RATE = "10000/minute"
    settings.THROTTLE_SIGN_IN_ACCOUNT_RATE = "10000/minute"
    settings.THROTTLE_API_ANON_RATE = "10000/minute"


def address(n):
    return f"10.1.{n // 200}.{n % 200 + 1}"


def get_token(email, password, ip):
    return APIClient().post(TOKEN_URL, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip)


def fail_from_addresses(email, times, first=0):
    """`times` wrong passwords for `email`, each from another address (none of them reaches 5)."""
    for n in range(first, first + times):
        assert get_token(email, "wrong-password-123", address(n)).status_code == 400


def lock_account(email):
    """The 50 failures in an hour that lock the account: the 50th is answered with the lock."""
    fail_from_addresses(email, 49)
    assert get_token(email, "wrong-password-123", address(49)).status_code == 429


def test_49_failures_from_49_addresses_do_not_lock_the_account(owner, password):
    fail_from_addresses(owner.email, 49)

    assert get_token(owner.email, password, "192.168.7.7").status_code == 200


def test_the_50th_failure_within_the_hour_locks_the_account_from_every_address(client, owner, password):
    fail_from_addresses(owner.email, 49)

    last = get_token(owner.email, "wrong-password-123", address(49))
    assert last.status_code == 429
    assert "locked" in last.json()["detail"]

    assert get_token(owner.email, password, "192.168.7.7").status_code == 429
    response = client.post(LOGIN_URL, {"username": owner.email, "password": password}, REMOTE_ADDR="192.168.7.8")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_account_lock_leaves_other_accounts_alone(owner, colleague, password):
    lock_account(owner.email)

    assert get_token(colleague.email, password, address(1)).status_code == 200


def test_failures_on_the_login_page_count_toward_the_account_lock(client, owner, password):
    for n in range(25):
        client.post(LOGIN_URL, {"username": owner.email, "password": "wrong-password-123"}, REMOTE_ADDR=address(n))
    fail_from_addresses(owner.email, 24, first=25)
    assert get_token(owner.email, "wrong-password-123", address(49)).status_code == 429

    assert get_token(owner.email, password, "192.168.7.7").status_code == 429


def test_attempts_refused_by_an_address_lock_do_not_count_toward_the_account_lock(owner, password):
    """One address trying 60 times locks only itself: its attempts after the 5th tested no password."""
    for _ in range(60):
        get_token(owner.email, "wrong-password-123", "10.9.9.9")

    assert get_token(owner.email, password, "192.168.7.7").status_code == 200


# --- the lock email ----------------------------------------------------------------------------------


def test_an_address_lock_emails_the_owner_once(owner, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(8):
            get_token(owner.email, "wrong-password-123", "10.9.9.9")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [owner.email]
    assert message.subject == "Your Trellis sign-in was locked"
    assert "5 failed attempts from the address 10.9.9.9" in message.body
    assert "30 minutes" in message.body
    # No PHI: the email names the account, never a patient.
    assert patient.last_name not in message.body
    assert patient.first_name not in message.body


def test_the_account_lock_emails_the_owner(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lock_account(owner.email)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [owner.email]
    assert "50 failed attempts within 60 minutes, from every address" in mail.outbox[0].body


def test_a_lock_of_an_unknown_account_emails_nobody(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            get_token("nobody@riverside.example", "wrong-password-123", "10.9.9.9")

    assert get_token("nobody@riverside.example", "wrong-password-123", "10.9.9.9").status_code == 429
    assert mail.outbox == []


def test_every_lock_is_in_the_audit_trail(owner):
    for _ in range(5):
        get_token(owner.email, "wrong-password-123", "10.9.9.9")

    event = AuditEvent.objects.get(object_type="accounts.user", object_id=str(owner.pk))
    assert event.action == "update"
    assert event.changes == {"sign_in_locked": [False, True], "locked_from": [None, "10.9.9.9"]}
    assert event.ip_address == "10.9.9.9"


# --- the practice admin's unlock -----------------------------------------------------------------------


def unlock(client, user):
    return client.post(STAFF_CHANGELIST, {"action": "unlock_sign_in", "_selected_action": [str(user.pk)]})


def lock_from_one_address(user):
    for _ in range(5):
        get_token(user.email, "wrong-password-123", "10.9.9.9")


def test_a_practice_admin_unlocks_an_address_lock(client, practice_admin, owner, password):
    lock_from_one_address(owner)
    client.force_login(practice_admin)

    response = unlock(client, owner)

    assert response.status_code == 302
    assert get_token(owner.email, password, "10.9.9.9").status_code == 200
    event = AuditEvent.objects.get(object_id=str(owner.pk), changes={"sign_in_locked": [True, False]})
    assert event.user == practice_admin
    assert event.channel == "admin"


def test_a_practice_admin_unlocks_an_account_lock(client, practice_admin, owner, password):
    lock_account(owner.email)
    client.force_login(practice_admin)

    unlock(client, owner)

    assert get_token(owner.email, password, "192.168.7.7").status_code == 200
    # The count starts again: the next failure does not lock the account at once.
    assert get_token(owner.email, "wrong-password-123", address(60)).status_code == 400


def test_unlocking_an_account_that_is_not_locked_writes_no_event(client, practice_admin, owner):
    client.force_login(practice_admin)

    unlock(client, owner)

    assert not AuditEvent.objects.filter(object_id=str(owner.pk), object_type="accounts.user").exists()


def test_another_practices_admin_cannot_unlock(client, outsider_admin, owner, password):
    lock_from_one_address(owner)
    client.force_login(outsider_admin)

    unlock(client, owner)

    assert get_token(owner.email, password, "10.9.9.9").status_code == 429
    assert not AuditEvent.objects.filter(changes={"sign_in_locked": [True, False]}).exists()


@pytest.mark.parametrize("role", ["owner", "colleague", "supervisor"])
def test_clinicians_cannot_unlock(client, cast, role, password):
    lock_from_one_address(cast["colleague"])
    client.force_login(cast[role])

    response = unlock(client, cast["colleague"])

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert get_token(cast["colleague"].email, password, "10.9.9.9").status_code == 429
