"""Recording a therapy session: goals addressed, interventions delivered, progress, in one transaction."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import Action, AuditContext, audit_record, diff, snapshot
from accounts.models import Patient, User
from interventions.models import Intervention
from treatment.models import SessionIntervention, TherapySession, TreatmentGoal, TreatmentPlan

from .common import (
    check_intervention,
    choose_clinician,
    lock_plan,
    require_change,
    require_open,
    require_signed_for_progress,
)
from .goals import _progress_entry
from .plans import plan_recalculate

SESSION_FIELDS = ("session_date", "duration_minutes", "plan", "therapist", "notes")


#: What the page's "Record anyway" button and the API's `"confirm": true` answer.
CONFIRM_HINT = "Check it, then confirm to record the session anyway."


@dataclass(frozen=True)
class SessionWarning:
    """Something implausible about a session that is recorded only once the user confirms it."""

    #: The input it is about: "session_date", or "goal_ids" (then `goal` names the goal).
    field: str
    message: str
    goal: TreatmentGoal | None = None


def _day(value: datetime.date) -> str:
    return f"{value.day} {value:%b %Y}"


def session_warnings(
    *,
    plan: TreatmentPlan | None,
    session_date: datetime.date | None,
    goals: list[TreatmentGoal],
    interventions: list[dict],
    progress: list[dict],
    parents: Mapping[uuid.UUID, uuid.UUID | None] | None = None,
) -> list[SessionWarning]:
    """What asks for a confirmation before the session is recorded (the page and the API share it):

    - a session dated before its plan started (a typo in the year, or the wrong plan);
    - a goal marked as addressed with nothing recorded for it: no progress entry and no intervention
      delivered, for it or for one of its sub-goals (working on an objective addresses its goals).

    `parents` ({goal_id: parent_goal_id} of the plan's goals) spares a query when the caller has the tree.
    """
    found: list[SessionWarning] = []
    if plan is not None and session_date is not None and session_date < plan.start_date:
        found.append(
            SessionWarning(
                "session_date",
                f"The session date {_day(session_date)} is before the plan started ({_day(plan.start_date)}).",
            )
        )
    entered = {p["goal"].pk for p in progress} | {i["goal"].pk for i in interventions if i.get("goal")}
    empty = [goal for goal in goals if goal.pk not in entered]
    if plan is None or not empty:
        return found
    if parents is None:
        parents = dict(TreatmentGoal.objects.filter(plan_id=plan.pk).values_list("pk", "parent_goal_id"))
    covered: set[uuid.UUID] = set()
    for goal_id in entered:
        ancestor = parents.get(goal_id)
        while ancestor is not None and ancestor not in covered:
            covered.add(ancestor)
            ancestor = parents.get(ancestor)
    for goal in empty:
        if goal.pk not in covered:
            found.append(
                SessionWarning(
                    "goal_ids",
                    f"“{goal.description}” is marked as addressed, but nothing is recorded for it "
                    "(no note, rating or intervention).",
                    goal,
                )
            )
    return found


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
    confirmed: bool = False,
) -> TherapySession:
    """Record a session with everything it did; nothing is written unless all of it is valid.

    `interventions`: [{"intervention": Intervention, "goal": TreatmentGoal | None}].
    `progress`: [{"goal": TreatmentGoal, "progress_note", "progress_value", "rating"}].
    What `session_warnings` finds is refused (naming the fields, and "confirm") unless `confirmed`.
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
        require_signed_for_progress(plan)
    for field, items in (("goal_ids", goals), ("interventions", interventions), ("progress", progress)):
        for item in items:
            goal = item if isinstance(item, TreatmentGoal) else item.get("goal")
            # (Without a plan there are no goals: the first goal named gives the session its plan.)
            if goal is not None and (plan is None or goal.plan_id != plan.pk):
                raise ValidationError({field: "Every goal must belong to the session's plan."})
    if not confirmed:
        warnings = session_warnings(
            plan=plan, session_date=session_date, goals=goals, interventions=interventions, progress=progress
        )
        if warnings:
            refusal: dict[str, list[str]] = {"confirm": [CONFIRM_HINT]}
            for warning in warnings:
                refusal.setdefault(warning.field, []).append(warning.message)
            raise ValidationError(refusal, code="unconfirmed")
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
