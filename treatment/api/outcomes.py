"""`GET /api/v1/analytics/interventions?since=&until=&sort=`: the outcomes by intervention (`treatment.outcomes`).

Not paginated: it is one row per intervention linked in the caller's scope, bounded by the library and the
practice's own entries (a few hundred at most), and a figure only means something beside the others. Each
figure is `{"value", "suppressed"}`; a row whose patients are fewer than `minimum_cell_size` has
`"suppressed": true` and every figure suppressed, its patient count included. Audited as a view event naming
the scope and the period, never a patient.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit import Action, AuditContext
from accounts.pages import NO_PRACTICE
from treatment import outcomes
from treatment.outcome_forms import OutcomesPeriodForm


class FigureSerializer(serializers.Serializer):
    value = serializers.FloatField(
        allow_null=True, help_text="Null when suppressed, or when no patient contributes to this figure."
    )
    suppressed = serializers.BooleanField(
        help_text="Computed from fewer than `minimum_cell_size` distinct patients, so withheld."
    )


class OutcomeInterventionSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="intervention_id")
    name = serializers.CharField()
    modality = serializers.CharField()
    is_system = serializers.BooleanField(help_text="A built-in library entry (false: the practice's own).")


class InterventionOutcomeSerializer(serializers.Serializer):
    intervention = OutcomeInterventionSerializer(source="*")
    suppressed = serializers.BooleanField(help_text="Fewer patients than `minimum_cell_size`: every figure withheld.")
    patients = FigureSerializer(help_text="Distinct patients whose goals the intervention was linked to.")
    goals = FigureSerializer(help_text="Goals it was linked to (a goal linked to several counts for each).")
    mean_rating = FigureSerializer(help_text="Mean effectiveness rating (1-5) of its rated links.")
    mean_progress_change = FigureSerializer(
        help_text="Mean change in percentage points of its goals rated in the period (end minus start)."
    )
    mean_score_change = FigureSerializer(
        help_text="Mean change of its measure-driven objectives' scores, baseline to latest in the period "
        "(negative: fewer symptoms)."
    )
    response_rate = FigureSerializer(
        help_text="Percent (0-100) of those objectives whose latest score is at most half their baseline."
    )
    remission_rate = FigureSerializer(
        help_text="Percent (0-100) of those objectives (on an instrument with a threshold) in remission."
    )


class OutcomesSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(
        choices=outcomes.Scope.choices,
        help_text="Whose patients: the caller's caseload, with their supervisees', or the whole practice.",
    )
    since = serializers.DateField()
    until = serializers.DateField()
    minimum_cell_size = serializers.IntegerField(source="minimum_cell")
    results = InterventionOutcomeSerializer(many=True, source="sorted_rows")


PARAMETERS = [
    OpenApiParameter("since", OpenApiTypes.DATE, description="First day (default: a year before `until`)."),
    OpenApiParameter("until", OpenApiTypes.DATE, description="Last day (default: today on the practice's calendar)."),
    OpenApiParameter(
        "sort",
        OpenApiTypes.STR,
        enum=[*outcomes.SORT_KEYS, *(f"-{key}" for key in outcomes.SORT_KEYS)],
        description="The column to sort by, `-` first for descending; figures without a value come last.",
    ),
]


class InterventionOutcomesView(APIView):
    """Outcomes by intervention across the caller's scope over a period."""

    @extend_schema(summary="Outcomes by intervention", parameters=PARAMETERS, responses=OutcomesSerializer)
    def get(self, request: Request) -> Response:
        user: Any = request.user
        if user.practice_id is None:
            raise PermissionDenied(NO_PRACTICE)
        sort = request.query_params.get("sort") or outcomes.DEFAULT_SORT
        if sort.removeprefix("-") not in outcomes.SORT_KEYS:
            raise serializers.ValidationError({"sort": [f"Sort by one of {', '.join(outcomes.SORT_KEYS)}."]})
        form = OutcomesPeriodForm(request.query_params, today=user.practice.today())
        if not form.is_valid():
            raise serializers.ValidationError(
                {field: [str(m) for m in messages] for field, messages in form.errors.items()}
            )
        since, until = form.period
        report = outcomes.outcomes_by_intervention(user, since=since, until=until)
        outcomes.audit_figures(AuditContext.from_request(request), Action.VIEW, report)
        body = {
            "scope": report.scope,
            "since": report.since,
            "until": report.until,
            "minimum_cell": report.minimum_cell,
            "sorted_rows": report.sorted_by(sort),
        }
        return Response(OutcomesSerializer(body).data)
