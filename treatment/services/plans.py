"""Creating and changing treatment plans, and keeping their progress rolled up."""

from __future__ import annotations

import datetime
import functools
import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import Action, AuditContext, audit_record, diff, snapshot
from accounts.concurrency import check_if_match
from accounts.models import CareTeamMembership, Patient, User
from accounts.validators import check_clinical_dates
from treatment import diagnoses
from treatment.instruments import INSTRUMENTS
from treatment.models import GoalStatus, PlanStatus, PlanTemplate, TreatmentGoal, TreatmentPlan
from treatment.models.plan import CLOSED_STATUSES, PLAN_TRANSITIONS
from treatment.progress import rollup
from treatment.signals import plan_closed

from .amendments import amended_fields, amendment_reason_clean, plan_amend_if_signed, plan_change
from .common import choose_clinician, is_clinician, lock_plan, require_change, require_open
from .template_adjustments import TemplateAdjustments

#: The fields of a plan a client writes (the API, the forms and the audit diff use this list).
PLAN_FIELDS = (
    "title",
    "therapist",
    "diagnosis_codes",
    "presenting_problems",
    "start_date",
    "target_end_date",
    "actual_end_date",
    "status",
    "status_reason",
    "review_frequency_days",
    "next_review_date",
    "notes",
    "measure_instruments",
    "measure_every_sessions",
    "measure_every_days",
)
MAX_PROBLEMS = 20
T = TypeVar("T")
CLOSING_REASON_REQUIRED = "Say why the plan is being closed: a completed or discontinued plan is final."
REASON_ONLY_WHEN_CLOSING = "A reason is recorded only when the plan is completed or discontinued."


def clean_problems(problems) -> list[str]:
    if problems is None:
        return []
    if not isinstance(problems, list) or not all(isinstance(p, str) for p in problems):
        raise ValidationError({"presenting_problems": "Send a list of short phrases."})
    cleaned, seen = [], set()
    for problem in problems:
        text = " ".join(problem.split())
        if not text or text.lower() in seen:
            continue
        if len(text) > 200:
            raise ValidationError({"presenting_problems": "Keep each presenting problem under 200 characters."})
        seen.add(text.lower())
        cleaned.append(text)
    if len(cleaned) > MAX_PROBLEMS:
        raise ValidationError({"presenting_problems": f"List at most {MAX_PROBLEMS} presenting problems."})
    return cleaned


def clean_measure_instruments(codes) -> list[str]:
    """The plan's own instruments: known codes, each once, in the registry's order."""
    if codes in (None, ""):
        return []
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise ValidationError({"measure_instruments": "Send a list of instrument codes."})
    unknown = sorted(set(codes) - set(INSTRUMENTS))
    if unknown:
        raise ValidationError(
            {"measure_instruments": f"Unknown instrument {', '.join(unknown)}; use {', '.join(INSTRUMENTS)}."}
        )
    return [code for code in INSTRUMENTS if code in codes]


def _check_therapist(therapist: User, patient: Patient, field: str = "therapist_id") -> None:
    if therapist.practice_id != patient.practice_id or not therapist.is_active or not is_clinician(therapist):
        raise ValidationError({field: "Choose an active therapist of the patient's practice."})
    if not CareTeamMembership.objects.filter(patient=patient, user=therapist).exists():
        raise ValidationError({field: "This therapist is not on the patient's care team."})


def _check_dates(
    start_date: datetime.date | None,
    target_end_date: datetime.date | None = None,
    actual_end_date: datetime.date | None = None,
    next_review_date: datetime.date | None = None,
) -> None:
    if start_date is None:
        return  # refused on its own field
    errors = {}
    if target_end_date and target_end_date < start_date:
        errors["target_end_date"] = "The target end date cannot be before the start date."
    if actual_end_date and actual_end_date < start_date:
        errors["actual_end_date"] = "The end date cannot be before the start date."
    if next_review_date and next_review_date < start_date:
        errors["next_review_date"] = "The next review cannot be before the plan starts."
    if errors:
        raise ValidationError(errors)


def _collect(errors: dict[str, list[str]], check: Callable[[], T]) -> T | None:
    """Run one check, adding its refusal to `errors` (by field) instead of stopping at it."""
    try:
        return check()
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
        return None


def plan_check(
    *,
    diagnosis_codes=None,
    presenting_problems=None,
    start_date: datetime.date | None = None,
    target_end_date: datetime.date | None = None,
    next_review_date: datetime.date | None = None,
) -> tuple[list[dict], list[str]]:
    """A plan's diagnoses, presenting problems and dates checked together: every refusal at once (one
    ValidationError naming each field), else the diagnoses and problems cleaned.

    The plan builder asks it while it parses, so one submit shows every error beside the form's own;
    `plan_create` asks it again before it writes.
    """
    errors: dict[str, list[str]] = {}
    codes = _collect(errors, lambda: diagnoses.clean_diagnoses(diagnosis_codes))
    problems = _collect(errors, lambda: clean_problems(presenting_problems))
    _collect(errors, lambda: _check_dates(start_date, target_end_date, None, next_review_date))
    if errors:
        raise ValidationError(errors)
    return codes or [], problems or []


@transaction.atomic
def plan_create(
    *,
    by: AuditContext,
    patient: Patient,
    title: str,
    start_date: datetime.date,
    therapist: User | None = None,
    diagnosis_codes=None,
    presenting_problems=None,
    target_end_date: datetime.date | None = None,
    review_frequency_days: int | None = None,
    next_review_date: datetime.date | None = None,
    notes: str = "",
    measure_instruments: list[str] | None = None,
    measure_every_sessions: int | None = None,
    measure_every_days: int | None = None,
    templates: Sequence[PlanTemplate] = (),
    template_adjustments: TemplateAdjustments | None = None,
) -> TreatmentPlan:
    """Start a plan for a patient; its first review falls `review_frequency_days` after the start.

    With `templates`, their goal trees are built into it in the same transaction (`plan_template_apply`), as
    `template_adjustments` changed them (goals left out, descriptions retyped): a template that does not fit, or an
    adjustment refused, refuses the whole plan, naming `template_ids` or the adjustment's field.
    """
    # Before the first review date is computed from the start: no date arithmetic on an unbounded date.
    check_clinical_dates(start_date=start_date, target_end_date=target_end_date, next_review_date=next_review_date)
    require_change(by, patient)
    if patient.status == Patient.Status.DISCHARGED:
        raise ValidationError({"patient": "This patient is discharged; readmit them before starting a plan."})
    therapist = choose_clinician(by, patient, therapist)
    if therapist is None:
        raise ValidationError({"therapist_id": "Name the therapist who owns this plan."})
    _check_therapist(therapist, patient)
    frequency = review_frequency_days or patient.practice.default_review_frequency_days
    next_review_date = next_review_date or start_date + datetime.timedelta(days=frequency)
    errors: dict[str, list[str]] = {}
    codes, problems = _collect(
        errors,
        lambda: plan_check(
            diagnosis_codes=diagnosis_codes,
            presenting_problems=presenting_problems,
            start_date=start_date,
            target_end_date=target_end_date,
            next_review_date=next_review_date,
        ),
    ) or ([], [])
    instruments = _collect(errors, functools.partial(clean_measure_instruments, measure_instruments)) or []
    plan = TreatmentPlan(
        patient=patient,
        therapist=therapist,
        title=(title or "").strip(),
        diagnosis_codes=codes,
        presenting_problems=problems,
        start_date=start_date,
        target_end_date=target_end_date,
        review_frequency_days=frequency,
        next_review_date=next_review_date,
        notes=notes or "",
        measure_instruments=instruments,
        measure_every_sessions=measure_every_sessions,
        measure_every_days=measure_every_days,
        created_by=by.user,
    )
    _collect(errors, lambda: plan.full_clean(validate_constraints=False, exclude=list(errors)))
    if errors:
        raise ValidationError(errors)
    plan.save()
    audit_record(by, Action.CREATE, plan, changes=diff({}, snapshot(plan, PLAN_FIELDS)))
    adjustments = template_adjustments or TemplateAdjustments()
    if templates or not adjustments.is_empty:  # adjustments without templates: ids of no template, refused
        # Imported here: the template service builds on the goal service, which builds on this module.
        from .templates import plan_template_apply

        plan_template_apply(by=by, plan=plan, templates=templates, adjustments=adjustments)
        plan.refresh_from_db()  # its problems and progress as the trees left them
    return plan


def _closing_reason(plan: TreatmentPlan, new_status: str, reason: str | None) -> str:
    """The reason a plan is closed, which closing requires; no other change takes one."""
    reason = (reason or "").strip()
    closing = new_status != plan.status and new_status in CLOSED_STATUSES
    if closing and not reason:
        raise ValidationError({"status_reason": CLOSING_REASON_REQUIRED})
    if reason and not closing:
        raise ValidationError({"status_reason": REASON_ONLY_WHEN_CLOSING})
    return reason


def _check_transition(plan: TreatmentPlan, new_status: str) -> None:
    if new_status == plan.status:
        return
    if new_status not in PlanStatus.values:
        raise ValidationError({"status": f"Choose one of: {', '.join(PlanStatus.values)}."})
    if new_status not in PLAN_TRANSITIONS[PlanStatus(plan.status)]:
        # A closed plan never gets here: require_open refused the write first.
        raise ValidationError({"status": f"A plan cannot go from {plan.status} to {new_status}."})


@transaction.atomic
def plan_update(
    *,
    by: AuditContext,
    plan: TreatmentPlan,
    if_match: str | None = None,
    amendment_reason: str = "",
    **fields,
) -> TreatmentPlan:
    """Change a plan's fields or status; a closed (completed or discontinued) plan is final.

    Closing a plan takes a `status_reason` (kept on the plan, in the audit event and in the final version
    that `plan_closed`'s receivers seal); putting it on hold or back to active takes none. Changing a signed
    plan's content takes an `amendment_reason` (`treatment.services.amendments`).
    """
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"Not plan fields: {sorted(unknown)}")
    plan = lock_plan(plan.pk)
    require_change(by, plan.patient)
    check_if_match(plan.etag, if_match)
    require_open(plan)
    before = snapshot(plan, PLAN_FIELDS)
    new_status = fields.pop("status", plan.status)
    _check_transition(plan, new_status)
    # Every refusal about the fields comes at once, each under the field it names.
    errors: dict[str, list[str]] = {}
    reason = _collect(errors, functools.partial(_closing_reason, plan, new_status, fields.pop("status_reason", None)))
    for name, clean in (
        ("diagnosis_codes", diagnoses.clean_diagnoses),
        ("presenting_problems", clean_problems),
        ("measure_instruments", clean_measure_instruments),
    ):
        if name in fields:
            value = fields.pop(name)
            cleaned = _collect(errors, functools.partial(clean, value))
            if name not in errors:
                fields[name] = cleaned
    if "title" in fields:
        fields["title"] = (fields["title"] or "").strip()
    if fields.get("therapist") is not None and fields["therapist"].pk != plan.therapist_id:
        actor = by.user
        if actor is not None and not actor.acts_for_practice():
            raise ValidationError({"therapist_id": "Only a practice admin can hand a plan to another therapist."})
        _check_therapist(fields["therapist"], plan.patient)
    elif "therapist" in fields:
        fields.pop("therapist")
    for name, value in fields.items():
        setattr(plan, name, value)
    closing = new_status != plan.status and new_status in CLOSED_STATUSES
    if new_status != plan.status:
        plan.status = new_status
        plan.status_reason = reason or ""
        if plan.is_closed and plan.actual_end_date is None:
            plan.actual_end_date = max(plan.patient.practice.today(), plan.start_date)
    if plan.actual_end_date and not plan.is_closed:
        errors.setdefault("actual_end_date", []).append("Only a completed or discontinued plan has an end date.")
    _collect(
        errors,
        lambda: _check_dates(plan.start_date, plan.target_end_date, plan.actual_end_date, plan.next_review_date),
    )
    _collect(errors, lambda: plan.full_clean(validate_constraints=False, exclude=list(errors)))
    amending = amended_fields("plan", before, snapshot(plan, PLAN_FIELDS))
    why = _collect(errors, functools.partial(amendment_reason_clean, plan, amendment_reason, changing=bool(amending)))
    if errors:
        raise ValidationError(errors)
    plan.save()
    changes = diff(before, snapshot(plan, PLAN_FIELDS))
    if changes:
        audit_record(by, Action.UPDATE, plan, changes=changes)
    plan_amend_if_signed(by=by, plan=plan, reason=why or "", changes=[plan_change(plan, amending)])
    if closing:
        plan_closed.send(sender=TreatmentPlan, by=by, plan=plan)
    return plan


def plan_recalculate(plan: TreatmentPlan) -> dict[uuid.UUID, TreatmentGoal]:
    """Roll progress up the plan's goal tree and store each goal's and the plan's figure.

    The caller holds the plan's lock (`lock_plan`), so the tree read here is the one every earlier write
    committed and no other write can change it before this one commits. One read of the tree, one bulk
    write of the goals that changed. Neither the goals' nor the plan's `updated_at` moves: derived figures
    are not an edit, so clients' ETags stay valid. `plan.overall_progress` is updated in place; the
    goals come back by id, as stored.
    """
    goals = list(TreatmentGoal.objects.filter(plan_id=plan.pk))
    computed, overall = rollup(goals)
    parents = {g.parent_goal_id for g in goals}
    changed = []
    for goal in goals:
        started = goal.id in parents and computed[goal.id] > 0 and goal.status == GoalStatus.NOT_STARTED
        if goal.progress_percentage != computed[goal.id] or started:
            goal.progress_percentage = computed[goal.id]
            if started:
                # Work on a sub-goal is work on the goal it serves.
                goal.status = GoalStatus.IN_PROGRESS
            changed.append(goal)
    if changed:
        TreatmentGoal.objects.bulk_update(changed, ["progress_percentage", "status"])
    if plan.overall_progress != overall:
        TreatmentPlan.objects.filter(pk=plan.pk).update(overall_progress=overall)
        plan.overall_progress = overall
    return {goal.pk: goal for goal in goals}


def plans_follow_transfer(*, by: AuditContext, patient: Patient, previous_id, therapist: User, **kwargs) -> int:
    """On a transfer of care, the open plans the previous therapist owned pass to the new one.

    Every plan lock is taken in one statement, in pk order, before the first write or audit event (audit last,
    `accounts.audit.audit_record`): the transfer waits for a writer holding one of these plans before it takes the
    audit chain's lock, never while holding it.
    """
    moved = 0
    # The lock `lock_plan` takes, on every candidate at once. A plan closed or handed on while we waited for it
    # is left out: PostgreSQL re-checks the filter on a row once its lock is ours.
    locked = list(
        TreatmentPlan.objects.select_for_update(of=("self",))
        .select_related("patient__practice", "therapist")
        .open()
        .filter(patient=patient, therapist_id=previous_id)
        .order_by("pk")
    )
    for plan in locked:
        plan.therapist = therapist
        plan.save(update_fields=["therapist", "updated_at"])
        audit_record(by, Action.UPDATE, plan, changes={"therapist": [str(previous_id), str(therapist.pk)]})
        moved += 1
    return moved
