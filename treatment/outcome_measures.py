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
from typing import Any

from django.db import connection
from django.db.models import Case, Exists, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
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


def grouped_by_intervention(rows: QuerySet[Any, Any], aggregates: dict[str, str]) -> dict[uuid.UUID, dict[str, Any]]:
    """`aggregates` (name: SQL over the columns of `rows`) per intervention, in one query.

    `rows` is a `values()` queryset of one row per link with `intervention_id` and its figures as columns; the
    aggregates run over it as a derived table, so each column's subqueries run once per link (an ORM aggregate
    over an annotation repeats the annotation's SQL wherever the aggregate names it).
    """
    sql, params = rows.query.sql_with_params()
    # An empty OFFSET keeps the database from merging the derived table into the outer query, which would put
    # each column's subqueries back in every aggregate naming it (PostgreSQL and SQLite both flatten it).
    sql += " OFFSET 0" if connection.vendor == "postgresql" else " LIMIT -1 OFFSET 0"
    select = ", ".join(f"{expression} AS {name}" for name, expression in aggregates.items())
    # The aggregates are this module's constants and the callers', never input: the parameters stay parameters.
    query = f"SELECT intervention_id, {select} FROM ({sql}) AS per_link GROUP BY intervention_id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        names = [column[0] for column in cursor.description]
        found = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    # SQLite hands a UUID back as its hex text.
    return {uuid.UUID(str(row.pop("intervention_id"))): row for row in found}


def _scores() -> QuerySet[Measurement]:
    """The goal's patient's scores on the goal's instrument (for a subquery over links)."""
    return Measurement.objects.filter(
        patient_id=OuterRef("goal__plan__patient_id"), instrument=OuterRef("goal__measure_instrument")
    )


def _first(scores: QuerySet[Measurement], *order: str) -> Subquery:
    return Subquery(scores.order_by(*order).values("total_score")[:1])


def _remission_below() -> Case:
    """The remission threshold of the objective's instrument, or null for an instrument without one."""
    return Case(
        *(
            When(goal__measure_instrument=code, then=Value(spec.remission_below))
            for code, spec in INSTRUMENTS.items()
            if spec.remission_below is not None
        ),
        default=None,
        output_field=IntegerField(),
    )


MEASURE_AGGREGATES = {
    "mean_score_change": "AVG(latest - baseline)",
    "score_patients": "COUNT(DISTINCT patient_id)",
    # Response: a reduction of at least half from a baseline above 0 (`treatment.measures.flags_from`).
    "response_rate": "AVG(CASE WHEN baseline > 0 AND 2 * latest <= baseline THEN 100.0 ELSE 0.0 END)",
    # Remission: below the instrument's threshold; objectives on an instrument without one are left out (null).
    "remission_rate": "AVG(CASE WHEN remission_below IS NULL THEN NULL "
    "WHEN latest < remission_below THEN 100.0 ELSE 0.0 END)",
    "remission_patients": "COUNT(DISTINCT CASE WHEN remission_below IS NOT NULL THEN patient_id END)",
}


def measure_figures(links: QuerySet[GoalIntervention], since: date, until: date) -> dict[uuid.UUID, MeasureFigures]:
    """The measure figures of `links` (the table's links of the period), by intervention id."""
    newest_first = ("-administered_on", "-created_at")
    in_period = _scores().filter(administered_on__gte=since, administered_on__lte=until)
    per_link = (
        links.exclude(goal__measure_instrument="")
        .filter(goal__measure_target_score__isnull=False)
        .filter(Exists(in_period))
        .values(
            "intervention_id",
            patient_id=F("goal__plan__patient_id"),
            latest=_first(in_period, *newest_first),
            baseline=Coalesce(
                F("goal__measure_baseline_score"),
                _first(_scores().filter(administered_on__lte=OuterRef("goal__plan__start_date")), *newest_first),
                _first(
                    _scores().filter(administered_on__gt=OuterRef("goal__plan__start_date")),
                    "administered_on",
                    "created_at",
                ),
            ),
            remission_below=_remission_below(),
        )
        .order_by()
    )
    return {
        key: MeasureFigures(**figures) for key, figures in grouped_by_intervention(per_link, MEASURE_AGGREGATES).items()
    }
