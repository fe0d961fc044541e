"""The measure figures of the outcomes by intervention (`treatment.outcomes`): one aggregate query.

For each linked objective driven by a measure (`TreatmentGoal.measure_instrument`, with a target) whose
patient has a score on that instrument administered within the period (on the practice's dates `since` to
`until`, both included):

- its **latest score in the period** (by date, then the order recorded);
- its **baseline**: the objective's own `measure_baseline_score`, else the last score on or before the plan's
  start, else the first after it (`treatment.measures.default_baseline`, the rule the objective's progress
  uses, written here in SQL so the figure is aggregated in the database);
- **score change** = latest - baseline (negative: fewer symptoms);
- **response**: a reduction of at least 50% from a baseline above 0, **remission**: a latest score below the
  instrument's remission threshold (`treatment.measures.flags_from`, the objective's own flags, here at its
  latest score in the period rather than its latest ever). Remission counts only objectives whose instrument
  has a threshold (`Instrument.remission_below`; none for the PCL-5).

Per intervention: the mean score change, and the response and remission rates (percent of those objectives),
each with the distinct patients it comes from, for the small-cell rule.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Case, Count, F, FloatField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from treatment.instruments import INSTRUMENTS
from treatment.models import GoalIntervention, Measurement

#: The aggregate queries this module adds to the table.
QUERIES = 1


@dataclass(frozen=True)
class MeasureFigures:
    """One intervention's measure figures and the distinct patients each comes from."""

    mean_score_change: Decimal | float | None
    score_patients: int
    response_rate: Decimal | float | None
    remission_rate: Decimal | float | None
    remission_patients: int


NO_MEASURES = MeasureFigures(None, 0, None, None, 0)


def _scores() -> QuerySet[Measurement]:
    """The goal's patient's scores on the goal's instrument (for a subquery over links)."""
    return Measurement.objects.filter(
        patient_id=OuterRef("goal__plan__patient_id"), instrument=OuterRef("goal__measure_instrument")
    )


def _first(scores: QuerySet[Measurement], *order: str) -> Subquery:
    return Subquery(scores.order_by(*order).values("total_score")[:1])


def _remitted() -> Case:
    """100 when the latest score in the period is below its instrument's remission threshold, else 0."""
    return Case(
        *(
            When(goal__measure_instrument=code, latest__lt=spec.remission_below, then=Value(100.0))
            for code, spec in INSTRUMENTS.items()
            if spec.remission_below is not None
        ),
        default=Value(0.0),
        output_field=FloatField(),
    )


def measure_figures(links: QuerySet[GoalIntervention], since: date, until: date) -> dict[uuid.UUID, MeasureFigures]:
    """The measure figures of `links` (the table's links of the period), by intervention id."""
    remission_codes = [code for code, spec in INSTRUMENTS.items() if spec.remission_below is not None]
    newest_first = ("-administered_on", "-created_at")
    rows = (
        links.exclude(goal__measure_instrument="")
        .filter(goal__measure_target_score__isnull=False)
        .annotate(
            latest=_first(_scores().filter(administered_on__gte=since, administered_on__lte=until), *newest_first),
            baseline=Coalesce(
                F("goal__measure_baseline_score"),
                _first(_scores().filter(administered_on__lte=OuterRef("goal__plan__start_date")), *newest_first),
                _first(
                    _scores().filter(administered_on__gt=OuterRef("goal__plan__start_date")),
                    "administered_on",
                    "created_at",
                ),
            ),
        )
        .filter(latest__isnull=False)
        .values("intervention_id")
        .annotate(
            mean_score_change=Avg(F("latest") - F("baseline"), output_field=FloatField()),
            score_patients=Count("goal__plan__patient_id", distinct=True),
            response_rate=Avg(
                Case(
                    When(baseline__gt=0, baseline__gte=F("latest") * 2, then=Value(100.0)),
                    default=Value(0.0),
                    output_field=FloatField(),
                )
            ),
            remission_rate=Avg(_remitted(), filter=Q(goal__measure_instrument__in=remission_codes)),
            remission_patients=Count(
                "goal__plan__patient_id", distinct=True, filter=Q(goal__measure_instrument__in=remission_codes)
            ),
        )
        .order_by()
    )
    return {
        row["intervention_id"]: MeasureFigures(
            mean_score_change=row["mean_score_change"],
            score_patients=row["score_patients"],
            response_rate=row["response_rate"],
            remission_rate=row["remission_rate"],
            remission_patients=row["remission_patients"],
        )
        for row in rows
    }
