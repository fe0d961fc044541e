"""Moving a goal up or down among its siblings.

The tree is ordered by priority (1 = highest), then by age, so a move is a change of priorities, which
also weighs the goal more or less in the progress rollup. Priorities stay within 1-10.
"""

from __future__ import annotations

from typing import Literal

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import AuditContext
from treatment.models import TreatmentGoal

from .amendments import amendment_reason_clean, plan_amend_if_signed
from .common import lock_plan, require_change, require_open
from .goals import goal_write

Direction = Literal["up", "down"]
DIRECTIONS: tuple[Direction, ...] = ("up", "down")
#: A goal's priority runs from 1 (the highest) to this.
MAX_PRIORITY = 10
TOO_MANY_TO_ORDER = (
    f"This level has more than {MAX_PRIORITY} goals, so not every order fits priorities 1-{MAX_PRIORITY}: "
    "set the priority in the goal's form."
)


def reorder_priorities(ordered: list[TreatmentGoal], slots: list[int]) -> dict | None:
    """Priorities under which the tree's order (priority, then age) is `ordered`.

    `slots` are the level's priorities in their old order: each goal takes the priority of the place it
    now holds (so two goals that swap places swap priorities), raised just enough where a tie would
    put it above the goal before it. If that runs past 10 the level is renumbered 1, 2, 3...; None if
    it has more than 10 goals and still does not fit.
    """
    new: dict = {}
    previous = None
    for goal, slot in zip(ordered, slots, strict=True):
        lowest = 1
        if previous is not None:
            lowest = new[previous.pk] + (0 if previous.created_at < goal.created_at else 1)
        new[goal.pk] = max(slot, lowest)
        previous = goal
    if max(new.values(), default=1) <= MAX_PRIORITY:
        return new
    if len(ordered) <= MAX_PRIORITY:
        return {goal.pk: position for position, goal in enumerate(ordered, start=1)}
    return None


@transaction.atomic
def goal_move(
    *,
    by: AuditContext,
    goal: TreatmentGoal,
    direction: Direction,
    if_match: str | None = None,
    amendment_reason: str = "",
) -> bool:
    """Move a goal one place up or down among its siblings; False when it is already at that end.

    The moved goal is written first with the ETag the caller saw, so a conflict (`StaleWrite`) stops the
    whole move; the siblings whose priority has to change follow, each through `goal_update`'s write (its
    rules, audit and rollup). The siblings are read under the plan's lock, so two moves cannot interleave.
    On a signed plan the move takes an `amendment_reason` and is one amendment, however many goals it renumbers.
    """
    if direction not in DIRECTIONS:
        raise ValidationError({"direction": "Move up or down."})
    plan = lock_plan(goal.plan_id)
    require_change(by, plan.patient)
    require_open(plan)
    siblings = list(
        TreatmentGoal.objects.filter(plan=plan, parent_goal_id=goal.parent_goal_id).order_by("priority", "created_at")
    )
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == goal.pk)
    neighbour = index - 1 if direction == "up" else index + 1
    if not 0 <= neighbour < len(siblings):
        return False
    slots = [sibling.priority for sibling in siblings]
    siblings[index], siblings[neighbour] = siblings[neighbour], siblings[index]
    priorities = reorder_priorities(siblings, slots)
    if priorities is None:
        raise ValidationError({"priority": TOO_MANY_TO_ORDER})
    reason = amendment_reason_clean(plan, amendment_reason)
    _, change, _ = goal_write(
        by=by, plan=plan, goal=goal, if_match=if_match, reason=reason, priority=priorities[goal.pk]
    )
    changes = [change]
    for sibling in siblings:
        if sibling.pk != goal.pk and priorities[sibling.pk] != sibling.priority:
            _, change, _ = goal_write(
                by=by, plan=plan, goal=sibling, if_match=None, reason=reason, priority=priorities[sibling.pk]
            )
            changes.append(change)
    plan_amend_if_signed(by=by, plan=plan, reason=reason, changes=changes)
    return True
