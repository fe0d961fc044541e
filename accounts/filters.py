"""One filterset per model, shared by the HTML lists and the API lists; the strict filter fields they share."""

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django_filters.fields import IsoDateTimeField

from accounts.models import AuditEvent, Patient
from accounts.validators import validate_clinical_datetime


class StrictBooleanField(forms.NullBooleanField):
    """true or false (or nothing): a value that is neither is an error, not a filter silently dropped."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        result = super().to_python(value)
        if result is None:
            raise ValidationError("Enter true or false.", code="invalid")
        return result


class StrictBooleanFilter(django_filters.BooleanFilter):
    """A true/false query parameter; the plain text input hands the field what was sent (django-filter's
    boolean widgets turn anything they do not know into "no filter")."""

    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class InstantField(IsoDateTimeField):
    """An ISO 8601 date and time in the clinical range, compared in UTC (PostgreSQL refuses UTC offsets
    beyond 15:59, which Python parses)."""

    default_validators = [validate_clinical_datetime]

    def clean(self, value):
        value = super().clean(value)
        return value.astimezone(datetime.UTC) if value is not None else None


class InstantFilter(django_filters.IsoDateTimeFilter):
    field_class = InstantField


class PatientFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="Name or identifier")
    status = django_filters.ChoiceFilter(choices=Patient.Status.choices)
    primary_therapist = django_filters.UUIDFilter(field_name="primary_therapist_id")

    class Meta:
        model = Patient
        fields = ["search", "status", "primary_therapist"]

    def filter_search(self, queryset, name, value):
        q = Q()
        for term in value.split():
            q &= (
                Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
                | Q(preferred_name__icontains=term)
                | Q(external_id__iexact=term)
            )
        return queryset.filter(q)


class AuditEventFilter(django_filters.FilterSet):
    patient = django_filters.UUIDFilter(field_name="patient_id")
    user = django_filters.UUIDFilter(field_name="user_id")
    since = InstantFilter(field_name="occurred_at", lookup_expr="gte")
    until = InstantFilter(field_name="occurred_at", lookup_expr="lt")
    action = django_filters.ChoiceFilter(choices=AuditEvent.Action.choices)

    class Meta:
        model = AuditEvent
        fields = ["patient", "user", "since", "until", "action"]
