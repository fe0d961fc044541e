import django_filters
from django.db.models import Q

from accounts.filters import StrictBooleanFilter
from interventions.models import Category, EvidenceLevel, Intervention, Modality


class InterventionFilter(django_filters.FilterSet):
    """One filter for the library, shared by the API list and the library page."""

    search = django_filters.CharFilter(method="filter_search", label="Search name and description")
    modality = django_filters.ChoiceFilter(choices=Modality.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)
    evidence_level = django_filters.ChoiceFilter(choices=EvidenceLevel.choices)
    is_system = StrictBooleanFilter(label="Built-in library only (true) or practice-custom only (false)")
    include_retired = StrictBooleanFilter(method="filter_retired", label="Include retired interventions")

    class Meta:
        model = Intervention
        fields = ["search", "modality", "category", "evidence_level", "is_system"]

    @property
    def qs(self):
        queryset = super().qs
        if not self.form.cleaned_data.get("include_retired"):
            queryset = queryset.filter(is_active=True)
        return queryset

    def filter_search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(Q(name__icontains=word) | Q(description__icontains=word))
        return queryset

    def filter_retired(self, queryset, name, value):
        return queryset
