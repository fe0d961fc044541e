"""Amendments: after a clinician first signs a plan, every change to its content says why.

**What counts.** A change to what was signed: the plan's title, therapist, diagnoses, presenting problems,
dates, review schedule and notes (`plan_update`); adding a goal, or changing a goal's description, criteria,
baseline, target, target date, parent, priority (a move among its siblings is a change of priority), SMART
answers or status (`goal_add`, `goal_update`, `goal_move`, and the goal changes a review records); linking an
intervention to a goal or changing its frequency or notes (`goal_intervention_add`, `goal_intervention_update`).

**What does not.** What the plan observes or how it ends, which have their own record: progress entries and
the figures they move (a goal's current value and progress percentage, an intervention's effectiveness
rating), sessions and their addenda, the rollup, and the plan's status (putting it on hold, or closing it,
which takes its own `status_reason`). A transfer of care moves the plan with the patient's transfer, which is
recorded with the transfer.

Each write service takes `amendment_reason` and asks `amendment_reason_clean` before it writes anything (a
ValidationError naming `amendment_reason` when the plan is signed and the reason blank); once its rows are
written it hands what changed to `plan_amend_if_signed`, which records one `PlanAmendment` for the whole
write, moves the plan's signature status and writes the audit event, under the plan lock the service took
first. An unsigned plan records no amendment: before the first signature the plan is still a draft.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from django.core.exceptions import ValidationError

from accounts.audit import Action, AuditContext, audit_record, diff
from treatment.models import GoalIntervention, PlanAmendment, TreatmentGoal, TreatmentPlan
from treatment.services.signature_state import status_after_amendment

ObjectKind = Literal["plan", "goal", "goal_intervention"]
ChangeAction = Literal["created", "updated", "removed"]

REASON_MAX_LENGTH = 2000
REASON_REQUIRED = "This plan has been signed: say why you are changing it (the reason is kept with the change)."
REASON_TOO_LONG = f"Keep the reason under {REASON_MAX_LENGTH} characters."

#: The fields whose change is no amendment: a plan's lifecycle, and the readings progress and ratings move.
NOT_AMENDING: Mapping[ObjectKind, frozenset[str]] = {
    "plan": frozenset({"status", "status_reason", "actual_end_date"}),
    "goal": frozenset({"current_value", "progress_percentage"}),
    "goal_intervention": frozenset({"effectiveness_rating"}),
}
LABEL_LENGTH = 120


def amended_fields(kind: ObjectKind, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The names of the fields that changed from `before` to `after` and amend the plan's content.

    The comparison is the audit trail's (`accounts.audit.diff`), so the amendment and the audit event of one
    write name the same fields.
    """
    return [name for name in diff(dict(before), dict(after)) if name not in NOT_AMENDING[kind]]


def filled_fields(kind: ObjectKind, values: Mapping[str, Any]) -> list[str]:
    """The fields a new record was given (those left empty are not part of what the amendment added)."""
    return [
        name for name, value in values.items() if value not in (None, "", [], {}) and name not in NOT_AMENDING[kind]
    ]


def amendment_reason_clean(plan: TreatmentPlan, reason: str | None, *, changing: bool = True) -> str:
    """The reason as stored, or a ValidationError on `amendment_reason` when a signed plan is `changing` without one.

    Asked before the write touches a row, so a refusal writes nothing. An unsigned plan needs none (and any
    given is not kept: there is no amendment to keep it with).
    """
    reason = (reason or "").strip()
    if not plan.needs_amendment_reason or not changing:
        return reason
    if not reason:
        raise ValidationError({"amendment_reason": REASON_REQUIRED})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"amendment_reason": REASON_TOO_LONG})
    return reason


def _label(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= LABEL_LENGTH else f"{text[: LABEL_LENGTH - 1]}…"


def plan_change(plan: TreatmentPlan, fields: Iterable[str]) -> dict[str, Any]:
    """One entry of an amendment's `changes`: the plan's own fields."""
    return {
        "object": "plan",
        "id": str(plan.pk),
        "label": _label(plan.title),
        "action": "updated",
        "fields": list(fields),
    }


def goal_change(goal: TreatmentGoal, action: ChangeAction, fields: Iterable[str]) -> dict[str, Any]:
    """One entry of an amendment's `changes`: a goal added, changed or removed."""
    return {
        "object": "goal",
        "id": str(goal.pk),
        "label": _label(goal.description),
        "action": action,
        "fields": list(fields),
    }


def link_change(link: GoalIntervention, action: ChangeAction, fields: Iterable[str]) -> dict[str, Any]:
    """One entry of an amendment's `changes`: an intervention's link to a goal (with the goal, which the version
    diff files it under)."""
    return {
        "object": "goal_intervention",
        "id": str(link.pk),
        "label": _label(link.intervention.name),
        "action": action,
        "fields": list(fields),
        "goal_id": str(link.goal_id),
        "intervention_id": str(link.intervention_id),
    }


def plan_amend_record(
    *, by: AuditContext, plan: TreatmentPlan, reason: str, changes: list[dict[str, Any]]
) -> PlanAmendment:
    """Record one amendment of a signed plan: why, who, when, what changed, the version it amends.

    The caller holds the plan's lock (`lock_plan`) and has written the changes; this moves the plan's signature
    status (`first_signed_at` never moves) and writes the amendment's audit event. The plan is updated in place.
    """
    author = by.user or plan.therapist  # system work (an import, the demo) amends in the clinician's name
    amendment = PlanAmendment(
        plan=plan, reason=reason, author=author, changes=changes, amends_version=plan.signed_version
    )
    amendment.full_clean(exclude=["plan", "author"], validate_constraints=False)
    amendment.save()
    before = plan.signature_status
    after = status_after_amendment(plan)
    if after != before:
        # No `updated_at`: a client's ETag of the plan names its fields, which this does not change.
        TreatmentPlan.objects.filter(pk=plan.pk).update(signature_status=after)
        plan.signature_status = after
    audit_record(
        by,
        Action.CREATE,
        amendment,
        patient=plan.patient,
        changes={
            "reason": [None, reason],
            "amends_version": [None, plan.signed_version],
            "signature_status": [before, after],
            "changes": [None, [f"{c['object']}:{c['id']}:{c['action']}" for c in changes]],
        },
    )
    return amendment


def plan_amend_if_signed(
    *, by: AuditContext, plan: TreatmentPlan, reason: str, changes: list[dict[str, Any]]
) -> PlanAmendment | None:
    """What every write service calls once its rows are written: an amendment when the plan is signed and the
    write changed its content (entries with no field and no creation are left out), else nothing."""
    changes = [c for c in changes if c["fields"] or c["action"] != "updated"]
    if not plan.needs_amendment_reason or not changes:
        return None
    return plan_amend_record(by=by, plan=plan, reason=reason, changes=changes)
