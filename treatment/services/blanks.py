"""Filling in a plan's blanks: the values a plan template left as `[[hint]]` placeholders, on several goals in one
write (the plan page's "Fill in the blanks" form).

Each goal is written by `goal_write`, the same write `goal_update` makes, so the same validation, audit and rollup
apply; the whole fill is one transaction under the plan's lock and, on a signed plan, one amendment.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import AuditContext
from treatment.models import TreatmentGoal, TreatmentPlan
from treatment.placeholders import PLACEHOLDER_FIELDS

from .amendments import plan_amend_if_signed
from .common import lock_plan
from .goals import goal_write

#: What a fill may write: the goal fields a template may leave a placeholder in (its SMART answers are edited with
#: the goal's own form).
FILLABLE_FIELDS = PLACEHOLDER_FIELDS


@transaction.atomic
def goal_values_fill(
    *,
    by: AuditContext,
    plan: TreatmentPlan,
    values: Mapping[uuid.UUID, Mapping[str, str]],
    etags: Mapping[uuid.UUID, str] | None = None,
    amendment_reason: str = "",
) -> TreatmentPlan:
    """Write `values` ({goal id: {field: text}}) to the plan's goals, each saved with its ETag (If-Match).

    Every goal's errors are collected and raised together, named `<goal id>.<field>`; nothing is written then.
    A goal that is not the plan's is refused (`goals`).
    """
    plan = lock_plan(plan.pk)
    etags = etags or {}
    goals = TreatmentGoal.objects.filter(plan=plan, pk__in=list(values)).in_bulk()
    if len(goals) != len(values):
        raise ValidationError({"goals": "A goal named is not in this plan."})
    errors: dict[str, list[str]] = {}
    changes: list[dict] = []
    reason = amendment_reason
    for goal_id, fields in values.items():
        unknown = set(fields) - set(FILLABLE_FIELDS)
        if unknown:
            raise ValueError(f"Not fillable goal fields: {sorted(unknown)}")
        if not fields:
            continue
        try:
            with transaction.atomic():
                _goal, change, reason = goal_write(
                    by=by, plan=plan, goal=goals[goal_id], if_match=etags.get(goal_id), reason=reason, **fields
                )
        except ValidationError as error:
            named = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            for name, messages in named.items():
                # The reason is the fill's, not a goal's: named once.
                key = name if name == "amendment_reason" else f"{goal_id}.{name}"
                errors.setdefault(key, [])
                errors[key].extend(m for m in messages if m not in errors[key])
            continue
        changes.append(change)
    if errors:
        raise ValidationError(errors)
    plan_amend_if_signed(by=by, plan=plan, reason=reason, changes=changes)
    return lock_plan(plan.pk)
