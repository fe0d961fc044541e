from rest_framework import serializers

from accounts.api.fields import ModelSerializer, StrictBooleanField
from interventions.models import EvidenceLevel, Intervention


class InterventionSummarySerializer(ModelSerializer):
    # Empty for a practice's own intervention that names no evidence level.
    evidence_level = serializers.ChoiceField(choices=EvidenceLevel.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Intervention
        fields = ["id", "name", "modality", "category", "evidence_level", "is_system"]
        read_only_fields = fields


class InterventionSerializer(ModelSerializer):
    practice_id = serializers.UUIDField(read_only=True, allow_null=True)
    is_active = StrictBooleanField(required=False, help_text="Retired interventions stay on the goals that use them.")
    created_by_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Intervention
        fields = [
            "id",
            "name",
            "description",
            "modality",
            "category",
            "evidence_level",
            "is_system",
            "is_active",
            "practice_id",
            "created_by_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "is_system", "practice_id", "created_by_id", "created_at", "updated_at"]
        # Name uniqueness is the service's rule (400 on `name`).
        validators = []


class AvailableInterventionField(serializers.PrimaryKeyRelatedField):
    """Accepts the ids of the system library and of the caller's practice's own interventions."""

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.UUIDField(format="hex_verbose"))
        super().__init__(**kwargs)

    def get_queryset(self):
        return Intervention.objects.available_to(self.context["request"].user)
