from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.contrib.auth import authenticate, user_logged_in, user_logged_out
from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.authentication import TokenAuthentication
from accounts.api.base import AuditedReadMixin, PatientDataViewSet
from accounts.api.patient_rows import patient_rows, patients_for_rows
from accounts.api.renderers import orjson_renderers
from accounts.api.schema import ERROR_SCHEMA
from accounts.api.serializers import (
    AuditEventSerializer,
    MFARequiredSerializer,
    PatientSerializer,
    StaffSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    TransferSerializer,
)
from accounts.auth import lockout_response
from accounts.filters import AuditEventFilter, PatientFilter
from accounts.mfa.login import second_factor_check
from accounts.mfa.middleware import ENROL_DETAIL
from accounts.mfa.services import mfa_enrolled, mfa_required_for
from accounts.models import AuditEvent, Patient, User


class TokenView(APIView):
    """Exchange email and password for an API token; DELETE revokes the token used."""

    authentication_classes = [TokenAuthentication]

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            401: OpenApiResponse(
                MFARequiredSerializer, description="The account has two-step sign-in: `otp` is missing or wrong."
            ),
            403: OpenApiResponse(
                ERROR_SCHEMA,
                description="The practice requires two-step sign-in and the account has none yet "
                '(`"code": "mfa_enrolment_required"`): enrol in the browser first.',
            ),
        },
        auth=[],
    )
    def post(self, request):
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(
            django_request, username=body.validated_data["email"].lower(), password=body.validated_data["password"]
        )
        if getattr(django_request, "axes_locked_out", False):
            return lockout_response(django_request)
        if user is None:
            raise serializers.ValidationError({"non_field_errors": ["Unable to sign in with that email and password."]})
        refusal = self._second_factor_refusal(django_request, user, body.validated_data.get("otp", ""))
        if refusal is not None:
            return refusal
        # A sign-in token never outlives its absolute age, whatever API_TOKEN_TTL_HOURS says.
        lifetime: timedelta = min(knox_settings.TOKEN_TTL, knox_settings.AUTO_REFRESH_MAX_TTL)
        instance, token = AuthToken.objects.create(user, expiry=lifetime)
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        return Response({"token": token, "expires": instance.expiry})

    @staticmethod
    def _second_factor_refusal(django_request, user: User, code: str) -> Response | HttpResponse | None:
        """The answer when the password alone may not have a token, or None when it may (or `code` passes)."""
        if not mfa_enrolled(user):
            if mfa_required_for(user):
                return Response({"detail": ENROL_DETAIL, "code": "mfa_enrolment_required"}, status=403)
            return None
        if not code.strip():
            detail = "This account has two-step sign-in: send the authenticator app's code (or a recovery code) as otp."
        elif second_factor_check(django_request, user, code) is None:
            if getattr(django_request, "axes_locked_out", False):
                return lockout_response(django_request)
            detail = "That code is not right: send the code the app shows now, or an unused recovery code."
        else:
            return None
        return Response({"detail": detail, "mfa_required": True}, status=401, headers={"WWW-Authenticate": "Token"})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        request.auth.delete()
        user_logged_out.send(sender=request.user.__class__, request=request._request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PatientViewSet(PatientDataViewSet, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """Patients the caller may see: their care team's, their supervisees', or the whole practice for admins."""

    lookup_url_kwarg = "patient_id"
    queryset = Patient.objects.all()
    serializer_class = PatientSerializer
    renderer_classes = orjson_renderers()
    filterset_class = PatientFilter

    def get_queryset(self):
        patients = super().get_queryset()
        if self.action == "list":
            return patients_for_rows(patients)
        return patients.select_related("primary_therapist").prefetch_related("care_team")

    def list_body(self, rows: Sequence[Any]) -> Any:
        return patient_rows(rows)  # PatientSerializer's answer, built from the rows (accounts/api/patient_rows.py)

    def perform_create(self, serializer):
        user = self.request.user
        if user.practice_id is None:
            raise PermissionDenied("Your account does not belong to a practice.")
        data = dict(serializer.validated_data)
        care_team = data.pop("care_team", [])
        therapist = services.primary_therapist_for(
            actor=user, requested=data.pop("primary_therapist", None), field="primary_therapist_id"
        )
        serializer.instance = services.patient_create(
            by=self.audit, practice=user.practice, primary_therapist=therapist, care_team=care_team, **data
        )

    @transaction.atomic
    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("confirm_duplicate", None)  # only creating a patient can make a duplicate
        if "primary_therapist" in data:
            raise serializers.ValidationError(
                {"primary_therapist_id": ["Change the primary therapist with POST .../transfer."]}
            )
        care_team = data.pop("care_team", None)
        patient = services.patient_update(by=self.audit, patient=serializer.instance, **data)
        if care_team is not None:
            services.care_team_set(by=self.audit, patient=patient, members=care_team)
        serializer.instance = Patient.objects.prefetch_related("care_team").get(pk=patient.pk)

    @extend_schema(request=TransferSerializer, responses={200: PatientSerializer})
    @action(detail=True, methods=["post"])
    def transfer(self, request, *args, **kwargs):
        """Transfer of care to another therapist (practice admins only)."""
        patient = self.get_object()
        body = TransferSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.patient_transfer(by=self.audit, patient=patient, therapist=body.validated_data["therapist_id"])
        patient = self.get_queryset().get(pk=patient.pk)
        return Response(self.get_serializer(patient).data)


class IsPracticeAdmin(permissions.BasePermission):
    message = "Only practice admins can read the audit trail."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.acts_for_practice())


class AuditEventViewSet(AuditedReadMixin):
    """The audit trail of the caller's practice (practice admins only); it cannot be changed. Reading it is
    audited too: an event shows who did what to which patient."""

    lookup_url_kwarg = "audit_event_id"
    queryset = AuditEvent.objects.none()
    serializer_class = AuditEventSerializer
    permission_classes = [permissions.IsAuthenticated, IsPracticeAdmin]
    filterset_class = AuditEventFilter

    def get_queryset(self):
        user = self.request.user
        events = AuditEvent.objects.select_related("patient")
        return events if user.is_superuser else events.filter(practice_id=user.practice_id)


class StaffViewSet(viewsets.ReadOnlyModelViewSet):
    """The staff of the caller's practice, to find a therapist's id; `/staff/me` is the caller."""

    lookup_url_kwarg = "staff_id"
    queryset = User.objects.none()
    serializer_class = StaffSerializer

    def get_queryset(self):
        return User.objects.filter(practice_id=self.request.user.practice_id).order_by("full_name", "email")

    @action(detail=False)
    def me(self, request):
        return Response(self.get_serializer(request.user).data)
