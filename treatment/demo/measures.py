"""Demo scores: months of PHQ-9, GAD-7 and PCL-5 for the demo patients, one objective per plan driven by a
measure, and one open safety flag (after an earlier one cleared by a recorded assessment).

Consistent with each plan: a plan whose long-term goal is measured by an instrument ("15 -> 5 GAD-7") gives that
instrument at intake, every fourth session and the last, its totals moving from the goal's baseline towards its
target as far as the goal got; a plan without one takes the PHQ-9 (the GAD-7 for an anxiety diagnosis). The other
of PHQ-9 / GAD-7 is given at intake and at the last session. Everything goes through `treatment.services`, in
the therapist's name. Idempotent: a patient who already has a measurement is left alone.
"""

from __future__ import annotations

import dataclasses
import random

from accounts.audit import AuditContext
from accounts.models import Patient
from treatment import services
from treatment.instruments import GAD7, INSTRUMENTS, PHQ9, Instrument
from treatment.models import GoalStatus, GoalType, Measurement, TherapySession, TreatmentGoal, TreatmentPlan

#: The patient whose latest PHQ-9 raises the open safety flag (an earlier one was assessed and cleared).
FLAGGED = "RCC-1002"
ASSESSMENT_NOTE = (
    "Risk assessed in session: passive thoughts of death on several days, no plan or intent, protective factors "
    "(children, work) named. Safety plan written together; crisis line numbers given. Re-ask at every session."
)


def _answers(rng: random.Random, instrument: Instrument, total: int, item9: int = 0) -> list[int]:
    """Answers summing to `total` (clamped to the range), spread at random; PHQ-9 item 9 as given."""
    top = max(instrument.values)
    count = len(instrument.items)
    answers = [0] * count
    fixed = {8: item9} if instrument is PHQ9 else {}
    for index, value in fixed.items():
        answers[index] = value
    free = [i for i in range(count) if i not in fixed]
    remaining = max(0, min(total, top * len(free) + sum(fixed.values())) - sum(fixed.values()))
    while remaining:
        index = rng.choice([i for i in free if answers[i] < top])
        answers[index] += 1
        remaining -= 1
    return answers


def _measured_goal(goals: list[TreatmentGoal]) -> tuple[TreatmentGoal | None, Instrument | None, int, int]:
    """The long-term goal measured by an instrument ("15 -> 5 GAD-7"), its instrument, baseline and target."""
    for goal in goals:
        if goal.goal_type != GoalType.LONG_TERM:
            continue
        for instrument in INSTRUMENTS.values():
            if goal.target_value.endswith(f" {instrument.short_name}"):
                return goal, instrument, int(goal.baseline_value.split()[0]), int(goal.target_value.split()[0])
    return None, None, 0, 0


def _driven_objective(goals: list[TreatmentGoal], under: TreatmentGoal | None) -> TreatmentGoal | None:
    """The first open objective under the measured long-term goal (else in the plan)."""
    by_id = {goal.pk: goal for goal in goals}

    def root(goal: TreatmentGoal) -> TreatmentGoal:
        while goal.parent_goal_id is not None:
            goal = by_id[goal.parent_goal_id]
        return goal

    open_ = [
        g
        for g in goals
        if g.goal_type == GoalType.OBJECTIVE and g.status not in (GoalStatus.ACHIEVED, GoalStatus.DISCONTINUED)
    ]
    preferred = [g for g in open_ if under is not None and root(g).pk == under.pk]
    candidates = preferred or open_
    return candidates[0] if candidates else None


def seed_measures(by: AuditContext, patients: dict[str, Patient]) -> list[Measurement]:
    """Give each demo patient with a plan their scores (see the module docstring); returns those created."""
    created: list[Measurement] = []
    for mrn, patient in patients.items():
        if Measurement.objects.filter(patient=patient).exists():
            continue
        for plan in TreatmentPlan.objects.filter(patient=patient).select_related("patient__practice", "therapist"):
            acting = dataclasses.replace(by, user=plan.therapist)
            created += _seed_plan_measures(acting, patient, plan, random.Random(f"measures-{mrn}"), mrn == FLAGGED)  # noqa: S311
    return created


def _seed_plan_measures(
    by: AuditContext, patient: Patient, plan: TreatmentPlan, rng: random.Random, flagged: bool
) -> list[Measurement]:
    goals = list(TreatmentGoal.objects.filter(plan=plan).order_by("created_at"))
    long_term, instrument, baseline, target = _measured_goal(goals)
    if instrument is None:
        anxious = any(d.get("code", "").startswith(("F40", "F41", "F42")) for d in plan.diagnosis_codes)
        instrument = GAD7 if anxious else PHQ9
        baseline, target = (14, 4) if anxious else (16, 4)
    reach = (long_term.progress_percentage if long_term is not None else plan.overall_progress) / 100
    other = GAD7 if instrument is PHQ9 else PHQ9
    sessions = list(TherapySession.objects.filter(plan=plan).order_by("session_date", "created_at"))
    created: list[Measurement] = []
    last = len(sessions) - 1
    for number, session in enumerate(sessions):
        if number % 4 and number != last:
            continue
        share = number / max(last, 1)
        total = round(baseline + (target - baseline) * reach * share**0.85 + rng.uniform(-1.5, 1.5))
        # The flagged patient: item 9 above 0 at intake (assessed, cleared) and again at the latest measure.
        item9 = 1 if flagged and instrument is PHQ9 and number in (0, last) else 0
        created.append(_record(by, patient, session, instrument, _answers(rng, instrument, total, item9)))
        if flagged and number == 0 and item9:
            services.safety_assessment_record(by=by, patient=patient, note=ASSESSMENT_NOTE)
        if number in (0, last):
            side = round(other.max_score * (0.45 - 0.2 * share * reach) + rng.uniform(-1, 1))
            created.append(_record(by, patient, session, other, _answers(rng, other, side)))
    if not plan.is_closed:
        objective = _driven_objective(goals, long_term)
        if objective is not None:
            services.goal_update(by=by, goal=objective, measure_instrument=instrument.code, measure_target_score=target)
        services.plan_update(by=by, plan=plan, measure_instruments=[other.code])
    return created


def _record(
    by: AuditContext, patient: Patient, session: TherapySession, instrument: Instrument, answers: list[int]
) -> Measurement:
    return services.measurement_record(
        by=by, patient=patient, instrument=instrument.code, answers=answers, session=session
    )
