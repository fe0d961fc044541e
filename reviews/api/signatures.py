"""The plan signatures API: `GET /treatment-plans/{plan_id}/signatures` lists them newest first; `POST` signs.

Access follows the plan: not visible -> 404 (decided first); then `plan_sign` decides who may sign in which
role (403): the care team signs as clinician and records a client's signature, only the supervisor of the
plan's clinician co-signs (a supervisor reads the plan but does not change it, so the base's change check
is not asked here). A wrong password or code is a 403 and counts toward the sign-in lockout; nothing new to
sign, or a client or supervisor before the clinician, is a 409. Reads and the signature itself are audited.
"""

from __future__ import annotations

from typing import Any

from django.urls import re_path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.base import NestedReadMixin, PatientDataViewSet
from accounts.api.exceptions import Conflict
from accounts.api.fields import ModelSerializer, StrictCharField
from accounts.api.routers import UUID
from reviews.api.reviews import StaffNameSerializer
from reviews.models import CLIENT_SIGNATURE_METHODS, PlanSignature, SignatureRole
from reviews.services.signatures import SigningConflict, plan_sign
from treatment.models import TreatmentPlan


class PlanSignatureSerializer(ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True, help_text="The signed version.")
    signer = StaffNameSerializer(read_only=True, allow_null=True, help_text="The member of staff; null for a client.")
    recorded_by = StaffNameSerializer(read_only=True)
    has_image = serializers.BooleanField(read_only=True, help_text="Whether a drawn signature image is stored.")

    class Meta:
        model = PlanSignature
        fields = [
            "id",
            "version",
            "role",
            "signer",
            "signer_name",
            "relationship",
            "method",
            "reason",
            "intent_statement",
            "recorded_by",
            "signed_at",
            "content_hash",
            "has_image",
        ]
        read_only_fields = fields


class PlanSignatureWriteSerializer(serializers.Serializer):
    """The body of POST /treatment-plans/{plan_id}/signatures: staff re-enter their password, a client's
    signature is described by its method and the printed name."""

    role = serializers.ChoiceField(choices=SignatureRole.choices)
    password = StrictCharField(required=False, trim_whitespace=False, write_only=True, max_length=4096)
    otp_code = StrictCharField(required=False, allow_blank=True, max_length=64, help_text="When enrolled in MFA.")
    method = serializers.ChoiceField(
        choices=[(m.value, m.label) for m in CLIENT_SIGNATURE_METHODS], required=False, help_text="A client's."
    )
    signer_name = StrictCharField(required=False, allow_blank=True, max_length=200)
    relationship = StrictCharField(required=False, allow_blank=True, max_length=100, help_text="A guardian's.")
    image = StrictCharField(
        required=False, allow_blank=True, max_length=300_000, help_text="A drawn signature: a PNG data URL."
    )
    reason = StrictCharField(required=False, allow_blank=True, max_length=2000, help_text="For declined/unable.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        staff = attrs["role"] in (SignatureRole.CLINICIAN, SignatureRole.SUPERVISOR)
        errors: dict[str, str] = {}
        if staff:
            if not attrs.get("password"):
                errors["password"] = "Re-enter your password to sign."
            for name in ("method", "signer_name", "relationship", "image", "reason"):
                if attrs.get(name):
                    errors[name] = "Staff sign by re-entering their password; this is for a client's signature."
        else:
            if not attrs.get("method"):
                errors["method"] = "Choose how the client signs: drawn, typed, declined or unable."
            for name in ("password", "otp_code"):
                if attrs.get(name):
                    errors[name] = "A client's signature is recorded without a password."
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


@extend_schema_view(
    list=extend_schema(summary="List a plan's signatures, newest first"),
    create=extend_schema(
        summary="Sign the plan (clinician, supervisor) or record a client's or guardian's signature",
        request=PlanSignatureWriteSerializer,
        responses={201: PlanSignatureSerializer},
    ),
)
class PlanSignatureViewSet(NestedReadMixin, PatientDataViewSet):
    """`/treatment-plans/{plan_id}/signatures`: the signatures of every version of the plan."""

    lookup_url_kwarg = "signature_id"
    queryset = PlanSignature.objects.select_related("plan__patient", "version", "signer", "recorded_by").defer(
        "image", "version__snapshot"
    )
    serializer_class = PlanSignatureSerializer
    parent_model = TreatmentPlan
    parent_kwarg = "plan_id"
    parent_select = ("patient__practice", "therapist")

    def get_queryset(self):
        return super().get_queryset().filter(plan=self.parent()).order_by("-signed_at", "-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.parent()
        body = PlanSignatureWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        try:
            signature = plan_sign(by=self.audit, plan=plan, request=request, **data)
        except SigningConflict as conflict:
            raise Conflict(conflict.message) from conflict
        signature = self.get_queryset().get(pk=signature.pk)
        response = Response(PlanSignatureSerializer(signature).data, status=201)
        response["Location"] = f"/api/v1/treatment-plans/{plan.pk}/signatures"
        return response


urlpatterns = [
    re_path(
        rf"^treatment-plans/(?P<plan_id>{UUID})/signatures/?$",
        PlanSignatureViewSet.as_view({"get": "list", "post": "create"}),
        name="plan-signatures",
    ),
]
