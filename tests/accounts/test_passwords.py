"""Staff reset a forgotten password by email and change their own; either revokes their API tokens."""

import re

import pytest
from django.core import mail
from knox.models import AuthToken

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-better-passphrase-42"


def _reset_link(body: str) -> str:
    return re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", body).group(1)


def test_a_forgotten_password_is_reset_through_an_emailed_link(client, owner):
    AuthToken.objects.create(owner)
    response = client.post("/accounts/password/reset/", {"email": owner.email.upper()})
    assert response.status_code == 302

    [message] = mail.outbox
    assert message.to == [owner.email]
    link = _reset_link(message.body)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert b"Choose a new password" in form_page.content

    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert not AuthToken.objects.filter(user=owner).exists()
    # The link works once.
    assert b"This link no longer works" in client.get(link, follow=True).content


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, owner):
    response = client.post("/accounts/password/reset/", {"email": "nobody@riverside.example"})

    assert response.status_code == 302
    assert response.url == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_a_reset_still_needs_twelve_characters(client, owner, password):
    client.post("/accounts/password/reset/", {"email": owner.email})
    form_page = client.get(_reset_link(mail.outbox[0].body), follow=True)

    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "short-pw-1", "new_password2": "short-pw-1"}
    )

    assert response.status_code == 200
    assert b"at least 12 characters" in response.content
    owner.refresh_from_db()
    assert owner.check_password(password)


def test_the_reset_email_carries_no_patient_data(client, owner, patient):
    client.post("/accounts/password/reset/", {"email": owner.email})

    body = mail.outbox[0].body
    assert patient.first_name not in body
    assert patient.last_name not in body


def test_changing_the_password_revokes_api_tokens_and_keeps_this_session(client, owner, password):
    AuthToken.objects.create(owner)
    client.force_login(owner)

    response = client.post(
        "/accounts/password/change/",
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert not AuthToken.objects.filter(user=owner).exists()
    assert client.get("/patients/").status_code == 200
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_a_wrong_old_password_changes_nothing(client, owner, password):
    AuthToken.objects.create(owner)
    client.force_login(owner)

    response = client.post(
        "/accounts/password/change/",
        {"old_password": "not-the-old-one-1", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert AuthToken.objects.filter(user=owner).exists()
    owner.refresh_from_db()
    assert owner.check_password(password)
