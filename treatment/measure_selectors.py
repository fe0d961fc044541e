"""Reads of measurement-based care, as dataclasses: what is due, a patient's scores, their safety flags.

**Cadence.** A plan administers the instruments of its measure-driven objectives (not discontinued) and those
in its own `measure_instruments` list. One is due when it was never given to the patient, or when the plan's
cadence has passed since it last was: `measure_every_sessions` sessions of the plan after that day, or
`measure_every_days` days (each null on the plan: the practice's setting), whichever comes first. A measure
given on a session's day counts as given at that session.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Max

from treatment.instruments import INSTRUMENTS
from treatment.models import (
    GoalStatus,
    GoalType,
    Measurement,
    SafetyFlag,
    SafetyFlagStatus,
    TherapySession,
    TreatmentGoal,
    TreatmentPlan,
)


@dataclass(frozen=True)
class Cadence:
    every_sessions: int
    every_days: int


@dataclass(frozen=True)
class MeasureDue:
    """One instrument of a plan and where it stands against the plan's cadence."""

    plan_id: uuid.UUID
    patient_id: uuid.UUID
    instrument: str
    short_name: str
    last_administered_on: datetime.date | None
    days_since: int | None
    sessions_since: int
    due: bool
    #: Why it is due, for the page ("" when it is not).
    reason: str


def plan_cadence(plan: TreatmentPlan) -> Cadence:
    practice = plan.patient.practice
    return Cadence(
        every_sessions=plan.measure_every_sessions or practice.measure_every_sessions,
        every_days=plan.measure_every_days or practice.measure_every_days,
    )


def _plan_instruments(plans: Sequence[TreatmentPlan]) -> dict[uuid.UUID, list[str]]:
    """Each plan's instruments in the registry's order: its own list and its objectives' (one query)."""
    wanted: dict[uuid.UUID, set[str]] = {plan.pk: set(plan.measure_instruments or ()) for plan in plans}
    driven = (
        TreatmentGoal.objects.filter(plan__in=[p.pk for p in plans], goal_type=GoalType.OBJECTIVE)
        .exclude(measure_instrument="")
        .exclude(status=GoalStatus.DISCONTINUED)
        .values_list("plan_id", "measure_instrument")
        .distinct()
    )
    for plan_id, code in driven:
        wanted[plan_id].add(code)
    return {plan_id: [code for code in INSTRUMENTS if code in codes] for plan_id, codes in wanted.items()}


def measures_due_for_plans(
    plans: Sequence[TreatmentPlan], today: datetime.date | None = None
) -> dict[uuid.UUID, list[MeasureDue]]:
    """For each plan (patient and practice loaded), its instruments and whether each is due: three queries in all,
    however many plans (one when none of them administers an instrument). `today` is each practice's own date
    unless given."""
    if not plans:
        return {}
    instruments = _plan_instruments(plans)
    if not any(instruments.values()):
        return {plan.pk: [] for plan in plans}
    patients = {plan.patient_id for plan in plans}
    last: dict[tuple[uuid.UUID, str], datetime.date] = {
        (row["patient_id"], row["instrument"]): row["last"]
        for row in Measurement.objects.filter(patient_id__in=patients)
        .values("patient_id", "instrument")
        .annotate(last=Max("administered_on"))
        .order_by()
    }
    sessions: dict[uuid.UUID, list[datetime.date]] = defaultdict(list)
    for plan_id, day in TherapySession.objects.filter(plan__in=[p.pk for p in plans]).values_list(
        "plan_id", "session_date"
    ):
        sessions[plan_id].append(day)
    answer: dict[uuid.UUID, list[MeasureDue]] = {}
    for plan in plans:
        cadence = plan_cadence(plan)
        day = today or plan.patient.practice.today()
        rows = []
        for code in instruments[plan.pk]:
            given = last.get((plan.patient_id, code))
            rows.append(_due(plan, code, given, sessions[plan.pk], cadence, day))
        answer[plan.pk] = rows
    return answer


def _due(
    plan: TreatmentPlan,
    code: str,
    given: datetime.date | None,
    session_days: list[datetime.date],
    cadence: Cadence,
    today: datetime.date,
) -> MeasureDue:
    name = INSTRUMENTS[code].short_name
    if given is None:
        days = None
        since = len(session_days)
        reason = f"{name} not yet given"
    else:
        days = (today - given).days
        since = sum(1 for d in session_days if d > given)
        if since >= cadence.every_sessions:
            reason = (
                f"{since} session{'s' if since != 1 else ''} since the last {name} (every {cadence.every_sessions})"
            )
        elif days >= cadence.every_days:
            reason = f"{days} days since the last {name} (every {cadence.every_days})"
        else:
            reason = ""
    return MeasureDue(
        plan_id=plan.pk,
        patient_id=plan.patient_id,
        instrument=code,
        short_name=name,
        last_administered_on=given,
        days_since=days,
        sessions_since=since,
        due=bool(reason),
        reason=reason,
    )


def measures_due(plan: TreatmentPlan, today: datetime.date | None = None) -> list[MeasureDue]:
    """One plan's instruments and whether each is due (the session and plan pages)."""
    return measures_due_for_plans([plan], today)[plan.pk]


@dataclass(frozen=True)
class DuePlan:
    """A plan of the dashboard with the measures due on it."""

    plan: TreatmentPlan
    due: list[MeasureDue]


def plans_with_measures_due(plans: Sequence[TreatmentPlan], today: datetime.date | None = None) -> list[DuePlan]:
    """The plans (already narrowed to the caller's) with at least one measure due, in the order given."""
    by_plan = measures_due_for_plans(plans, today)
    rows = [DuePlan(plan=plan, due=[m for m in by_plan[plan.pk] if m.due]) for plan in plans]
    return [row for row in rows if row.due]


# --- scores --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorePoint:
    """One score of a series (a chart's point)."""

    measurement_id: uuid.UUID
    administered_on: datetime.date
    total_score: int
    severity: str
    safety_flag: bool


def patient_scores(patient_id: uuid.UUID) -> dict[str, list[ScorePoint]]:
    """A patient's scores by instrument (registry order), each oldest first, in one query. The caller has
    already found the patient among those the user may view."""
    series: dict[str, list[ScorePoint]] = {}
    rows = (
        Measurement.objects.filter(patient_id=patient_id)
        .order_by("administered_on", "created_at")
        .values_list("id", "instrument", "administered_on", "total_score", "severity", "safety_flag")
    )
    for pk, code, day, total, severity, flag in rows:
        series.setdefault(code, []).append(ScorePoint(pk, day, total, severity, flag))
    return {code: series[code] for code in INSTRUMENTS if code in series}


@dataclass(frozen=True)
class SessionMeasurement:
    """A measure administered in a session, as the session's read-back lists it (each links to its result)."""

    id: uuid.UUID
    instrument_name: str
    total_score: int
    max_score: int
    severity: str
    safety_flag: bool


def session_measurements(session_id: uuid.UUID) -> list[SessionMeasurement]:
    """The measures given in a session, in the order entered (one query). The caller has already found the session
    among those the user may view."""
    rows = (
        Measurement.objects.filter(session_id=session_id)
        .order_by("created_at", "id")
        .values_list("id", "instrument", "total_score", "severity", "safety_flag")
    )
    return [
        SessionMeasurement(pk, INSTRUMENTS[code].short_name, total, INSTRUMENTS[code].max_score, severity, flag)
        for pk, code, total, severity, flag in rows
    ]


# --- safety --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagRow:
    """A safety flag and what became of it."""

    id: uuid.UUID
    instrument: str
    #: The measurement that raised it (one flag per measurement): the banner and the history link to it.
    measurement_id: uuid.UUID
    instrument_name: str
    total_score: int
    administered_on: datetime.date
    reason: str
    raised_at: datetime.datetime
    is_open: bool
    cleared_by: str
    cleared_at: datetime.datetime | None
    assessment_note: str


@dataclass(frozen=True)
class SafetyState:
    """A patient's safety flags: the open ones (the banner) and every one ever raised (the history), oldest first."""

    open: list[FlagRow]
    history: list[FlagRow]


def patient_safety(patient_id: uuid.UUID) -> SafetyState:
    """One query. The caller has already found the patient among those the user may view."""
    flags = (
        SafetyFlag.objects.filter(patient_id=patient_id)
        .select_related("measurement", "cleared_by", "assessment")
        .order_by("raised_at", "id")
    )
    rows = [
        FlagRow(
            id=flag.pk,
            instrument=flag.measurement.instrument,
            measurement_id=flag.measurement_id,
            instrument_name=INSTRUMENTS[flag.measurement.instrument].short_name,
            total_score=flag.measurement.total_score,
            administered_on=flag.measurement.administered_on,
            reason=flag.reason,
            raised_at=flag.raised_at,
            is_open=flag.status == SafetyFlagStatus.OPEN,
            cleared_by=(flag.cleared_by.get_full_name() or flag.cleared_by.email) if flag.cleared_by else "",
            cleared_at=flag.cleared_at,
            assessment_note=flag.assessment.note if flag.assessment else "",
        )
        for flag in flags
    ]
    return SafetyState(open=[r for r in rows if r.is_open], history=rows)
