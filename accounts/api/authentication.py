"""The API's token authentication: knox's, narrowed by a personal token's scope."""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
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


class TokenScheme(KnoxTokenScheme):
    """The schema describes it as knox's token (`Authorization: Token ...`), which it is."""

    target_class = "accounts.api.authentication.TokenAuthentication"
