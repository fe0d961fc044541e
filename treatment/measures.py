"""How scores drive an objective: its baseline, progress and flags. Pure functions over scores in memory.

An objective driven by an instrument (`TreatmentGoal.measure_instrument`) takes its figures from the
patient's scores on it, not from progress ratings:

- **Baseline**: the objective's own `measure_baseline_score` if set; else the last score on or before the
  plan's start date (the nearest pre-treatment score: the issue's "first score on or before the start",
  read as the one closest to it, since an older score says less about where treatment began), else the
  first score after the start.
- **Progress**: `round(100 * (baseline - score) / (baseline - target))`, half up, clamped to 0-100. When
  the baseline equals the target there is no distance to cover: 100 once the score is at or below the
  target, else 0.
- **Flags** (from the latest score; null when the instrument has no rule, or before any score):
  `response` a reduction of at least 50% from a baseline above 0; `remission` a score below the
  instrument's remission threshold; `reliable_improvement` / `reliable_deterioration` a fall / rise of
  at least the instrument's reliable change index (NHS Talking Therapies: 6 on the PHQ-9, 4 on the
  GAD-7). The sources of each figure are in `treatment.instruments`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from treatment.instruments import Instrument
from treatment.progress import _round


@dataclass(frozen=True)
class Score:
    """One score as the rules read it: when (the practice's date, then the order it was recorded) and what."""

    administered_on: datetime.date
    order: datetime.datetime
    total: int


@dataclass(frozen=True)
class MeasureFlags:
    response: bool | None
    remission: bool | None
    reliable_improvement: bool | None
    reliable_deterioration: bool | None


NO_FLAGS = MeasureFlags(None, None, None, None)


@dataclass(frozen=True)
class ObjectiveFigures:
    """What the scores make of an objective: None everywhere until it has a score."""

    baseline: int | None
    score: int | None
    progress: int | None
    flags: MeasureFlags


def default_baseline(scores: Sequence[Score], plan_start: datetime.date) -> int | None:
    """The last score on or before the plan's start, else the first after it (None without scores)."""
    ordered = sorted(scores, key=lambda s: (s.administered_on, s.order))
    before = [s for s in ordered if s.administered_on <= plan_start]
    if before:
        return before[-1].total
    return ordered[0].total if ordered else None


def progress_from(baseline: int, target: int, score: int) -> int:
    """The objective's progress (0-100) for one score (the module's rule, baseline == target included)."""
    if baseline == target:
        reached = score <= target if target <= baseline else score >= target
        return 100 if reached else 0
    value = _round(Fraction(100 * (baseline - score), baseline - target))
    return max(0, min(100, value))


def flags_from(instrument: Instrument, baseline: int, score: int) -> MeasureFlags:
    change = baseline - score  # positive: fewer symptoms
    rci = instrument.reliable_change
    return MeasureFlags(
        # From a baseline of 0 there is nothing to halve: no response.
        response=baseline > 0 and 2 * change >= baseline,
        remission=None if instrument.remission_below is None else score < instrument.remission_below,
        reliable_improvement=None if rci is None else change >= rci,
        reliable_deterioration=None if rci is None else -change >= rci,
    )


def objective_figures(
    instrument: Instrument,
    scores: Sequence[Score],
    *,
    plan_start: datetime.date,
    baseline_score: int | None,
    target_score: int,
) -> ObjectiveFigures:
    """Baseline, latest score, progress and flags of an objective from the patient's scores on its instrument."""
    if not scores:
        return ObjectiveFigures(baseline_score, None, None, NO_FLAGS)
    latest = max(scores, key=lambda s: (s.administered_on, s.order)).total
    baseline = baseline_score if baseline_score is not None else default_baseline(scores, plan_start)
    if baseline is None:  # never: there are scores (typed for the checker)
        baseline = latest
    return ObjectiveFigures(
        baseline, latest, progress_from(baseline, target_score, latest), flags_from(instrument, baseline, latest)
    )
