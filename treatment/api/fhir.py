"""FHIR R4 routes: a plan's Bundle (`/treatment-plans/{plan_id}/fhir`), and CarePlan search and read under
`/fhir/`, for partners with FHIR clients. Read-only, `application/fhir+json` whatever the Accept header says.

Access is the API's (`PatientDataViewSet`): a plan the caller may not see is a 404, like everywhere else. Errors on
these routes are OperationOutcome resources (FHIR clients parse nothing else), with the status the rest of the API
would give: one issue per refused field of a 400 (`expression` names it), `login` 401, `forbidden` 403,
`not-found` 404, `throttled` 429. Every resource answered is audited as an `export`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.base import PatientDataViewSet
from accounts.api.exceptions import exception_handler
from accounts.audit import Action, audit_record, audit_record_many
from treatment.fhir.bundle import capability_statement, collection_bundle, searchset_bundle
from treatment.fhir.careplan import careplan_resource
from treatment.fhir.read import plan_export
from treatment.fhir.signing import signed_version_of
from treatment.models import TreatmentPlan
from treatment.selectors import plan_tree

FHIR_JSON = "application/fhir+json"

#: The HTTP status of an error -> OperationOutcome.issue.code (http://hl7.org/fhir/issue-type).
ISSUE_TYPE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    415: "not-supported",
    429: "throttled",
}


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class FhirNegotiation(BaseContentNegotiation):
    """Always FHIR JSON (an `Accept: application/json` or `*/*` client gets it too, as FHIR servers answer)."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


def _issues(detail: Any, path: str = "") -> list[dict[str, Any]]:
    """One issue per message, naming the field at fault (`expression`) when the error is about one."""
    if isinstance(detail, dict):
        return [issue for key, value in detail.items() for issue in _issues(value, f"{path}.{key}" if path else key)]
    if isinstance(detail, list):
        return [issue for value in detail for issue in _issues(value, path)]
    issue: dict[str, Any] = {"diagnostics": str(detail)}
    if path and path not in ("detail", "non_field_errors"):
        issue["expression"] = [path]
    return [issue]


def operation_outcome(status: int, detail: Any) -> dict[str, Any]:
    code = ISSUE_TYPE.get(status, "exception")
    issues = [{"severity": "error", "code": code, **issue} for issue in _issues(detail)]
    return {"resourceType": "OperationOutcome", "issue": issues}


def fhir_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The API's own handler (statuses, headers such as Retry-After), with the body as an OperationOutcome."""
    response = exception_handler(exc, context)
    if response is not None:
        response.data = operation_outcome(response.status_code, response.data)
    return response


class OperationOutcomeIssueSerializer(serializers.Serializer):
    severity = serializers.CharField(help_text="Always `error`.")
    code = serializers.CharField(help_text="The issue type (http://hl7.org/fhir/issue-type): invalid, login, ...")
    diagnostics = serializers.CharField()
    expression = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="The field (search parameter) at fault."
    )


class OperationOutcomeSerializer(serializers.Serializer):
    """A FHIR R4 OperationOutcome: the error of a FHIR route (documentation only: the body is built as a dict)."""

    resourceType = serializers.CharField(help_text="Always `OperationOutcome`.")
    issue = OperationOutcomeIssueSerializer(many=True)


def _resource_schema(resource_type: str, description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": {"resourceType": {"type": "string", "enum": [resource_type]}, "id": {"type": "string"}},
        "required": ["resourceType"],
        "additionalProperties": True,
    }


def _errors(*statuses: int) -> dict[Any, OpenApiResponse]:
    messages = {
        400: "The request is refused (a search parameter: the issue's expression names it).",
        401: "No credentials, or a token that is invalid or expired.",
        403: "The caller may not do this.",
        404: "Not found, or not visible to the caller.",
        429: "Too many requests: try again after Retry-After seconds.",
    }
    return {(s, FHIR_JSON): OpenApiResponse(OperationOutcomeSerializer, description=messages[s]) for s in statuses}


PLAN_ID = OpenApiParameter("plan_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The plan's id.")


class FhirResponses:
    """FHIR JSON whatever the client accepts, and errors as OperationOutcome: what every FHIR route shares."""

    renderer_classes: Sequence[type[BaseRenderer]] = [FhirJSONRenderer]
    content_negotiation_class: type[BaseContentNegotiation] = FhirNegotiation

    def get_exception_handler(self):
        return fhir_exception_handler

    @classmethod
    def refusal_response(cls, status: int, detail: Any) -> HttpResponse:
        """Input refused before the view runs (a NUL in a search parameter, `accounts.errors.api_refusal`) is an
        OperationOutcome too."""
        return JsonResponse(operation_outcome(status, detail), status=status, content_type=FHIR_JSON)


class CapabilityView(FhirResponses, APIView):
    """`/fhir/metadata`: what this FHIR base serves, read by FHIR clients before anything else (so, as the FHIR
    specification expects, without credentials: it says nothing about any patient)."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="fhir_capabilities",
        summary="The FHIR server's CapabilityStatement",
        auth=[],
        responses={
            (200, FHIR_JSON): OpenApiResponse(
                _resource_schema("CapabilityStatement", "A FHIR R4 CapabilityStatement.")
            ),
            **_errors(429),
        },
    )
    def get(self, request: Request) -> Response:
        base = request.build_absolute_uri(reverse("api:fhir-capabilities")).rstrip("/").rsplit("/", 1)[0]
        return Response(capability_statement(base))


class FhirViewSet(FhirResponses, PatientDataViewSet):
    """Plans the caller may view, as FHIR; errors as OperationOutcome."""

    queryset = TreatmentPlan.objects.select_related("therapist", "patient__practice")
    lookup_url_kwarg = "plan_id"
    pagination_class = None
    filter_backends: list[Any] = []

    def base(self) -> str:
        """The FHIR base the entries' `fullUrl`s are under (the CarePlan read lives there)."""
        return self.request.build_absolute_uri(reverse("api:fhir-careplan-search")).rstrip("/").rsplit("/", 1)[0]

    def careplan(self, plan: TreatmentPlan) -> dict[str, Any]:
        return careplan_resource(plan, plan_tree(plan), signed_version_of(plan))


class PlanFhirViewSet(FhirViewSet):
    """`/treatment-plans/{plan_id}/fhir`: the plan's Bundle."""

    @extend_schema(
        operation_id="treatment_plan_fhir_export",
        summary="Export a treatment plan as a FHIR R4 Bundle",
        description=(
            "A Bundle of type `collection`: the CarePlan (US Core), the Patient, the Practitioner, one Condition per "
            "diagnosis, one Goal per goal (US Core; PCO PROM Goal for an objective driven by a measure) and one "
            "Observation per progress entry and per score. References are relative (`Goal/{id}`) and resolve to "
            "the entries' `fullUrl`s. The README's FHIR export section has the mapping table."
        ),
        parameters=[PLAN_ID],
        responses={
            (200, FHIR_JSON): OpenApiResponse(_resource_schema("Bundle", "A FHIR R4 Bundle (collection).")),
            **_errors(400, 401, 403, 404, 429),
        },
    )
    def export(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.get_object()
        bundle = collection_bundle(plan_export(plan), self.base())
        audit_record(self.audit, Action.EXPORT, plan)
        return Response(bundle)


class FhirCarePlanViewSet(FhirViewSet):
    """`/fhir/CarePlan?patient={id}` and `/fhir/CarePlan/{id}`: the CarePlan the plan's Bundle holds."""

    @extend_schema(
        operation_id="fhir_careplan_search",
        summary="Search CarePlans by patient (FHIR R4)",
        description="A `searchset` Bundle of the patient's CarePlans the caller may see, newest first, with `total`.",
        parameters=[
            OpenApiParameter(
                "patient", OpenApiTypes.STR, required=True, description="The patient's id, or `Patient/{id}`."
            )
        ],
        responses={
            (200, FHIR_JSON): OpenApiResponse(_resource_schema("Bundle", "A FHIR R4 Bundle (searchset).")),
            **_errors(400, 401, 403, 404, 429),
        },
    )
    def search(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # `search`, not `list`: a searchset is one Bundle, not an array (drf-spectacular reads `list` as one).
        patient_id = _patient_param(request.query_params.get("patient", ""))
        plans = list(self.get_queryset().filter(patient_id=patient_id).order_by("-start_date", "-created_at", "pk"))
        careplans = [self.careplan(plan) for plan in plans]
        audit_record_many(self.audit, Action.EXPORT, plans)
        return Response(searchset_bundle(careplans, self.base(), request.build_absolute_uri()))

    @extend_schema(
        operation_id="fhir_careplan_read",
        summary="Read a CarePlan (FHIR R4)",
        description="The plan's CarePlan, the same resource as in its Bundle and in a search.",
        parameters=[PLAN_ID],
        responses={
            (200, FHIR_JSON): OpenApiResponse(_resource_schema("CarePlan", "A US Core CarePlan.")),
            **_errors(400, 401, 403, 404, 429),
        },
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.get_object()
        resource = self.careplan(plan)
        audit_record(self.audit, Action.EXPORT, plan)
        return Response(resource)


def _patient_param(value: str) -> uuid.UUID:
    """The `patient` search parameter: an id or a `Patient/{id}` reference (else a 400 naming it)."""
    raw = value.strip().removeprefix("Patient/")
    if not raw:
        raise exceptions.ValidationError({"patient": ["Search CarePlans by patient: ?patient={id}."]})
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise exceptions.ValidationError({"patient": ["Not a patient id."]}) from None
