"""One filterset per model, shared by the HTML lists and the API lists."""

import django_filters
from django.db.models import Q

from accounts.models import AuditEvent, Patient


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
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    action = django_filters.ChoiceFilter(choices=AuditEvent.Action.choices)

    class Meta:
        model = AuditEvent
        fields = ["patient", "user", "since", "until", "action"]
