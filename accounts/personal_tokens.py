"""Personal access tokens for partner systems: knox tokens with a name, a scope and a fixed expiry.

A user makes one on their account page or with POST /api/v1/auth/personal-tokens, having signed in with a
second factor; it is shown once, stored hashed (knox keeps only its digest), and acts with its user's rights,
narrowed to reading for a `read` token (accounts.api.authentication). Revoking deletes the knox token.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.request import Request

from accounts.audit import Action, AuditContext, audit_record
from accounts.mfa.login import STATE, VERIFIED
from accounts.mfa.services import mfa_enrolled
from accounts.models import PersonalToken, User

MAX_DAYS = 365
NAME_MAX = 100
NOT_VERIFIED = (
    "Personal access tokens are made by a user signed in with two-step sign-in: set it up on your account page, "
    "then sign in with your code (or get a sign-in token with your code) to make one."
)


def personal_tokens_of(user: User) -> QuerySet[PersonalToken]:
    """The user's personal tokens that still work, newest first."""
    return PersonalToken.objects.filter(user=user, token__expiry__gt=timezone.now()).select_related("token")


def verified_for_tokens(request: HttpRequest | Request) -> bool:
    """Whether this request's user entered a second factor: a session that did, or a sign-in token (which an
    enrolled user only gets with a code). A personal token cannot make more."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated or not mfa_enrolled(user):
        return False
    auth = getattr(request, "auth", None)
    if isinstance(auth, AuthToken):
        return not PersonalToken.objects.filter(token=auth).exists()
    return bool(request.session.get(STATE) == VERIFIED)


@transaction.atomic
def personal_token_create(
    *, by: AuditContext, user: User, name: str, scope: str, expires_in_days: int
) -> tuple[PersonalToken, str]:
    """Make a personal token; returns it and the token text, which exists nowhere else (shown once)."""
    name = name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the token a name (what uses it)."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Keep the name to {NAME_MAX} characters."
    if scope not in PersonalToken.Scope.values:
        errors["scope"] = "Choose read or read_write."
    if not 1 <= expires_in_days <= MAX_DAYS:
        errors["expires_in_days"] = f"A token lasts from 1 to {MAX_DAYS} days."
    if errors:
        raise ValidationError(errors)
    instance, text = AuthToken.objects.create(user, expiry=datetime.timedelta(days=expires_in_days))
    personal = PersonalToken.objects.create(token=instance, user=user, name=name, scope=scope)
    audit_record(
        by,
        Action.CREATE,
        personal,
        changes={"name": [None, name], "scope": [None, scope], "expires": [None, instance.expiry.isoformat()]},
    )
    return personal, text


@transaction.atomic
def personal_token_revoke(*, by: AuditContext, personal: PersonalToken) -> None:
    audit_record(by, Action.DELETE, personal)
    AuthToken.objects.filter(pk=personal.token_id).delete()
