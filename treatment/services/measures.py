"""Recording a standardized measure, the safety flag it may raise, and the assessment that clears one.

**What a score moves.** A new measurement updates every objective driven by its instrument in the
patient's open plans (`treatment.measures` states the rules): the objective's `current_value`, its
progress (instead of the rating rule) and its flags; then each plan rolls up as any progress write does
(`plan_recalculate`). Achieved and discontinued objectives are not moved: their record is settled.

**The lock.** Those figures are derived from the plan's tree, so this is a plan write: it takes every
open plan of the patient (in pk order, the order `plans_follow_transfer` takes them, in one statement), then
the objectives it moves, before its first audit event. Two measurements of one patient queue behind each
other, and each sees the other's score (`tests/treatment/test_measure_concurrency.py`).

**Safety.** A measurement whose answers meet its instrument's safety rule (PHQ-9 item 9 above 0) raises
one `SafetyFlag` (one per measurement: a unique constraint) and sends `safety_flag_raised`; `reviews`
notifies the patient's clinician and their supervisor. A measurement that makes an objective newly reliably
worse than its baseline sends `measure_deteriorated`. `safety_assessment_record` clears every open flag of
the patient with a recorded assessment (who, when, note); the flags stay, as the history.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import Action, AuditContext, audit_record
from accounts.models import Patient, User
from accounts.validators import validate_clinical_date
from treatment.instruments import Instrument, instrument_for
from treatment.measures import NO_FLAGS, ObjectiveFigures, Score, objective_figures
from treatment.models import (
    GoalStatus,
    GoalType,
    Measurement,
    SafetyAssessment,
    SafetyFlag,
    SafetyFlagStatus,
    TherapySession,
    TreatmentGoal,
    TreatmentPlan,
)
from treatment.models.measure import ASSESSMENT_MAX_LENGTH
from treatment.models.plan import CLOSED_STATUSES
from treatment.signals import measure_deteriorated, safety_flag_raised

from .common import is_clinician, require_change
from .plans import plan_recalculate

#: What the scores make of an objective, kept on it (derived; never written by a client; read-only in admin).
MEASURE_FIGURE_FIELDS = (
    "measure_baseline_used",
    "measure_last_score",
    "measure_response",
    "measure_remission",
    "measure_reliable_improvement",
    "measure_reliable_deterioration",
)
#: Every field a score writes on an objective.
MEASURE_DERIVED_FIELDS = (
    *MEASURE_FIGURE_FIELDS,
    "current_value",
    "progress_percentage",
    "status",
)
#: Goal statuses whose record a score does not move.
SETTLED = (GoalStatus.ACHIEVED, GoalStatus.DISCONTINUED)
NO_ASSESSMENT_NOTE = "Write what the risk assessment found and what was done."
NOTHING_TO_CLEAR = "This patient has no open safety flag to clear."


def scores_of(patient_id, instrument_code: str) -> list[Score]:
    """The patient's scores on an instrument, oldest first (one query)."""
    return [
        Score(administered_on=day, order=created, total=total)
        for day, created, total in Measurement.objects.filter(patient_id=patient_id, instrument=instrument_code)
        .order_by("administered_on", "created_at")
        .values_list("administered_on", "created_at", "total_score")
    ]


def apply_figures(goal: TreatmentGoal, figures: ObjectiveFigures) -> None:
    """Write an objective's figures on it in memory (the caller saves): progress only once there is a score."""
    goal.measure_baseline_used = figures.baseline
    goal.measure_last_score = figures.score
    goal.measure_response = figures.flags.response
    goal.measure_remission = figures.flags.remission
    goal.measure_reliable_improvement = figures.flags.reliable_improvement
    goal.measure_reliable_deterioration = figures.flags.reliable_deterioration
    if figures.score is not None and figures.progress is not None:
        instrument = goal.measure
        goal.current_value = f"{figures.score} {instrument.short_name}" if instrument else str(figures.score)
        goal.progress_percentage = figures.progress
        if goal.status == GoalStatus.NOT_STARTED:
            goal.status = GoalStatus.IN_PROGRESS


def objective_refresh(goal: TreatmentGoal, plan: TreatmentPlan, scores: list[Score] | None = None) -> None:
    """Recompute a measure-driven objective's figures from the patient's scores (in memory; the caller saves).

    For a goal whose measure was just set or changed (`goal_add`, `goal_update`, under the plan's lock); an
    objective without a measure has its derived fields emptied.
    """
    instrument = goal.measure
    if instrument is None or goal.measure_target_score is None:
        apply_figures(goal, ObjectiveFigures(None, None, None, NO_FLAGS))
        return
    if goal.status in SETTLED:
        return
    if scores is None:
        scores = scores_of(plan.patient_id, instrument.code)
    apply_figures(
        goal,
        objective_figures(
            instrument,
            scores,
            plan_start=plan.start_date,
            baseline_score=goal.measure_baseline_score,
            target_score=goal.measure_target_score,
        ),
    )


def _check_answers_and_date(
    instrument: Instrument,
    answers: object,
    patient: Patient,
    administered_on: datetime.date | None,
    session: TherapySession | None,
) -> tuple[list[int], datetime.date]:
    errors: dict[str, list[str]] = {}
    cleaned: list[int] = []
    try:
        cleaned = instrument.validate(answers)
    except ValidationError as error:
        errors.update(error.message_dict)
    if session is not None and session.patient_id != patient.pk:
        errors["session_id"] = ["This session is another patient's."]
    today = patient.practice.today()
    if administered_on is None:
        administered_on = session.session_date if session is not None else today
    try:
        validate_clinical_date(administered_on)
    except ValidationError as error:
        errors["administered_on"] = error.messages
    else:
        if administered_on > today:
            errors["administered_on"] = ["A measure cannot be administered in the future."]
    if errors:
        raise ValidationError(errors)
    return cleaned, administered_on


def _administrator(by: AuditContext, patient: Patient, session: TherapySession | None) -> User:
    # System work (an import, the demo) records in the name of the clinician who held the session.
    person = by.user or (session.therapist if session is not None else patient.primary_therapist)
    if person is None:
        raise ValidationError({"administered_by": "A measure is recorded in a clinician's name."})
    return person


def _lock_open_plans(patient: Patient) -> list[TreatmentPlan]:
    """Every open plan of the patient, locked in pk order in one statement (the plan lock, for each)."""
    return list(
        TreatmentPlan.objects.select_for_update(of=("self",))
        .filter(patient_id=patient.pk)
        .exclude(status__in=CLOSED_STATUSES)
        .order_by("pk")
    )


@transaction.atomic
def measurement_record(
    *,
    by: AuditContext,
    patient: Patient,
    instrument: str,
    answers: object,
    administered_on: datetime.date | None = None,
    session: TherapySession | None = None,
) -> Measurement:
    """Score and store one administration of `instrument`; raise its safety flag; move the objectives it drives.

    A ValidationError names `instrument`, `answers` (not a list, or the wrong count), each `answers[i]`
    out of range, `session_id` (another patient's) or `administered_on` (in the future); nothing is written.
    """
    spec = instrument_for(instrument)
    require_change(by, patient)
    cleaned, day = _check_answers_and_date(spec, answers, patient, administered_on, session)
    administered_by = _administrator(by, patient, session)

    # Every lock before the first audit event (audit last): the plans, then the objectives this score moves.
    plans = {plan.pk: plan for plan in _lock_open_plans(patient)}
    goals = (
        list(
            TreatmentGoal.objects.select_for_update()
            .filter(plan_id__in=plans, goal_type=GoalType.OBJECTIVE, measure_instrument=spec.code)
            .exclude(status__in=SETTLED)
            .order_by("pk")
        )
        if plans
        else []
    )

    total = spec.score(cleaned)
    measurement = Measurement(
        patient=patient,
        instrument=spec.code,
        answers=cleaned,
        total_score=total,
        severity=spec.severity(total),
        safety_flag=spec.safety_flag(cleaned),
        administered_on=day,
        session=session,
        administered_by=administered_by,
    )
    measurement.full_clean(exclude=["patient", "session", "administered_by"], validate_constraints=False)
    measurement.save()
    audit_record(
        by,
        Action.CREATE,
        measurement,
        patient=patient,
        changes={
            "instrument": [None, spec.code],
            "answers": [None, cleaned],
            "total_score": [None, total],
            "severity": [None, measurement.severity],
            "safety_flag": [None, measurement.safety_flag],
            "administered_on": [None, day.isoformat()],
            "session": [None, str(session.pk) if session is not None else None],
        },
    )
    if measurement.safety_flag:
        _raise_flag(by, measurement, spec)

    deteriorated = _move_objectives(measurement, spec, plans, goals)
    if deteriorated:
        measure_deteriorated.send(sender=Measurement, by=by, measurement=measurement, goals=deteriorated)
    return measurement


def _raise_flag(by: AuditContext, measurement: Measurement, spec: Instrument) -> SafetyFlag:
    reason = "; ".join(rule.reason for rule in spec.safety_rules if measurement.answers[rule.item - 1] > rule.above)
    flag = SafetyFlag.objects.create(patient=measurement.patient, measurement=measurement, reason=reason[:200])
    audit_record(
        by,
        Action.CREATE,
        flag,
        patient=measurement.patient,
        changes={"measurement": [None, str(measurement.pk)], "status": [None, flag.status], "reason": [None, reason]},
    )
    safety_flag_raised.send(sender=SafetyFlag, by=by, flag=flag, measurement=measurement)
    return flag


def _move_objectives(
    measurement: Measurement, spec: Instrument, plans: dict, goals: list[TreatmentGoal]
) -> list[TreatmentGoal]:
    """Update the driven objectives and roll their plans up; returns those newly reliably deteriorated by
    this score (only when it is the latest: a backdated score changes no current figure's meaning)."""
    if not goals:
        return []
    scores = scores_of(measurement.patient_id, spec.code)
    is_latest = scores[-1].order == measurement.created_at
    deteriorated: list[TreatmentGoal] = []
    by_plan: dict[object, list[TreatmentGoal]] = defaultdict(list)
    for goal in goals:
        was = goal.measure_reliable_deterioration
        objective_refresh(goal, plans[goal.plan_id], scores)
        if is_latest and goal.measure_reliable_deterioration and not was:
            deteriorated.append(goal)
        by_plan[goal.plan_id].append(goal)
    TreatmentGoal.objects.bulk_update(goals, MEASURE_DERIVED_FIELDS)
    for plan_id in by_plan:
        plan_recalculate(plans[plan_id])
    for goal in deteriorated:
        goal.plan = plans[goal.plan_id]
    return deteriorated


@transaction.atomic
def safety_assessment_record(*, by: AuditContext, patient: Patient, note: str) -> SafetyAssessment:
    """Record a clinician's risk assessment and clear every open safety flag of the patient with it.

    The flags stay (cleared, with who, when and the assessment): the history of a risk is never removed.
    A ValidationError names `note` (empty or too long) or `flags` (nothing open to clear).
    """
    require_change(by, patient)
    if by.user is None:
        raise ValidationError({"assessed_by": "A risk assessment is recorded by the clinician who made it."})
    if not is_clinician(by.user):
        raise PermissionDenied("A risk assessment is recorded by a clinician.")
    text = (note or "").strip() if isinstance(note, str) else ""
    if not text:
        raise ValidationError({"note": NO_ASSESSMENT_NOTE})
    if len(text) > ASSESSMENT_MAX_LENGTH:
        raise ValidationError(
            {"note": f"A note is at most {ASSESSMENT_MAX_LENGTH} characters; this one is {len(text)}."}
        )
    # The flags' rows first (a concurrent assessment waits here, then finds nothing open), before any audit event.
    flags = list(SafetyFlag.objects.select_for_update().filter(patient=patient).open().order_by("pk"))
    if not flags:
        raise ValidationError({"flags": NOTHING_TO_CLEAR})
    assessment = SafetyAssessment(patient=patient, note=text, assessed_by=by.user)
    assessment.full_clean(exclude=["patient", "assessed_by"], validate_constraints=False)
    assessment.save()
    now = timezone.now()
    for flag in flags:
        flag.status, flag.cleared_by, flag.cleared_at, flag.assessment = (
            SafetyFlagStatus.CLEARED,
            by.user,
            now,
            assessment,
        )
        flag.save(update_fields=["status", "cleared_by", "cleared_at", "assessment"])
    audit_record(
        by,
        Action.CREATE,
        assessment,
        patient=patient,
        changes={"note": [None, text], "cleared_flags": [None, [str(f.pk) for f in flags]]},
    )
    for flag in flags:
        audit_record(
            by,
            Action.UPDATE,
            flag,
            patient=patient,
            changes={
                "status": [SafetyFlagStatus.OPEN, SafetyFlagStatus.CLEARED],
                "assessment": [None, str(assessment.pk)],
            },
        )
    return assessment
