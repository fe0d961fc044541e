import django_filters
from django.db.models import Case, IntegerField, Q, Value, When

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
        """Every word in the name or the description; ranked: the name starting with what was typed, then the
        name holding every word, then the rest (a match in the description), each in the order given before."""
        words = value.split()
        for word in words:
            queryset = queryset.filter(Q(name__icontains=word) | Q(description__icontains=word))
        if not words:
            return queryset
        in_name = Q()
        for word in words:
            in_name &= Q(name__icontains=word)
        rank = Case(
            When(name__istartswith=" ".join(words), then=Value(0)),
            When(in_name, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        before = queryset.query.order_by or tuple(queryset.model._meta.ordering)
        return queryset.annotate(search_rank=rank).order_by("search_rank", *before, "pk")

    def filter_retired(self, queryset, name, value):
        return queryset
