"""What the plan-template API reads and writes: templates with their tree, a practice template's body, and the
plan-create body that names templates to build from."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.fields import StrictCharField
from treatment.api.serializers import SMART_SCHEMA, PlanWriteSerializer, SmartField
from treatment.instruments import INSTRUMENT_CODES
from treatment.models import PlanTemplate
from treatment.services.template_adjustments import TemplateAdjustments
from treatment.template_selectors import TemplateMatch


class TemplateIdsField(serializers.PrimaryKeyRelatedField):
    """Accepts the ids of the system templates and of the caller's practice's own (others "do not exist")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.UUIDField(format="hex_verbose"))
        super().__init__(**kwargs)

    def get_queryset(self):
        return PlanTemplate.objects.visible_to(self.context["request"].user)


#: At most this many goals left out, or retyped, in one plan's creation (a tree of the library has a few dozen).
MAX_ADJUSTED = 500


class PlanCreateSerializer(PlanWriteSerializer):
    """The body of POST /patients/{id}/treatment-plans: a plan's fields, and the templates to build its tree from."""

    template_ids = serializers.ListField(
        child=TemplateIdsField(),
        source="templates",
        required=False,
        max_length=10,
        help_text="Templates whose goal trees the new plan starts with, as separate long-term goals (comorbid "
        "problems); target dates count from the start date. Unknown or another practice's ids: 400.",
    )

    template_goals_left_out = serializers.ListField(
        child=serializers.UUIDField(format="hex_verbose"),
        required=False,
        max_length=MAX_ADJUSTED,
        help_text="Goals of those templates (their tree's `id`s) to leave out of the plan, each with its sub-goals. "
        "An id of no template named: 400; every goal of a template left out: 400 (name fewer templates).",
    )
    template_goal_descriptions = serializers.DictField(
        child=StrictCharField(allow_blank=True),
        required=False,
        help_text="New descriptions for goals of those templates, by template-goal id: each replaces its template "
        "goal's. An id of no template named: 400 on this field; a blank text: 400 on "
        "`template_goal_descriptions.<id>`.",
    )

    class Meta(PlanWriteSerializer.Meta):
        fields = [
            *PlanWriteSerializer.Meta.fields,
            "template_ids",
            "template_goals_left_out",
            "template_goal_descriptions",
        ]

    def validate_template_goal_descriptions(self, texts: dict[str, str]) -> dict[uuid.UUID, str]:
        if len(texts) > MAX_ADJUSTED:
            raise serializers.ValidationError(f"Send at most {MAX_ADJUSTED} descriptions.")
        parsed: dict[uuid.UUID, str] = {}
        for key, text in texts.items():
            try:
                parsed[uuid.UUID(key)] = text
            except ValueError:
                raise serializers.ValidationError(f"{key[:40]!r} is not a template-goal id.") from None
        return parsed

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The adjustments as the service takes them, one `template_adjustments`."""
        attrs = super().validate(attrs)
        left_out = attrs.pop("template_goals_left_out", [])
        texts = attrs.pop("template_goal_descriptions", {})
        if left_out or texts:
            attrs["template_adjustments"] = TemplateAdjustments(left_out=frozenset(left_out), texts=texts)
        return attrs


# --- reading ---------------------------------------------------------------------------------------


class TemplateInterventionSerializer(serializers.Serializer):
    intervention_id = serializers.UUIDField()
    name = serializers.CharField()
    modality = serializers.CharField()
    frequency = serializers.CharField()


class TemplateObjectiveSerializer(serializers.Serializer):
    """A goal of a template's tree (an objective: no sub-goals)."""

    id = serializers.UUIDField()
    goal_type = serializers.CharField()
    description = serializers.CharField()
    measurable_criteria = serializers.CharField()
    baseline_value = serializers.CharField(help_text="Usually a [[placeholder]] the therapist fills.")
    target_value = serializers.CharField(help_text="Usually a [[placeholder]] the therapist fills.")
    priority = serializers.IntegerField()
    target_offset_weeks = serializers.IntegerField(
        allow_null=True, help_text="The target date is the plan's start plus this many weeks."
    )
    smart = SmartField()
    measure_instrument = serializers.CharField()
    measure_target_score = serializers.IntegerField(allow_null=True)
    placeholders = serializers.ListField(
        child=serializers.CharField(), help_text="The fields still holding a [[placeholder]]."
    )
    interventions = TemplateInterventionSerializer(many=True)


class TemplateShortTermSerializer(TemplateObjectiveSerializer):
    sub_goals = TemplateObjectiveSerializer(many=True, source="children")


class TemplateLongTermSerializer(TemplateObjectiveSerializer):
    sub_goals = TemplateShortTermSerializer(many=True, source="children")


class PlanTemplateSerializer(serializers.ModelSerializer):
    """A template without its tree (the list)."""

    is_system = serializers.BooleanField(read_only=True, help_text="The built-in library: read-only.")
    fits = serializers.SerializerMethodField(help_text="Whether it fits the `diagnosis` asked for.")

    class Meta:
        model = PlanTemplate
        fields = [
            "id",
            "key",
            "name",
            "summary",
            "diagnosis_codes",
            "presenting_problems",
            "sources",
            "is_system",
            "fits",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_fits(self, template) -> bool:
        return bool(self.context.get("fits", {}).get(template.pk, False))

    @classmethod
    def of_matches(cls, matches: list[TemplateMatch], context: Mapping[str, Any]) -> serializers.BaseSerializer:
        fitting = {match.template.pk: match.fits for match in matches}
        return cls([match.template for match in matches], many=True, context={**context, "fits": fitting})


class PlanTemplateDetailSerializer(PlanTemplateSerializer):
    """A template with its goal tree."""

    goals = serializers.SerializerMethodField()

    class Meta(PlanTemplateSerializer.Meta):
        fields = [*PlanTemplateSerializer.Meta.fields, "goals"]
        read_only_fields = fields

    @extend_schema_field(TemplateLongTermSerializer(many=True))
    def get_goals(self, template) -> list[dict[str, Any]]:
        return list(TemplateLongTermSerializer(self.context["tree"], many=True).data)


# --- writing ---------------------------------------------------------------------------------------

TREE_SCHEMA = {
    "type": "array",
    "description": "Long-term goals, each with `sub_goals` (short-term goals) and theirs (objectives); each goal: "
    "description, measurable_criteria, baseline_value, target_value, priority, target_offset_weeks, smart, "
    f"measure_instrument ({', '.join(INSTRUMENT_CODES)}; objectives only), measure_target_score, and "
    "interventions [{intervention_id, frequency}].",
    "items": {
        "type": "object",
        "properties": {
            "description": {"type": "string"},
            "measurable_criteria": {"type": "string"},
            "baseline_value": {"type": "string", "maxLength": 100},
            "target_value": {"type": "string", "maxLength": 100},
            "priority": {"type": "integer", "minimum": 1, "maximum": 10},
            "target_offset_weeks": {"type": "integer", "minimum": 1, "nullable": True},
            "smart": SMART_SCHEMA,
            "measure_instrument": {"type": "string"},
            "measure_target_score": {"type": "integer", "nullable": True},
            "interventions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "intervention_id": {"type": "string", "format": "uuid"},
                        "frequency": {"type": "string", "maxLength": 50},
                    },
                },
            },
            "sub_goals": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["description"],
    },
}


@extend_schema_field(TREE_SCHEMA)
class TemplateTreeField(serializers.JSONField):
    """A template's goal tree in the library's file format, checked by the service (400 naming each path)."""


class PlanTemplateWriteSerializer(serializers.Serializer):
    """The body of POST /plan-templates and PUT/PATCH /plan-templates/{id} (a practice's own template)."""

    name = StrictCharField(max_length=200)
    summary = StrictCharField(required=False, allow_blank=True, max_length=2000)
    diagnosis_codes = serializers.ListField(
        child=StrictCharField(max_length=10), required=False, help_text="ICD-10-CM codes or categories it fits."
    )
    presenting_problems = serializers.ListField(child=StrictCharField(max_length=200), required=False)
    sources = serializers.ListField(child=StrictCharField(max_length=500), required=False)
    goals = TemplateTreeField(help_text="The goal tree; on PUT/PATCH it replaces the template's tree.")


class SaveAsTemplateSerializer(serializers.Serializer):
    """The body of POST /treatment-plans/{id}/save-as-template."""

    name = StrictCharField(max_length=200)
    summary = StrictCharField(required=False, allow_blank=True, max_length=2000)
