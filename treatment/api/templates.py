"""The plan-template API: the library (system + the caller's practice's own), a practice's own templates, and
"Save as template" on a plan.

A template is no patient's record, so the library is narrowed like the intervention library (`visible_to`: the
system entries and the caller's practice's; another practice's id is a 404). The system entries are read-only
(403); a practice template is changed or deleted by its author or a practice admin (403 for anyone else).
Saving a plan as a template reads the plan: it goes through the plan's access (`get_object`) and is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.api.fields import StrictCharField
from accounts.api.routers import UUID
from accounts.audit import AuditContext
from treatment import services
from treatment.api.template_serializers import (
    PlanTemplateDetailSerializer,
    PlanTemplateSerializer,
    PlanTemplateWriteSerializer,
    SaveAsTemplateSerializer,
)
from treatment.models import PlanTemplate
from treatment.services.templates import check_template_edit
from treatment.template_selectors import template_tree, templates_for, templates_visible


class TemplateQuerySerializer(serializers.Serializer):
    diagnosis = StrictCharField(
        required=False, max_length=10, help_text="An ICD-10-CM code: the templates fitting it come first."
    )
    search = StrictCharField(
        required=False, max_length=100, help_text="Words found in the name, summary, presenting problems or codes."
    )


def template_detail(template: PlanTemplate, context: Mapping[str, Any], status_code: int = 200) -> Response:
    body = PlanTemplateDetailSerializer(template, context={**context, "tree": template_tree(template)}).data
    return Response(body, status=status_code)


@extend_schema_view(
    list=extend_schema(
        summary="List the plan templates (system and your practice's), those fitting `diagnosis` first",
        parameters=[TemplateQuerySerializer],
    ),
    retrieve=extend_schema(summary="Get a plan template with its goal tree", responses=PlanTemplateDetailSerializer),
    create=extend_schema(
        summary="Add a template to your practice's library",
        request=PlanTemplateWriteSerializer,
        responses={201: PlanTemplateDetailSerializer},
    ),
    update=extend_schema(
        summary="Change a practice template (its author or a practice admin)",
        request=PlanTemplateWriteSerializer,
        responses=PlanTemplateDetailSerializer,
    ),
    partial_update=extend_schema(
        summary="Change part of a practice template",
        request=PlanTemplateWriteSerializer,
        responses=PlanTemplateDetailSerializer,
    ),
    destroy=extend_schema(summary="Delete a practice template (plans made from it keep their goals)"),
)
class PlanTemplateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """`/plan-templates[/{id}]`: the template library a plan starts from."""

    queryset = PlanTemplate.objects.all()
    serializer_class = PlanTemplateSerializer
    lookup_value_regex = UUID

    @property
    def audit(self) -> AuditContext:
        return AuditContext.from_request(self.request)

    def get_queryset(self):
        return templates_visible(self.request.user)

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return PlanTemplateWriteSerializer
        return PlanTemplateDetailSerializer if self.action == "retrieve" else PlanTemplateSerializer

    def list(self, request, *args, **kwargs):
        query = TemplateQuerySerializer(data={k: v for k, v in request.query_params.items() if v != ""})
        query.is_valid(raise_exception=True)
        matches = templates_for(request.user, **query.validated_data)
        page = self.paginate_queryset(matches)
        rows = page if page is not None else matches
        data = PlanTemplateSerializer.of_matches(rows, self.get_serializer_context()).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        return template_detail(self.get_object(), self.get_serializer_context())

    def create(self, request, *args, **kwargs):
        user = request.user
        if user.practice_id is None:
            raise PermissionDenied("Your account does not belong to a practice.")
        body = PlanTemplateWriteSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        template = services.plan_template_create(by=self.audit, practice=user.practice, **body.validated_data)
        return template_detail(template, self.get_serializer_context(), status_code=201)

    def update(self, request, *args, **kwargs):
        template = self.get_object()
        # Rights before the body: a system entry or someone else's template is a 403 whatever is sent.
        check_template_edit(request.user, template)
        body = PlanTemplateWriteSerializer(
            data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        template = services.plan_template_update(by=self.audit, template=template, **body.validated_data)
        return template_detail(template, self.get_serializer_context())

    def perform_destroy(self, instance):
        services.plan_template_delete(by=self.audit, template=instance)


if TYPE_CHECKING:  # what the mixin is listed before: the plan viewset
    from accounts.api.base import PatientDataViewSet as _PlanViewSet
else:
    _PlanViewSet = object


class SaveAsTemplateMixin(_PlanViewSet):
    """`POST /treatment-plans/{plan_id}/save-as-template`, on the plan viewset: the plan's clinician or a practice admin
    copies its tree into a practice template, without the patient's data (`plan_template_save`)."""

    @extend_schema(
        summary="Save the plan's goal tree as a practice template (nothing of the patient is kept)",
        request=SaveAsTemplateSerializer,
        responses={201: PlanTemplateDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="save-as-template")
    def save_as_template(self, request, *args, **kwargs):
        plan = self.get_object()
        body = SaveAsTemplateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        template = services.plan_template_save(by=self.audit, plan=plan, **body.validated_data)
        return template_detail(template, self.get_serializer_context(), status_code=201)
