"""A patient's scores as the pages and the progress report show them: each instrument's chart and table, and a
measure-driven objective's figures with its chart. They draw what `treatment.measure_selectors.patient_scores` read
(one query, however many goals or charts), through `treatment.charts.score_chart_svg`, so the plan page, the
patient page and the PDF show the same SVG.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString

from treatment.charts import SCORE_FLAGS, PlottedScore, score_chart_svg
from treatment.instruments import INSTRUMENTS, Instrument
from treatment.measure_selectors import ScorePoint
from treatment.measures import flags_from
from treatment.models import TreatmentGoal

#: The objective flags in the order a reader meets them (the keys of `SCORE_FLAGS` and `MeasureFlags`).
OBJECTIVE_FLAGS = ("response", "remission", "reliable_improvement", "reliable_deterioration")


@dataclass(frozen=True)
class ScoreRow:
    """One score in the chart's table: when, what, its band, and the flags it raised (in words)."""

    day: datetime.date
    score: int
    severity: str
    flags: tuple[str, ...]
    measurement_id: uuid.UUID


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


def _points(instrument: Instrument, scores: Sequence[ScorePoint], baseline: int | None) -> list[PlottedScore]:
    """Each score with the flags it raised: an objective flag where it first holds (or holds again), and the
    safety flag on every score that raised one."""
    points: list[PlottedScore] = []
    held = dict.fromkeys(OBJECTIVE_FLAGS, False)
    for score in scores:
        flags: list[str] = []
        if baseline is not None:
            now = flags_from(instrument, baseline, score.total_score)
            for name in OBJECTIVE_FLAGS:
                value = bool(getattr(now, name))
                if value and not held[name]:
                    flags.append(name)
                held[name] = value
        if score.safety_flag:
            flags.append("safety")
        points.append(PlottedScore(score.administered_on, score.total_score, tuple(flags)))
    return points


def score_chart(
    instrument: Instrument,
    scores: Sequence[ScorePoint],
    *,
    target: int | None = None,
    baseline: int | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    label: str = "",
    width: int = 560,
) -> ScoreChart:
    """The chart and table of `scores` (one instrument's, oldest first), within `start`..`end` if given."""
    kept = [
        s for s in scores if (start is None or s.administered_on >= start) and (end is None or s.administered_on <= end)
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
            day=score.administered_on,
            score=score.total_score,
            severity=score.severity,
            flags=tuple(SCORE_FLAGS[flag][1] for flag in point.flags),
            measurement_id=score.measurement_id,
        )
        for score, point in zip(kept, points, strict=True)
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
    scores: dict[str, list[ScorePoint]],
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
        scores.get(instrument.code, []),
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


def patient_charts(
    scores: dict[str, list[ScorePoint]],
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    width: int = 560,
) -> list[ScoreChart]:
    """One chart per instrument with scores (within `start`..`end` if given), in the registry's order."""
    charts = [
        score_chart(instrument, scores[code], start=start, end=end, width=width)
        for code, instrument in INSTRUMENTS.items()
        if code in scores
    ]
    return [chart for chart in charts if chart.rows]
