"""The API's token authentication: knox's, narrowed by a personal token's scope."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from knox.signals import token_expired
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from accounts.models import PersonalToken

READ_ONLY = "This personal access token may only read (its scope is read)."


class TokenAuthentication(KnoxTokenAuthentication):
    """A `read` personal token gets 403 on every unsafe method, whatever the view's own permissions.

    Checked here rather than in a permission class, which a view's own `permission_classes` would replace.
    Reads cost no extra query; a write asks whether the token is a read-only personal one.
    """

    def authenticate(self, request: Request) -> Any:
        result = super().authenticate(request)
        if result is not None and request.method not in SAFE_METHODS:
            _user, token = result
            if PersonalToken.objects.filter(token=token, scope=PersonalToken.Scope.READ).exists():
                raise PermissionDenied(READ_ONLY)
        return result

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        """Whether the token presented has expired (then it is deleted, and refused), as knox answers.

        Knox also reads and deletes the user's other expired tokens on every request: one more query per API
        call. Those are refused when used anyway, and the nightly `purge_expired_logins` deletes them.
        """
        if auth_token.expiry is None or auth_token.expiry >= timezone.now():
            return False
        username = auth_token.user.get_username()
        auth_token.delete()
        token_expired.send(sender=self.__class__, username=username, source="auth_token")
        return True


class TokenScheme(KnoxTokenScheme):
    """The schema describes it as knox's token (`Authorization: Token ...`), which it is."""

    target_class = "accounts.api.authentication.TokenAuthentication"
