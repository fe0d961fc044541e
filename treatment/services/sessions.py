"""Recording a therapy session: goals addressed, interventions delivered, progress, in one transaction."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import Action, AuditContext, audit_record, diff, snapshot
from accounts.models import Patient, User
from interventions.models import Intervention
from treatment.models import SessionIntervention, TherapySession, TreatmentGoal, TreatmentPlan

from .common import check_intervention, choose_clinician, lock_plan, require_change, require_open
from .goals import _progress_entry
from .plans import plan_recalculate

SESSION_FIELDS = ("session_date", "duration_minutes", "plan", "therapist", "notes")


def _recorded_at(patient: Patient, session_date: datetime.date) -> datetime.datetime:
    """Progress from a session is dated to it: now for today's, midday local time for an earlier one."""
    if session_date >= patient.practice.today():
        return timezone.now()
    return datetime.datetime.combine(session_date, datetime.time(12), tzinfo=patient.practice.zoneinfo)


@transaction.atomic
def session_record(
    *,
    by: AuditContext,
    patient: Patient,
    session_date: datetime.date,
    duration_minutes: int,
    plan: TreatmentPlan | None = None,
    therapist: User | None = None,
    goals: list[TreatmentGoal] | None = None,
    interventions: list[dict] | None = None,
    progress: list[dict] | None = None,
    notes: str = "",
) -> TherapySession:
    """Record a session with everything it did; nothing is written unless all of it is valid.

    `interventions`: [{"intervention": Intervention, "goal": TreatmentGoal | None}].
    `progress`: [{"goal": TreatmentGoal, "progress_note", "progress_value", "rating"}].
    """
    require_change(by, patient)
    goals = list(goals or [])
    interventions = list(interventions or [])
    progress = list(progress or [])
    if session_date > patient.practice.today():
        raise ValidationError({"session_date": "A session is recorded after it happens; this date is in the future."})
    every_goal = goals + [i["goal"] for i in interventions if i.get("goal")] + [p["goal"] for p in progress]
    if plan is None and every_goal:
        plan = every_goal[0].plan
    if plan is not None:
        if plan.patient_id != patient.pk:
            raise ValidationError({"plan_id": "This plan is another patient's."})
        plan = lock_plan(plan.pk)
        require_open(plan)
    for field, items in (("goal_ids", goals), ("interventions", interventions), ("progress", progress)):
        for item in items:
            goal = item if isinstance(item, TreatmentGoal) else item.get("goal")
            # (Without a plan there are no goals: the first goal named gives the session its plan.)
            if goal is not None and (plan is None or goal.plan_id != plan.pk):
                raise ValidationError({field: "Every goal must belong to the session's plan."})
    therapist = choose_clinician(by, patient, therapist)
    if therapist is None:
        raise ValidationError({"therapist_id": "Name the therapist who held the session."})
    session = TherapySession(
        patient=patient,
        plan=plan,
        therapist=therapist,
        session_date=session_date,
        duration_minutes=duration_minutes,
        notes=(notes or "").strip(),
    )
    session.full_clean(exclude=["patient", "plan", "therapist"], validate_constraints=False)
    session.save()
    addressed = {g.pk: g for g in every_goal}
    session.goals_addressed.set(addressed.values())
    delivered: list[SessionIntervention] = []
    for position, item in enumerate(interventions):
        intervention: Intervention = item["intervention"]
        check_intervention(intervention, patient, f"interventions[{position}].intervention_id", new_link=False)
        key = (intervention.pk, item.get("goal") and item["goal"].pk)
        if key in {(d.intervention_id, d.goal_id) for d in delivered}:
            continue
        delivered.append(SessionIntervention(session=session, intervention=intervention, goal=item.get("goal")))
    SessionIntervention.objects.bulk_create(delivered)
    audit_record(
        by,
        Action.CREATE,
        session,
        patient=patient,
        changes={
            **diff({}, snapshot(session, SESSION_FIELDS)),
            "goals_addressed": [None, sorted(str(pk) for pk in addressed)],
            "interventions": [None, [[str(d.intervention_id), d.goal_id and str(d.goal_id)] for d in delivered]],
        },
    )
    if plan is None or not progress:
        # No progress, nothing to roll up (progress names goals, so a session with progress has a plan).
        return session
    recorded_at = _recorded_at(patient, session_date)
    # The plan is locked already; the goals follow it, in one order.
    goals_to_lock = TreatmentGoal.objects.select_for_update().filter(pk__in=[p["goal"].pk for p in progress])
    locked = {g.pk: g for g in goals_to_lock.order_by("pk")}
    for position, entry in enumerate(progress):
        entry = dict(entry)
        goal = locked[entry.pop("goal").pk]
        try:
            _progress_entry(by=by, goal=goal, plan=plan, session=session, recorded_at=recorded_at, **entry)
        except ValidationError as error:
            raise ValidationError({f"progress[{position}]": error.messages}) from error
    plan_recalculate(plan)
    return session
