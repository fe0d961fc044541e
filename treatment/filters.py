import django_filters

from treatment.models import PlanStatus, TherapySession, TreatmentPlan


class PlanFilter(django_filters.FilterSet):
    """One filter for plans, shared by the API list and the dashboard."""

    patient = django_filters.UUIDFilter(field_name="patient_id")
    therapist = django_filters.UUIDFilter(field_name="therapist_id")
    status = django_filters.MultipleChoiceFilter(choices=PlanStatus.choices)
    review_due_by = django_filters.DateFilter(
        field_name="next_review_date", lookup_expr="lte", label="Next review on or before this date"
    )

    class Meta:
        model = TreatmentPlan
        fields = ["patient", "therapist", "status", "review_due_by"]


class SessionFilter(django_filters.FilterSet):
    patient = django_filters.UUIDFilter(field_name="patient_id")
    plan = django_filters.UUIDFilter(field_name="plan_id")
    since = django_filters.DateFilter(field_name="session_date", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="session_date", lookup_expr="lte")

    class Meta:
        model = TherapySession
        fields = ["patient", "plan", "since", "until"]
