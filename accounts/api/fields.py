from django.db import models
from rest_framework import serializers

from accounts.validators import validate_clinical_date


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """An id field that accepts only records the caller may see (others read as "does not exist").

    `queryset` is the unrestricted queryset; its manager's `restrict(user, "view")` narrows it.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.UUIDField(format="hex_verbose"))
        super().__init__(**kwargs)

    default_error_messages = {"blank": "Send an id, or null for none: not an empty string."}

    def run_validation(self, data=serializers.empty):
        # DRF reads "" as null for a relation; a partner that sends it means something else, so it is refused.
        if data == "":
            self.fail("blank")
        return super().run_validation(data)

    def get_queryset(self):
        return super().get_queryset().restrict(self.context["request"].user, "view")


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean, true or false: not 0, 1, "yes" or "on", which DRF's BooleanField also takes."""

    def to_internal_value(self, data) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictCharField(serializers.CharField):
    """A JSON string: not 0 or 1.5, which DRF's CharField turns into "0" and "1.5"."""

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    """The API's model serializer: a model's text columns take JSON strings only (`StrictCharField`), its
    boolean columns JSON booleans only (`StrictBooleanField`)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.BooleanField: StrictBooleanField,
    }


class ClinicalDateField(serializers.DateField):
    """A plan, goal, session, review or report date, between CLINICAL_DATE_MIN and CLINICAL_DATE_MAX.

    (Model serializers take the same rule from the model field's validator.)
    """

    default_validators = [validate_clinical_date]
