"""/api/v1/auth/personal-tokens: the caller's personal access tokens (make, list, revoke)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.fields import StrictCharField
from accounts.audit import AuditContext
from accounts.models import PersonalToken, User
from accounts.personal_tokens import (
    MAX_DAYS,
    NAME_MAX,
    NOT_VERIFIED,
    personal_token_create,
    personal_token_revoke,
    personal_tokens_of,
    verified_for_tokens,
)


class PersonalTokenSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = StrictCharField(max_length=NAME_MAX)
    scope = serializers.ChoiceField(choices=PersonalToken.Scope.choices)
    expires_in_days = serializers.IntegerField(min_value=1, max_value=MAX_DAYS, write_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    expires = serializers.DateTimeField(source="token.expiry", read_only=True)


class PersonalTokenCreatedSerializer(PersonalTokenSerializer):
    token = StrictCharField(read_only=True, help_text="The token itself: shown in this answer only.")


class PersonalTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's own personal access tokens; another user's token id is a 404."""

    lookup_url_kwarg = "personal_token_id"
    queryset = PersonalToken.objects.none()
    serializer_class = PersonalTokenSerializer

    def get_queryset(self) -> QuerySet[PersonalToken]:
        user = self.request.user
        assert isinstance(user, User)
        return personal_tokens_of(user)

    @extend_schema(request=PersonalTokenSerializer, responses={201: PersonalTokenCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Make a token (caller signed in with a second factor); the answer holds the token, this once."""
        if not verified_for_tokens(request):
            raise PermissionDenied(NOT_VERIFIED)
        body = PersonalTokenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        personal, text = personal_token_create(by=AuditContext.from_request(request), user=user, **body.validated_data)
        data = PersonalTokenCreatedSerializer(personal).data
        return Response({**data, "token": text}, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: PersonalToken) -> None:
        personal_token_revoke(by=AuditContext.from_request(self.request), personal=instance)
