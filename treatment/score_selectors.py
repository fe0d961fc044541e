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

from django.db.models import QuerySet
from django.utils.safestring import SafeString

from accounts.models import Patient
from treatment.charts import SCORE_FLAGS, ScorePoint, score_chart_svg
from treatment.instruments import INSTRUMENTS, Instrument
from treatment.measures import flags_from
from treatment.models import Measurement, SafetyFlag, SafetyFlagStatus, TreatmentGoal

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


def objective_chart(
    goal: TreatmentGoal,
    measurements: dict[str, list[Measurement]],
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    label: str = "",
    width: int = 560,
) -> ScoreChart | None:
    """The chart of the instrument driving `goal` with its target and baseline; None for a goal driven by none."""
    instrument = INSTRUMENTS.get(goal.measure_instrument) if goal.measure_instrument else None
    if instrument is None:
        return None
    return score_chart(
        instrument,
        measurements.get(instrument.code, []),
        target=goal.measure_target_score,
        baseline=objective_baseline(goal),
        start=start,
        end=end,
        label=label or f"{instrument.short_name} scores of the objective “{goal.description[:60]}”",
        width=width,
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
