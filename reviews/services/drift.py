"""When the plan changed under an open review page: what changed elsewhere, and how the page's entries merge.

The review page edits every goal's status and progress at once and can stay open a while. When it is sent,
someone else may have saved the plan meanwhile: a goal edited, a goal added, a review recorded. Nothing is
written then; the page is shown again on top of the plan as it stands now:

- `review_drift` lists what changed elsewhere since the page was loaded. A change to a field the user also
  changed is a conflict (`GoalDrift.conflict`); the user decides, seeing both.
- `review_merge` reloads the plan: on each goal the user's own changes are kept and every other field shows
  the current value, so sending the page again overwrites only what the user meant to change.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from accounts.audit import Action
from accounts.models import AuditEvent
from reviews.snapshots import PLAN_LABELS, choice_label, field_rows
from treatment.models import GoalStatus, TreatmentGoal, TreatmentPlan
from treatment.selectors import GoalNode, plan_tree

#: The goal fields the review page edits (progress only on a goal without sub-goals).
PAGE_FIELDS = ("status", "progress_percentage")
#: The drift entry of a goal added since the page was loaded.
ADDED = "added"
#: How many of the plan's writes since the page was loaded are listed.
PLAN_CHANGES_LIMIT = 20


@dataclass(frozen=True)
class GoalSeen:
    """One goal as the review page showed it when it was loaded, and which of its fields the user changed."""

    status: str | None = None
    progress_percentage: int | None = None
    #: Of `PAGE_FIELDS`, those the user changed on the page.
    changed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GoalDrift:
    """A goal someone else changed since the page was loaded: one field (`status`, `progress_percentage`), or
    the goal itself, added meanwhile (`field == "added"`)."""

    goal: TreatmentGoal
    field: str
    seen: Any
    current: Any
    #: The user changed the same field on the page: their entry and this change compete.
    conflict: bool = False

    @property
    def added(self) -> bool:
        return self.field == ADDED

    @property
    def label(self) -> str:
        return {ADDED: "Added", "status": "Status", "progress_percentage": "Progress"}[self.field]

    @property
    def old(self) -> str:
        if self.added:
            return "—"
        return choice_label(GoalStatus, self.seen) if self.field == "status" else f"{self.seen}%"

    @property
    def new(self) -> str:
        return choice_label(GoalStatus, self.current) if self.field in (ADDED, "status") else f"{self.current}%"


@dataclass(frozen=True)
class MergedGoal:
    """A goal of the reloaded plan: its page fields as they stand now, and those where the user's entry stays."""

    node: GoalNode
    current: dict[str, Any]
    keep: frozenset[str]

    @property
    def goal(self) -> TreatmentGoal:
        return self.node.goal


@dataclass(frozen=True)
class PlanChange:
    """A write to the plan since the page was loaded, from the audit trail: who, when, what."""

    who: str
    when: datetime.datetime
    changes: list[dict[str, str]]


@dataclass(frozen=True)
class ReviewMerge:
    """The plan as it stands now with the page's entries on top, to show the review page again."""

    plan: TreatmentPlan
    goals: list[MergedGoal]
    #: The plan's writes since the page was loaded (none when that moment is unknown).
    plan_changes: list[PlanChange]
    #: When this state was read: the page's new "loaded at".
    loaded_at: datetime.datetime = field(default_factory=timezone.now)

    @property
    def nodes(self) -> list[GoalNode]:
        return [goal.node for goal in self.goals]


def review_drift(
    *, goals: Sequence[GoalNode], seen: Mapping[uuid.UUID, GoalSeen], loaded_at: datetime.datetime | None
) -> list[GoalDrift]:
    """What someone else changed on the plan's goals (`goals`, as they stand now) since the page was loaded:
    goals added after `loaded_at`, and every page field whose current value is not the one the page showed
    (`seen`; a goal or field the page did not show is not compared)."""
    drift: list[GoalDrift] = []
    for node in goals:
        goal = node.goal
        if loaded_at is not None and goal.created_at > loaded_at:
            drift.append(GoalDrift(goal=goal, field=ADDED, seen=None, current=goal.status))
            continue
        page = seen.get(goal.pk, GoalSeen())
        if page.status and page.status != goal.status:
            drift.append(
                GoalDrift(
                    goal=goal, field="status", seen=page.status, current=goal.status, conflict="status" in page.changed
                )
            )
        if page.progress_percentage is not None and page.progress_percentage != goal.progress_percentage:
            drift.append(
                GoalDrift(
                    goal=goal,
                    field="progress_percentage",
                    seen=page.progress_percentage,
                    current=goal.progress_percentage,
                    conflict="progress_percentage" in page.changed,
                )
            )
    return drift


def review_merge(
    *, plan: TreatmentPlan, seen: Mapping[uuid.UUID, GoalSeen], loaded_at: datetime.datetime | None
) -> ReviewMerge:
    """The plan reloaded, each goal's page fields as they stand now and the user's changes kept over them, and
    the plan's writes since `loaded_at` (the plan is one the caller was already allowed to change)."""
    plan = TreatmentPlan.objects.select_related("patient__practice", "therapist").get(pk=plan.pk)
    goals = []
    for node in plan_tree(plan).in_tree_order():
        goal = node.goal
        current: dict[str, Any] = {"status": goal.status}
        if not node.children:
            # A goal with sub-goals has its progress calculated from them.
            current["progress_percentage"] = goal.progress_percentage
        changed = seen.get(goal.pk, GoalSeen()).changed
        goals.append(MergedGoal(node=node, current=current, keep=frozenset(current) & changed))
    return ReviewMerge(plan=plan, goals=goals, plan_changes=_plan_changes_since(plan, loaded_at))


def _plan_changes_since(plan: TreatmentPlan, since: datetime.datetime | None) -> list[PlanChange]:
    if since is None:
        return []
    events = AuditEvent.objects.filter(
        object_type=TreatmentPlan._meta.label_lower,
        object_id=str(plan.pk),
        action__in=[Action.UPDATE, Action.CREATE],
        occurred_at__gt=since,
    ).order_by("occurred_at")[:PLAN_CHANGES_LIMIT]
    return [
        PlanChange(
            who=event.user_email or "the system",
            when=event.occurred_at,
            changes=field_rows(dict(sorted(event.changes.items())), PLAN_LABELS),
        )
        for event in events
    ]
