"""What the pages and the progress report read of a patient's scores: each instrument's chart and table, and the
safety flags with their history. One query for the scores and one for the flags, however many goals or charts.

The chart (`treatment.charts.score_chart_svg`) is drawn here once per instrument or objective, so the plan page,
the patient page and the PDF show the same SVG.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Max, QuerySet
from django.template.defaultfilters import pluralize
from django.utils.formats import date_format
from django.utils.safestring import SafeString

from accounts.models import Patient
from treatment.charts import SCORE_FLAGS, ScorePoint, score_chart_svg
from treatment.instruments import INSTRUMENTS, Instrument
from treatment.measures import flags_from
from treatment.models import (
    GoalStatus,
    Measurement,
    SafetyFlag,
    SafetyFlagStatus,
    TherapySession,
    TreatmentGoal,
    TreatmentPlan,
)

#: The objective flags in the order a reader meets them (the keys of `SCORE_FLAGS` and `MeasureFlags`).
OBJECTIVE_FLAGS = ("response", "remission", "reliable_improvement", "reliable_deterioration")


@dataclass(frozen=True)
class ScoreRow:
    """One score in the chart's table: when, what, its band, and the flags it raised (in words)."""

    day: datetime.date
    score: int
    severity: str
    flags: tuple[str, ...]
    measurement_id: object


@dataclass(frozen=True)
class ScoreChart:
    """An instrument's scores as a chart and as a table (its text alternative), with the target drawn."""

    instrument: Instrument
    svg: SafeString
    rows: tuple[ScoreRow, ...]
    target: int | None = None
    baseline: int | None = None

    @property
    def latest(self) -> ScoreRow | None:
        return self.rows[-1] if self.rows else None


def measurements_of(patient_id: object) -> QuerySet[Measurement]:
    """The patient's measurements, oldest first (callers on a user's behalf narrow it with `restrict`)."""
    return Measurement.objects.filter(patient_id=patient_id).order_by("administered_on", "created_at")


def measurements_by_instrument(rows: Iterable[Measurement]) -> dict[str, list[Measurement]]:
    """Measurements (oldest first) per instrument code, read in one pass of one query."""
    grouped: dict[str, list[Measurement]] = defaultdict(list)
    for measurement in rows:
        grouped[measurement.instrument].append(measurement)
    return dict(grouped)


def _points(instrument: Instrument, measurements: Sequence[Measurement], baseline: int | None) -> list[ScorePoint]:
    """Each score with the flags it raised: an objective flag where it first holds (or holds again), and the
    safety flag on every score that raised one."""
    points, held = [], dict.fromkeys(OBJECTIVE_FLAGS, False)
    for measurement in measurements:
        flags: list[str] = []
        if baseline is not None:
            now = flags_from(instrument, baseline, measurement.total_score)
            for name in OBJECTIVE_FLAGS:
                value = bool(getattr(now, name))
                if value and not held[name]:
                    flags.append(name)
                held[name] = value
        if measurement.safety_flag:
            flags.append("safety")
        points.append(ScorePoint(measurement.administered_on, measurement.total_score, tuple(flags)))
    return points


def score_chart(
    instrument: Instrument,
    measurements: Sequence[Measurement],
    *,
    target: int | None = None,
    baseline: int | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    label: str = "",
    width: int = 560,
) -> ScoreChart:
    """The chart and table of `measurements` (one instrument's, oldest first), within `start`..`end` if given."""
    kept = [
        m
        for m in measurements
        if (start is None or m.administered_on >= start) and (end is None or m.administered_on <= end)
    ]
    points = _points(instrument, kept, baseline)
    svg = score_chart_svg(
        points,
        label=label or f"{instrument.short_name} scores",
        minimum=instrument.min_score,
        maximum=instrument.max_score,
        bands=instrument.bands,
        target=target,
        baseline=baseline,
        start=start,
        end=end,
        width=width,
    )
    rows = tuple(
        ScoreRow(
            day=m.administered_on,
            score=m.total_score,
            severity=m.severity,
            flags=tuple(SCORE_FLAGS[flag][1] for flag in point.flags),
            measurement_id=m.pk,
        )
        for m, point in zip(kept, points, strict=True)
    )
    return ScoreChart(instrument=instrument, svg=svg, rows=rows, target=target, baseline=baseline)


def objective_baseline(goal: TreatmentGoal) -> int | None:
    """The baseline the objective's progress is computed from (its own, or the one the last score used)."""
    if goal.measure_baseline_score is not None:
        return goal.measure_baseline_score
    return goal.measure_baseline_used


#: How the goal card and the report name the objective flags that hold now.
FLAG_LABELS = {
    "response": "Response",
    "remission": "Remission",
    "reliable_improvement": "Reliable improvement",
    "reliable_deterioration": "Reliable deterioration",
}


@dataclass(frozen=True)
class ObjectiveMeasure:
    """An objective driven by an instrument: its baseline, target and current score, the flags that hold, its chart."""

    instrument: Instrument
    baseline: int | None
    target: int | None
    current: int | None
    #: (key, label) of each flag that holds after the latest score (`FLAG_LABELS`).
    flags: tuple[tuple[str, str], ...]
    chart: ScoreChart


def objective_measure(
    goal: TreatmentGoal,
    measurements: dict[str, list[Measurement]],
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    label: str = "",
    width: int = 560,
) -> ObjectiveMeasure | None:
    """What the goal card shows of the instrument driving `goal`; None for a goal driven by none."""
    instrument = INSTRUMENTS.get(goal.measure_instrument) if goal.measure_instrument else None
    if instrument is None:
        return None
    baseline = objective_baseline(goal)
    chart = score_chart(
        instrument,
        measurements.get(instrument.code, []),
        target=goal.measure_target_score,
        baseline=baseline,
        start=start,
        end=end,
        label=label or f"{instrument.short_name} scores of the objective “{goal.description[:60]}”",
        width=width,
    )
    flags = tuple((key, text) for key, text in FLAG_LABELS.items() if getattr(goal, f"measure_{key}"))
    return ObjectiveMeasure(
        instrument=instrument,
        baseline=baseline,
        target=goal.measure_target_score,
        current=goal.measure_last_score,
        flags=flags,
        chart=chart,
    )


def patient_charts(measurements: dict[str, list[Measurement]]) -> list[ScoreChart]:
    """One chart per instrument the patient has scores on, in the registry's order."""
    return [
        score_chart(instrument, measurements[code]) for code, instrument in INSTRUMENTS.items() if code in measurements
    ]


@dataclass(frozen=True)
class SafetyState:
    """A patient's safety flags: the open ones (a banner until assessed) and every flag, newest first."""

    open: tuple[SafetyFlag, ...]
    history: tuple[SafetyFlag, ...]


def safety_state(patient: Patient, flags: Iterable[SafetyFlag] | None = None) -> SafetyState:
    """The patient's safety flags with their measurement and the assessment that cleared them (one query)."""
    rows = list(
        flags
        if flags is not None
        else SafetyFlag.objects.filter(patient_id=patient.pk)
        .select_related("measurement__administered_by", "assessment__assessed_by", "cleared_by")
        .order_by("-raised_at", "-id")
    )
    return SafetyState(open=tuple(flag for flag in rows if flag.status == SafetyFlagStatus.OPEN), history=tuple(rows))


def plan_instrument_codes(plan: TreatmentPlan, goals: Iterable[TreatmentGoal]) -> list[str]:
    """The instruments a plan administers: its own list and its open objectives' (`goals`: the plan's, read
    already), in the registry's order."""
    settled = (GoalStatus.ACHIEVED, GoalStatus.DISCONTINUED)
    driving = {goal.measure_instrument for goal in goals if goal.measure_instrument and goal.status not in settled}
    wanted = driving | set(plan.measure_instruments or [])
    return [code for code in INSTRUMENTS if code in wanted]


def measure_due_reason(
    *, last_given: datetime.date | None, sessions_since: int, every_sessions: int, every_days: int, today: datetime.date
) -> str:
    """Why an instrument is due in the session being recorded ("" when it is not): never given, or this session is
    the `every_sessions`-th since it last was (every 4: sessions 1, 5, 9), or `every_days` days have passed,
    whichever comes first. `sessions_since` counts the sessions recorded after the day it was last given."""
    if last_given is None:
        return "not given yet"
    days = (today - last_given).days
    if sessions_since + 1 >= every_sessions:
        return (
            f"last given {date_format(last_given)}, {sessions_since} session{pluralize(sessions_since)} ago; "
            f"due every {every_sessions} sessions"
        )
    if days >= every_days:
        return f"last given {date_format(last_given)}, {days} days ago; due every {every_days} days"
    return ""


def session_instruments(plan: TreatmentPlan, goals: Iterable[TreatmentGoal]) -> list[tuple[Instrument, str]]:
    """The plan's instruments for the session page, each with why its cadence says it is due ("" if not yet).

    The cadence is the plan's (`measure_every_sessions` / `measure_every_days`), else the practice's. No query
    for a plan without instruments; else two: the last time each was given to the patient, the plan's sessions.
    """
    codes = plan_instrument_codes(plan, goals)
    if not codes:
        return []
    practice = plan.patient.practice
    every_sessions = plan.measure_every_sessions or practice.measure_every_sessions
    every_days = plan.measure_every_days or practice.measure_every_days
    last_given = dict(
        Measurement.objects.filter(patient_id=plan.patient_id, instrument__in=codes)
        .values_list("instrument")
        .annotate(last=Max("administered_on"))
        .order_by()
    )
    dates = list(TherapySession.objects.filter(plan_id=plan.pk).values_list("session_date", flat=True))
    today = practice.today()
    return [
        (
            INSTRUMENTS[code],
            measure_due_reason(
                last_given=last_given.get(code),
                sessions_since=sum(1 for day in dates if last_given.get(code) and day > last_given[code]),
                every_sessions=every_sessions,
                every_days=every_days,
                today=today,
            ),
        )
        for code in codes
    ]
