"""How progress rolls up a plan's goal tree. Pure functions over goals already in memory.

- A leaf goal's progress is what its last rated entry said (rating * 10), or what it was set to.
- A goal with sub-goals: the weighted average of its sub-goals, weight = 1 / priority (priority 1
  is the highest, so it counts most; the spec's formula weighted the other way), leaving out
  discontinued sub-goals, rounded half up to an integer.
- An achieved goal is at 100.
- The plan's overall progress: the same weighted average over its long-term goals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Protocol

from treatment.models import GoalStatus, GoalType


class RollupGoal(Protocol):
    """What the rollup reads of a goal: a `TreatmentGoal`, or a stand-in with the same attributes."""

    @property
    def id(self) -> Hashable: ...
    @property
    def parent_goal_id(self) -> Hashable | None: ...
    @property
    def goal_type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def priority(self) -> int: ...
    @property
    def progress_percentage(self) -> int: ...


def rating_to_percentage(rating: int) -> int:
    """A progress rating of 1-10 as a percentage."""
    return rating * 10


def percentage_to_rating(percentage: int) -> int:
    """The 1-10 rating a leaf's percentage came from (the inverse of `rating_to_percentage`)."""
    return percentage // 10


def weighted_progress(items: Iterable[tuple[int, int]]) -> int | None:
    """Weighted average of (percentage, priority) pairs, weight 1/priority; None when there are none."""
    total = weight = Fraction(0)
    for percentage, priority in items:
        w = Fraction(1, max(priority, 1))
        total += percentage * w
        weight += w
    if not weight:
        return None
    return _round(total / weight)


def _round(value: Fraction) -> int:
    return int((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def children_by_parent(goals: Sequence[RollupGoal]) -> dict[Hashable | None, list[RollupGoal]]:
    children: dict[Hashable | None, list[RollupGoal]] = defaultdict(list)
    for goal in goals:
        children[goal.parent_goal_id].append(goal)
    return children


def rollup(goals: Sequence[RollupGoal]) -> tuple[dict[Hashable, int], int]:
    """Compute every goal's progress and the plan's overall progress.

    Returns ({goal_id: percentage}, overall). Goals are model instances (or anything with id,
    parent_goal_id, goal_type, status, priority, progress_percentage); nothing is written.
    """
    children = children_by_parent(goals)
    computed: dict[Hashable, int] = {}

    def progress_of(goal: RollupGoal) -> int:
        if goal.id in computed:
            return computed[goal.id]
        counted = [c for c in children.get(goal.id, []) if c.status != GoalStatus.DISCONTINUED]
        for child in children.get(goal.id, []):
            progress_of(child)
        if goal.status == GoalStatus.ACHIEVED:
            value = 100
        elif counted:
            # Never None: `counted` is not empty.
            value = weighted_progress((progress_of(c), c.priority) for c in counted) or 0
        else:
            value = goal.progress_percentage
        computed[goal.id] = value
        return value

    for goal in goals:
        progress_of(goal)
    long_term = [g for g in goals if g.goal_type == GoalType.LONG_TERM and g.status != GoalStatus.DISCONTINUED]
    overall = weighted_progress((computed[g.id], g.priority) for g in long_term)
    return computed, overall or 0


def summarize(goals: Sequence[RollupGoal], overall: int) -> dict[str, int]:
    """The plan's progress summary: goals of every level counted by status, and overall progress."""
    summary = {"total_goals": len(goals), **dict.fromkeys(GoalStatus.values, 0)}
    for goal in goals:
        summary[goal.status] += 1
    summary["overall_progress"] = overall
    return summary
