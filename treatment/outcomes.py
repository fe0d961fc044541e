"""Outcomes by intervention across the caller's caseload: the selector the page, its CSV and the API read.

It lives in `treatment`, the lowest app that sees both halves: the goals, progress entries and measures are
treatment's, the library is `interventions` (which treatment may import); `reviews` above only links to it.

**Scope.** The patients `Patient.objects.visible_to(user)` gives, within the caller's practice: a therapist's
own caseload (primary therapist or care team), a supervisor's supervisees' patients and their own, a practice
admin's whole practice. Nothing crosses practices (an account with no practice sees nothing).

**Period.** `[since, until]`, whole days on the practice's calendar: from midnight at the start of `since` to
midnight at the end of `until` in the practice's time zone. Default: the twelve months up to today.

**Which links count.** A goal's link to an intervention (`GoalIntervention`) counts when it was made before
the period ended and the goal's plan was open for part of the period (started on or before `until`, not ended
before `since`). A goal linked to several interventions counts once for each.

**The figures**, per intervention:

- patients and goals: distinct patients and goals among its links;
- mean effectiveness rating: the mean of its links' 1-5 ratings (unrated links left out);
- mean progress change: over its goals that have a rated progress entry within the period, the goal's
  progress at the end of the period minus its progress at the start, in percentage points. A goal's progress
  at an instant is its latest rated entry recorded before that instant as a percentage
  (`treatment.progress.rating_to_percentage`, rating x 10), or 0 when it had none yet (a goal starts at 0);
- mean score change, response and remission rates: for objectives driven by a measure with a score in the
  period, from their scores (defined in `treatment.outcome_measures`).

**Small cells.** Each figure is computed from a set of patients; one computed from fewer than
`MINIMUM_CELL` distinct patients is suppressed (no value, `suppressed` set), and a row whose patient count is
below it has every figure suppressed, its patient count included, so the page cannot single out a client. A
figure no patient contributes to (no rated link, say) has no value and is not suppressed: there is nothing
to hide.

**Cost.** A fixed number of queries, whatever the number of interventions and patients: each group of
figures is one aggregate query grouped by intervention (`QUERIES`).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import models
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.audit import AuditContext, audit_aggregate
from accounts.models import Role, User
from interventions.models import Modality
from treatment import outcome_measures
from treatment.models import GoalIntervention, GoalProgress
from treatment.progress import rating_to_percentage

#: The fewest distinct patients a figure may be computed from and still be shown.
MINIMUM_CELL = 5
#: How the page and the CSV show a suppressed figure.
SUPPRESSED_TEXT = f"< {MINIMUM_CELL}"
#: The default period: this many months up to today on the practice's calendar.
DEFAULT_MONTHS = 12


class Scope(models.TextChoices):
    """Whose patients the figures cover (recorded in the audit trail; it names no person)."""

    CASELOAD = "caseload", "your caseload"
    SUPERVISEES = "caseload_and_supervisees", "your caseload and your supervisees' patients"
    PRACTICE = "practice", "the whole practice"


def scope_of(user: User) -> Scope:
    if user.role == Role.PRACTICE_ADMIN:
        return Scope.PRACTICE
    if user.role == Role.SUPERVISOR:
        return Scope.SUPERVISEES
    return Scope.CASELOAD


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last twelve months up to `today`: from the day after the same date a year ago, to today."""
    return today - relativedelta(months=DEFAULT_MONTHS) + datetime.timedelta(days=1), today


@dataclass(frozen=True)
class Figure:
    """One cell: its value, or None when it is suppressed (fewer than MINIMUM_CELL patients) or has no data."""

    value: float | int | None
    suppressed: bool

    @property
    def display(self) -> str:
        """The cell as the page and the CSV show it."""
        if self.suppressed:
            return SUPPRESSED_TEXT
        if self.value is None:
            return ""
        return f"{self.value:g}" if isinstance(self.value, float) else str(self.value)


HIDDEN = Figure(None, True)
NO_DATA = Figure(None, False)


def figure(value: float | int | Decimal | None, patients: int) -> Figure:
    """The cell for `value`, computed from `patients` distinct patients."""
    if patients == 0 or value is None:
        return NO_DATA
    if patients < MINIMUM_CELL:
        return HIDDEN
    return Figure(round(float(value), 1) if not isinstance(value, int) else value, False)


@dataclass(frozen=True)
class InterventionOutcome:
    """One row: an intervention and its figures across the scope's goals over the period."""

    intervention_id: uuid.UUID
    name: str
    modality: str
    is_system: bool
    #: Every figure hidden: the row's patients are fewer than MINIMUM_CELL.
    suppressed: bool
    patients: Figure
    goals: Figure
    #: Mean effectiveness rating (1-5) of its rated links.
    mean_rating: Figure
    #: Mean progress change over the period, in percentage points.
    mean_progress_change: Figure
    #: Mean score change (latest score in the period minus baseline; negative: fewer symptoms) of its
    #: measure-driven objectives.
    mean_score_change: Figure
    #: Percent of its measure-driven objectives at least halving their baseline by their latest score.
    response_rate: Figure
    #: Percent of its measure-driven objectives (on an instrument with a threshold) in remission at it.
    remission_rate: Figure

    @property
    def cells(self) -> tuple[Figure, ...]:
        """The figures in the table's order (`COLUMNS`)."""
        return tuple(getattr(self, key) for key, _ in COLUMNS)

    @property
    def modality_label(self) -> str:
        return str(Modality(self.modality).label) if self.modality in Modality.values else self.modality


#: The figures, by the key the page sorts on and the API and CSV name: (key, heading).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("patients", "Patients"),
    ("goals", "Goals"),
    ("mean_rating", "Mean rating (1-5)"),
    ("mean_progress_change", "Progress change (points)"),
    ("mean_score_change", "Score change"),
    ("response_rate", "Response (%)"),
    ("remission_rate", "Remission (%)"),
)
SORT_KEYS = ("intervention", *(key for key, _ in COLUMNS))
DEFAULT_SORT = "intervention"


@dataclass(frozen=True)
class OutcomesReport:
    """The table for one caller and period."""

    scope: str
    since: datetime.date
    until: datetime.date
    rows: tuple[InterventionOutcome, ...]
    minimum_cell: int = MINIMUM_CELL

    @property
    def scope_label(self) -> str:
        return str(Scope(self.scope).label)

    def sorted_by(self, sort: str) -> tuple[InterventionOutcome, ...]:
        """The rows by `sort` (a key of SORT_KEYS, `-` first for descending); cells without a value (suppressed
        or no data) come last either way, then by name. An unknown key sorts by name."""
        descending = sort.startswith("-")
        key = sort.removeprefix("-")
        by_name = sorted(self.rows, key=lambda row: (row.name.casefold(), str(row.intervention_id)))
        if key not in SORT_KEYS or key == "intervention":
            return tuple(reversed(by_name)) if descending and key == "intervention" else tuple(by_name)
        valued = [row for row in by_name if getattr(row, key).value is not None]
        empty = [row for row in by_name if getattr(row, key).value is None]
        valued.sort(key=lambda row: getattr(row, key).value, reverse=descending)  # stable: names stay in order
        return (*valued, *empty)


def scoped_links(user: User) -> QuerySet[GoalIntervention]:
    """Every goal-intervention link on a patient the user may see, within their practice."""
    if not (user.is_authenticated and user.practice_id):
        return GoalIntervention.objects.none()
    links = GoalIntervention.objects.visible_to(user)
    # `visible_to` keeps everyone but a superuser inside their practice already; a second join to the patient for
    # the same condition would only blur the planner's estimate of how few links a caseload has.
    return links.filter(goal__plan__patient__practice_id=user.practice_id) if user.is_superuser else links


def period_bounds(
    user: User, since: datetime.date, until: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """The period's first instant and the instant after it, on the practice's clock."""
    practice = user.practice
    assert practice is not None, "the table is of a practice (`scoped_links`)"
    zone = practice.zoneinfo
    start = datetime.datetime.combine(since, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return start, end


def links_in_period(
    user: User, since: datetime.date, until: datetime.date, end: datetime.datetime
) -> QuerySet[GoalIntervention]:
    """The scope's links that count for the period (made before it ended, their plan open for part of it)."""
    return scoped_links(user).filter(
        Q(goal__plan__actual_end_date__isnull=True) | Q(goal__plan__actual_end_date__gte=since),
        goal__plan__start_date__lte=until,
        created_at__lt=end,
    )


def _rated_before(instant: datetime.datetime) -> Subquery:
    """The rating of the goal's latest rated entry recorded before `instant`."""
    entries = GoalProgress.objects.filter(goal_id=OuterRef("goal_id"), rating__isnull=False, recorded_at__lt=instant)
    return Subquery(entries.order_by("-recorded_at", "-id").values("rating")[:1])


#: rating x 10 (`rating_to_percentage`), in SQL: the figure must agree with what the goal's bar shows.
PERCENT_PER_RATING = rating_to_percentage(1)


def _link_figures(links: QuerySet[GoalIntervention]) -> list[dict[str, Any]]:
    """Query 1: per intervention, its patients, goals and mean rating (with the patients that rating covers)."""
    rows = (
        links.values("intervention_id", "intervention__name", "intervention__modality", "intervention__is_system")
        .annotate(
            patients=Count("goal__plan__patient_id", distinct=True),
            goals=Count("goal_id", distinct=True),
            mean_rating=Avg("effectiveness_rating"),
            rated_patients=Count("goal__plan__patient_id", distinct=True, filter=Q(effectiveness_rating__isnull=False)),
        )
        .order_by()
    )
    return [dict(row) for row in rows]


PROGRESS_AGGREGATES = {
    "mean_change": f"AVG((end_rating - start_rating) * {PERCENT_PER_RATING})",
    "patients": "COUNT(DISTINCT patient_id)",
}


def _progress_figures(
    links: QuerySet[GoalIntervention], start: datetime.datetime, end: datetime.datetime
) -> dict[uuid.UUID, dict[str, Any]]:
    """Query 2: per intervention, the mean progress change of its goals rated within the period."""
    observed = GoalProgress.objects.filter(
        goal_id=OuterRef("goal_id"), rating__isnull=False, recorded_at__gte=start, recorded_at__lt=end
    )
    per_link = (
        links.filter(Exists(observed))
        .values(
            "intervention_id",
            patient_id=F("goal__plan__patient_id"),
            start_rating=Coalesce(_rated_before(start), Value(0)),
            end_rating=_rated_before(end),
        )
        .order_by()
    )
    return outcome_measures.grouped_by_intervention(per_link, PROGRESS_AGGREGATES)


#: The queries the table takes (one aggregate per group of figures), whatever the number of rows.
QUERIES = 2 + outcome_measures.QUERIES


def outcomes_by_intervention(user: User, *, since: datetime.date, until: datetime.date) -> OutcomesReport:
    """The table of outcomes by intervention for `user`'s scope over `[since, until]` (the caller checked
    `since <= until`), rows by intervention name."""
    scope = scope_of(user)
    if not (user.is_authenticated and user.practice_id):
        return OutcomesReport(scope=scope, since=since, until=until, rows=())
    start, end = period_bounds(user, since, until)
    links = links_in_period(user, since, until, end)
    counted = _link_figures(links)
    if not counted:
        return OutcomesReport(scope=scope, since=since, until=until, rows=())
    progress = _progress_figures(links, start, end)
    measures = outcome_measures.measure_figures(links, since, until)
    rows = [
        _row(row, progress.get(row["intervention_id"], {}), measures.get(row["intervention_id"], NO_MEASURES))
        for row in counted
    ]
    rows.sort(key=lambda r: (r.name.casefold(), str(r.intervention_id)))
    return OutcomesReport(scope=scope, since=since, until=until, rows=tuple(rows))


NO_MEASURES = outcome_measures.NO_MEASURES


def _row(
    counted: dict[str, Any], progress: dict[str, Any], measures: outcome_measures.MeasureFigures
) -> InterventionOutcome:
    patients = counted["patients"]
    suppressed = patients < MINIMUM_CELL
    figures: dict[str, Figure] = {
        "patients": figure(patients, patients),
        "goals": figure(counted["goals"], patients),
        "mean_rating": figure(counted["mean_rating"], counted["rated_patients"]),
        "mean_progress_change": figure(progress.get("mean_change"), progress.get("patients", 0)),
        "mean_score_change": figure(measures.mean_score_change, measures.score_patients),
        "response_rate": figure(measures.response_rate, measures.score_patients),
        "remission_rate": figure(measures.remission_rate, measures.remission_patients),
    }
    if suppressed:
        figures = dict.fromkeys(figures, HIDDEN)
    return InterventionOutcome(
        intervention_id=counted["intervention_id"],
        name=counted["intervention__name"],
        modality=counted["intervention__modality"],
        is_system=counted["intervention__is_system"],
        suppressed=suppressed,
        **figures,
    )


#: What the audit trail names the figures as (no model holds them: they are aggregates).
OBJECT_TYPE = "treatment.interventionoutcomes"


def audit_figures(ctx: AuditContext, action: str, report: OutcomesReport) -> None:
    """Record a read (`view`) or an export of the table: the scope, the period and the number of rows."""
    audit_aggregate(
        ctx,
        action,
        object_type=OBJECT_TYPE,
        changes={
            "scope": report.scope,
            "since": report.since.isoformat(),
            "until": report.until.isoformat(),
            "rows": len(report.rows),
        },
    )


def csv_rows(report: OutcomesReport, rows: Iterable[InterventionOutcome]) -> Iterable[list[str]]:
    """The CSV of the table: a header, then one line per row with suppressed cells as "< 5"."""
    yield ["Intervention", "Modality", "Library", *(heading for _, heading in COLUMNS)]
    for row in rows:
        yield [
            row.name,
            row.modality_label,
            "built-in" if row.is_system else "practice",
            *(getattr(row, key).display for key, _ in COLUMNS),
        ]
