"""Saving a plan as a template: its goal tree copied into a practice template, with nothing of the patient."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.access import can
from accounts.audit import Action, AuditContext, audit_record
from accounts.models import Patient, User
from treatment.models import GoalStatus, PlanTemplate, TreatmentGoal, TreatmentPlan
from treatment.placeholders import has_placeholder

from .templates import plan_template_create

_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})\b")


def _scrubber(patient: Patient) -> Callable[[str], str]:
    """Text with the patient's names replaced by "the client" and dates by a placeholder."""
    first, last, preferred = (name.strip() for name in (patient.first_name, patient.last_name, patient.preferred_name))
    full = {f"{first} {last}", f"{preferred} {last}"} if last else set()
    names = sorted(
        {name for name in (first, last, preferred, *full) if len(name.strip()) > 1},
        key=len,
        reverse=True,
    )
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", re.I) if names else None

    def scrub(text: str) -> str:
        text = _DATE.sub("[[date]]", text or "")
        return pattern.sub("the client", text) if pattern is not None else text

    return scrub


def _offset(plan: TreatmentPlan, day: datetime.date | None) -> int | None:
    if day is None or day <= plan.start_date:
        return None
    return min(520, math.ceil((day - plan.start_date).days / 7))


def _as_template_goal(
    goal: TreatmentGoal, plan: TreatmentPlan, scrub: Callable[[str], str], children: list[dict]
) -> dict[str, Any]:
    offset = _offset(plan, goal.target_date)
    smart = {
        part: {question: scrub(answer) for question, answer in answers.items() if isinstance(answer, str)}
        for part, answers in (goal.smart or {}).items()
        if isinstance(answers, dict)
    }
    if "deadline" in smart.get("time_bound", {}):
        smart["time_bound"]["deadline"] = f"+{offset} weeks from the plan's start" if offset else ""
    return {
        "description": scrub(goal.description),
        "measurable_criteria": scrub(goal.measurable_criteria),
        "baseline_value": goal.baseline_value
        if has_placeholder(goal.baseline_value)
        else "[[baseline]]"
        if goal.baseline_value.strip()
        else "",
        "target_value": goal.target_value
        if has_placeholder(goal.target_value)
        else "[[target]]"
        if goal.target_value.strip()
        else "",
        "priority": goal.priority,
        "target_offset_weeks": offset,
        "smart": smart,
        "measure_instrument": goal.measure_instrument,
        "measure_target_score": goal.measure_target_score,
        "interventions": [
            {"intervention_id": str(link.intervention_id), "frequency": link.frequency}
            for link in goal.goal_interventions.all()
            if link.intervention.is_active
        ],
        "sub_goals": children,
    }


def check_plan_template_save(user: User | None, plan: TreatmentPlan, *, seen: bool = False) -> None:
    """Who may save a plan as a template: its clinician or a practice admin (403 otherwise); the pages ask it to
    offer the action at all (`seen`: their access base already found the plan visible, so it is not asked again)."""
    patient = plan.patient
    if user is not None and not seen and not can(user, "view", patient):
        raise PermissionDenied("You cannot see this plan.")
    if user is not None and not (
        user.is_superuser or plan.therapist_id == user.pk or user.acts_for_practice(patient.practice_id)
    ):
        raise PermissionDenied("Only the plan's clinician or a practice admin can save it as a template.")


@transaction.atomic
def plan_template_save(*, by: AuditContext, plan: TreatmentPlan, name: str, summary: str = "") -> PlanTemplate:
    """ "Save as template": the plan's tree as a new template of its practice, with nothing of the patient.

    Kept: the goals' text (the patient's names replaced by "the client", dates by `[[date]]`), priorities,
    SMART answers, measures' instruments and targets, interventions and their frequency. Dropped: baseline,
    target and current values (a value becomes `[[baseline]]` / `[[target]]`), dates (target dates become
    offsets from the plan's start), statuses, progress, notes, effectiveness ratings, measure baselines, and
    discontinued goals. The plan's clinician or a practice admin may (403 otherwise).
    """
    patient = plan.patient
    check_plan_template_save(by.user, plan)
    goals = list(
        TreatmentGoal.objects.filter(plan=plan)
        .exclude(status=GoalStatus.DISCONTINUED)
        .prefetch_related("goal_interventions__intervention")
        .order_by("priority", "created_at")
    )
    audit_record(by, Action.VIEW, plan)
    scrub = _scrubber(patient)
    children: dict[Any, list[TreatmentGoal]] = {}
    for goal in goals:
        children.setdefault(goal.parent_goal_id, []).append(goal)

    def as_tree(parent_id: Any) -> list[dict[str, Any]]:
        return [_as_template_goal(g, plan, scrub, as_tree(g.pk)) for g in children.get(parent_id, [])]

    tree = as_tree(None)
    if not tree:
        raise ValidationError({"plan": "This plan has no goals to save as a template."})
    return plan_template_create(
        by=by,
        practice=patient.practice,
        name=name,
        summary=summary,
        goals=tree,
        diagnosis_codes=[entry["code"] for entry in plan.diagnosis_codes],
        presenting_problems=[scrub(problem) for problem in plan.presenting_problems],
    )
