from rest_framework import serializers

from accounts.api.fields import ModelSerializer, StrictBooleanField, StrictCharField
from accounts.models import DEMOGRAPHIC_FIELDS, AuditEvent, Patient, User


class StaffSummarySerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "full_name", "email", "credentials", "role"]
        read_only_fields = fields


class StaffSerializer(ModelSerializer):
    practice_id = serializers.UUIDField(read_only=True, allow_null=True)
    supervisor_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "credentials",
            "license_number",
            "role",
            "practice_id",
            "supervisor_id",
            "is_active",
        ]
        read_only_fields = fields


class PracticeStaffField(serializers.PrimaryKeyRelatedField):
    """Accepts only the ids of active clinicians in the caller's own practice."""

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.UUIDField(format="hex_verbose"))
        super().__init__(**kwargs)

    def get_queryset(self):
        user = self.context["request"].user
        return User.objects.clinicians(user.practice_id)


class PatientSerializer(ModelSerializer):
    practice_id = serializers.UUIDField(read_only=True)
    primary_therapist = StaffSummarySerializer(read_only=True, allow_null=True)
    primary_therapist_id = PracticeStaffField(
        source="primary_therapist",
        write_only=True,
        required=False,
        help_text="Practice admins only, on create; therapists who create a patient become its primary therapist.",
    )
    care_team = StaffSummarySerializer(many=True, read_only=True)
    care_team_ids = PracticeStaffField(
        source="care_team",
        many=True,
        write_only=True,
        required=False,
        help_text="Clinicians who treat the patient besides the primary therapist.",
    )
    confirm_duplicate = StrictBooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="On create: a patient of the same name and date of birth (case aside) in the practice is a 400 "
        "on `confirm_duplicate` (naming the existing record when the caller may view it); send true to register "
        "this different person anyway. Ignored on update.",
    )

    class Meta:
        model = Patient
        fields = [
            "id",
            "practice_id",
            *DEMOGRAPHIC_FIELDS,
            "primary_therapist",
            "primary_therapist_id",
            "care_team",
            "care_team_ids",
            "confirm_duplicate",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness of external_id is the service's rule (it answers 400 on external_id).
        validators = []


class TransferSerializer(serializers.Serializer):
    therapist_id = PracticeStaffField()


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = StrictCharField(style={"input_type": "password"}, trim_whitespace=False)
    otp = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="For an account with two-step sign-in: the authenticator app's current code, or a recovery code.",
    )


class MFARequiredSerializer(serializers.Serializer):
    detail = StrictCharField()
    mfa_required = serializers.BooleanField(help_text="Always true: send the second factor as `otp`.")


class TokenResponseSerializer(serializers.Serializer):
    token = StrictCharField()
    expires = serializers.DateTimeField(allow_null=True)


class AuditEventSerializer(ModelSerializer):
    user_id = serializers.UUIDField(read_only=True, allow_null=True)
    # Empty for system work: not an email then.
    user_email = StrictCharField(read_only=True, help_text="The account's email when the event happened.")
    patient_id = serializers.UUIDField(read_only=True, allow_null=True)
    changes = serializers.DictField(read_only=True, help_text="For writes: {field: [old, new]} of what changed.")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "user_id",
            "user_email",
            "action",
            "channel",
            "object_type",
            "object_id",
            "patient_id",
            "ip_address",
            "user_agent",
            "path",
            "changes",
        ]
        read_only_fields = fields
