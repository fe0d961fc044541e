"""Personal access tokens: made by a user signed in with a second factor, shown once, stored hashed, listed
without the secret, revoked by their owner only, expiring on their date, and narrowed by their scope."""

import datetime

import pytest
import time_machine
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import AuditEvent, PersonalToken
from tests.accounts.mfa_support import CODE_URL, LOGIN_URL, TOKEN_URL, code_for, enrol

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/personal-tokens"
READ_ONLY = {"detail": "This personal access token may only read (its scope is read)."}


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def signed_in(owner, password):
    """An API client holding the owner's sign-in token, got with password and code."""
    key, _ = enrol(owner)
    response = APIClient().post(TOKEN_URL, {"email": owner.email, "password": password, "otp": code_for(key)})
    assert response.status_code == 200
    return with_token(response.json()["token"])


def make(client, **body):
    return client.post(URL, {"name": "Billing", "scope": "read", "expires_in_days": 30, **body}, format="json")


def test_a_verified_user_makes_a_token_shown_once_and_stored_hashed(signed_in, owner):
    before = timezone.now()
    response = make(signed_in)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "scope", "created_at", "expires", "token"}
    assert (body["name"], body["scope"]) == ("Billing", "read")
    expires = datetime.datetime.fromisoformat(body["expires"])
    assert before + datetime.timedelta(days=30) <= expires <= timezone.now() + datetime.timedelta(days=30)
    personal = PersonalToken.objects.get(pk=body["id"])
    assert personal.user == owner
    assert personal.token.digest == hash_token(body["token"])
    assert body["token"] not in personal.token.digest

    listing = signed_in.get(URL)

    assert listing.status_code == 200
    assert [set(row) for row in listing.json()["results"]] == [{"id", "name", "scope", "created_at", "expires"}]
    assert body["token"] not in listing.content.decode()
    assert body["token"][: len(personal.token.token_key)] not in listing.content.decode()


def test_making_a_token_is_audited(signed_in, owner):
    body = make(signed_in, scope="read_write").json()

    event = AuditEvent.objects.get(object_type="accounts.personaltoken", object_id=body["id"])
    assert (event.action, event.user, event.channel) == ("create", owner, "api")
    assert event.changes["scope"] == [None, "read_write"]


def test_a_read_token_reads_and_gets_403_on_every_write(signed_in, patient):
    reader = with_token(make(signed_in).json()["token"])

    assert reader.get("/api/v1/patients").status_code == 200
    assert reader.get(f"/api/v1/patients/{patient.pk}").status_code == 200
    for method, path in [
        ("post", "/api/v1/patients"),
        ("patch", f"/api/v1/patients/{patient.pk}"),
        ("put", f"/api/v1/patients/{patient.pk}"),
        ("post", f"/api/v1/patients/{patient.pk}/transfer"),
        ("post", URL),
        ("delete", TOKEN_URL),
    ]:
        response = getattr(reader, method)(path, {}, format="json")
        assert (method, path, response.status_code, response.json()) == (method, path, 403, READ_ONLY)
    patient.refresh_from_db()
    assert AuthToken.objects.count() == 2


def test_a_read_write_token_writes_with_the_users_rights(signed_in, patient, colleague):
    writer = with_token(make(signed_in, scope="read_write").json()["token"])

    changed = writer.patch(f"/api/v1/patients/{patient.pk}", {"phone": "555-0199"}, format="json")
    transfer = writer.post(f"/api/v1/patients/{patient.pk}/transfer", {"therapist_id": str(colleague.pk)})

    assert changed.status_code == 200
    patient.refresh_from_db()
    assert patient.phone == "555-0199"
    # The owner is a therapist: transferring care is a practice admin's, token or not.
    assert transfer.status_code == 403


def test_a_personal_token_cannot_make_another(signed_in):
    writer = with_token(make(signed_in, scope="read_write").json()["token"])

    response = make(writer)

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Personal access tokens are made by a user signed in with two-step")


def test_a_user_without_a_second_factor_cannot_make_one(owner, password):
    token = APIClient().post(TOKEN_URL, {"email": owner.email, "password": password}).json()["token"]

    response = make(with_token(token))

    assert response.status_code == 403
    assert not PersonalToken.objects.exists()


def test_a_session_that_skipped_the_code_cannot_make_one(client, owner):
    client.force_login(owner)

    assert client.post(URL, {"name": "x", "scope": "read", "expires_in_days": 1}, "application/json").status_code == 403


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"name": ""}, {"name"}),
        ({"name": "x" * 101}, {"name"}),
        ({"scope": "admin"}, {"scope"}),
        ({"expires_in_days": 0}, {"expires_in_days"}),
        ({"expires_in_days": 366}, {"expires_in_days"}),
        ({"expires_in_days": "soon", "scope": None}, {"expires_in_days", "scope"}),
    ],
)
def test_bad_input_is_a_400_naming_the_fields(signed_in, body, named):
    response = make(signed_in, **body)

    assert response.status_code == 400
    assert set(response.json()) == named
    assert not PersonalToken.objects.exists()


def test_a_token_ends_on_its_expiry_and_does_not_slide(signed_in):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        body = make(signed_in, expires_in_days=2).json()
        personal = with_token(body["token"])
        expiry = AuthToken.objects.get(personal__pk=body["id"]).expiry

        traveller.move_to(start + datetime.timedelta(days=1))
        assert personal.get("/api/v1/staff/me").status_code == 200
        assert AuthToken.objects.get(personal__pk=body["id"]).expiry == expiry

        traveller.move_to(start + datetime.timedelta(days=2, seconds=1))
        assert personal.get("/api/v1/staff/me").status_code == 401
        assert not PersonalToken.objects.filter(pk=body["id"]).exists()


def test_revoking_a_token_ends_it(signed_in, owner):
    body = make(signed_in).json()

    response = signed_in.delete(f"{URL}/{body['id']}")

    assert response.status_code == 204
    assert with_token(body["token"]).get("/api/v1/staff/me").status_code == 401
    assert signed_in.get(URL).json()["results"] == []
    event = AuditEvent.objects.get(object_type="accounts.personaltoken", action="delete")
    assert (event.object_id, event.user) == (body["id"], owner)


def test_another_users_token_is_a_404(signed_in, colleague, password):
    body = make(signed_in).json()
    key, _ = enrol(colleague)
    theirs = with_token(
        APIClient()
        .post(TOKEN_URL, {"email": colleague.email, "password": password, "otp": code_for(key)})
        .json()["token"]
    )

    assert theirs.delete(f"{URL}/{body['id']}").status_code == 404
    assert theirs.get(URL).json()["results"] == []
    assert with_token(body["token"]).get("/api/v1/staff/me").status_code == 200


def test_listing_costs_a_fixed_number_of_queries(signed_in, django_assert_num_queries):
    for n in range(3):
        make(signed_in, name=f"Token {n}")

    # The token with its user (the user's other expired tokens are the nightly purge's); then count and page.
    with django_assert_num_queries(3):
        response = signed_in.get(URL)

    assert len(response.json()["results"]) == 3


# --- the account page -------------------------------------------------------------------------


def sign_in_with_code(client, user, password):
    key, _ = enrol(user)
    client.post(LOGIN_URL, {"username": user.email, "password": password})
    client.post(CODE_URL, {"code": code_for(key)})
    return key


def test_the_account_page_makes_a_token_and_shows_it_once(client, owner, password):
    sign_in_with_code(client, owner, password)

    response = client.post("/accounts/", {"name": "Billing", "scope": "read_write", "expires_in_days": "7"})

    assert response.status_code == 200
    text = response.context["new_token"]
    assert text in response.content.decode()
    assert PersonalToken.objects.get().token.digest == hash_token(text)
    again = client.get("/accounts/")
    assert text not in again.content.decode()
    assert b"Billing" in again.content
    assert with_token(text).get("/api/v1/staff/me").json()["email"] == owner.email
    assert PersonalToken.objects.get().scope == "read_write"


def test_the_account_page_form_keeps_what_was_typed_and_names_the_errors(client, owner, password):
    sign_in_with_code(client, owner, password)

    response = client.post("/accounts/", {"name": "Billing", "scope": "read", "expires_in_days": "400"})

    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"expires_in_days"}
    assert form["name"].value() == "Billing"
    assert not PersonalToken.objects.exists()


def test_the_account_page_does_not_offer_tokens_without_a_second_factor(client, owner):
    client.force_login(owner)

    page = client.get("/accounts/")
    refused = client.post("/accounts/", {"name": "Billing", "scope": "read", "expires_in_days": "7"})

    assert page.context["may_make_tokens"] is False
    assert b"Make token" not in page.content
    assert refused.status_code == 200
    assert refused.context["form"].non_field_errors()
    assert not PersonalToken.objects.exists()


def test_the_account_page_revokes_only_ones_own_tokens(client, owner, colleague, password):
    sign_in_with_code(client, owner, password)
    client.post("/accounts/", {"name": "Billing", "scope": "read", "expires_in_days": "7"})
    personal = PersonalToken.objects.get()

    other = APIClient()
    other.force_login(colleague)
    assert other.post(f"/accounts/tokens/{personal.pk}/revoke/").status_code == 404
    assert PersonalToken.objects.exists()

    response = client.post(f"/accounts/tokens/{personal.pk}/revoke/")

    assert response["Location"] == "/accounts/"
    assert not PersonalToken.objects.exists()
    assert not AuthToken.objects.filter(pk=personal.token_id).exists()


@pytest.mark.parametrize("role", ["colleague", "supervisor", "practice_admin", "outsider_admin"])
def test_nobody_else_lists_or_revokes_a_users_token(signed_in, api, cast, role):
    body = make(signed_in).json()
    other = api.as_(cast[role])

    assert other.get(URL).json()["results"] == []
    assert other.delete(f"{URL}/{body['id']}").status_code == 404
    assert PersonalToken.objects.filter(pk=body["id"]).exists()


def test_the_owner_lists_and_revokes_their_own(signed_in, api, owner):
    body = make(signed_in).json()
    mine = api.as_(owner)

    assert [row["id"] for row in mine.get(URL).json()["results"]] == [body["id"]]
    assert mine.delete(f"{URL}/{body['id']}").status_code == 204
