"""Reads of the plan tree: a constant number of queries, however many goals a plan has."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from treatment.models import (
    GoalIntervention,
    GoalProgress,
    GoalStatus,
    PlanAmendment,
    SessionAddendum,
    SessionIntervention,
    TherapySession,
    TreatmentGoal,
    TreatmentPlan,
)
from treatment.progress import rating_to_percentage, summarize


@dataclass(frozen=True)
class GoalNode:
    """A goal of a plan's tree with its sub-goals and the interventions that serve it."""

    goal: TreatmentGoal
    #: Its sub-goals, by priority (then as they were added).
    children: tuple[GoalNode, ...]
    #: Its links to interventions (each with its intervention loaded), as they were added.
    interventions: tuple[GoalIntervention, ...]


@dataclass(frozen=True)
class PlanTree:
    """A plan's whole goal tree: its long-term goals at the roots, and its progress summary."""

    plan: TreatmentPlan
    roots: tuple[GoalNode, ...]
    #: Every goal of the plan (of every level) by its id.
    nodes: dict[uuid.UUID, GoalNode]
    #: Goals of every level counted by status, and the plan's overall progress (`treatment.progress.summarize`).
    summary: dict[str, int]

    def node(self, goal_id: uuid.UUID) -> GoalNode:
        return self.nodes[goal_id]

    def in_tree_order(self) -> list[GoalNode]:
        """Every goal depth first, as the pages list them: each long-term goal, then its short-term goals, each
        followed by its objectives."""
        ordered: list[GoalNode] = []

        def walk(nodes: Iterable[GoalNode]) -> None:
            for node in nodes:
                ordered.append(node)
                walk(node.children)

        walk(self.roots)
        return ordered


def plan_tree(plan: TreatmentPlan) -> PlanTree:
    """The plan's goal tree, each goal with its sub-goals and interventions.

    Two queries: every goal of the plan (each carries its plan id), and every goal's interventions.
    """
    goals = list(TreatmentGoal.objects.filter(plan_id=plan.pk).order_by("priority", "created_at"))
    links: dict[uuid.UUID, list[GoalIntervention]] = defaultdict(list)
    for link in (
        GoalIntervention.objects.filter(goal__plan_id=plan.pk).select_related("intervention").order_by("created_at")
    ):
        links[link.goal_id].append(link)
    children: dict[uuid.UUID | None, list[TreatmentGoal]] = defaultdict(list)
    for goal in goals:
        children[goal.parent_goal_id].append(goal)
    nodes: dict[uuid.UUID, GoalNode] = {}

    def build(goal: TreatmentGoal) -> GoalNode:
        node = GoalNode(
            goal=goal,
            children=tuple(build(child) for child in children[goal.pk]),
            interventions=tuple(links[goal.pk]),
        )
        nodes[goal.pk] = node
        return node

    roots = tuple(build(goal) for goal in children[None])
    # Every goal hangs from a root (a goal's parent is a goal of the same plan), so `nodes` holds them all.
    return PlanTree(plan=plan, roots=roots, nodes=nodes, summary=summarize(goals, plan.overall_progress))


def with_progress_summary(plans: QuerySet[TreatmentPlan]) -> QuerySet[TreatmentPlan]:
    """Annotate a plan queryset with goal counts by status, for lists (one query, no tree)."""
    counts = {f"n_{status}": Count("goals", filter=Q(goals__status=status)) for status in GoalStatus.values}
    # A GROUP BY query drops Meta.ordering, so the order is spelled out for stable pages.
    return plans.annotate(n_total=Count("goals"), **counts).order_by("-start_date", "-created_at", "pk")


def summary_from_annotations(plan: TreatmentPlan) -> dict[str, int]:
    """The progress summary of a plan from `with_progress_summary`'s counts (the same as `PlanTree.summary`)."""
    # The annotations are named at run time, so they are read by name.
    counts = {key: getattr(plan, f"n_{key}") for key in ("total", *GoalStatus.values)}
    return {"total_goals": counts.pop("total"), **counts, "overall_progress": plan.overall_progress}


def progress_series(
    plan: TreatmentPlan, *, start: datetime.date | None = None, end: datetime.date | None = None
) -> dict[uuid.UUID, list[tuple[datetime.date, int]]]:
    """{goal_id: [(date, percent), ...]} from the plan's rated progress entries, for the charts.

    One query. A rating r is r*10 percent (the leaf rule of the progress rollup); dates are the
    practice's calendar days, and a day with several entries keeps its latest.
    """
    zone = plan.patient.practice.zoneinfo
    entries = GoalProgress.objects.filter(goal__plan_id=plan.pk, rating__isnull=False)
    if start is not None:
        entries = entries.filter(recorded_at__gte=datetime.datetime.combine(start, datetime.time.min, tzinfo=zone))
    if end is not None:
        after_end = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
        entries = entries.filter(recorded_at__lt=after_end)
    by_goal: dict[uuid.UUID, dict[datetime.date, int]] = defaultdict(dict)
    for goal_id, recorded_at, rating in entries.order_by("recorded_at").values_list("goal_id", "recorded_at", "rating"):
        if rating is not None:  # (always: only rated entries are read)
            by_goal[goal_id][recorded_at.astimezone(zone).date()] = rating_to_percentage(rating)
    return {goal_id: sorted(days.items()) for goal_id, days in by_goal.items()}


# --- a session's record and a goal's history ---------------------------------------------------------


@dataclass(frozen=True)
class SessionGoalNote:
    """A goal a session addressed, with what the session recorded on it and delivered for it."""

    goal: TreatmentGoal
    #: The session's progress entries on this goal (each with `recorded_by`), as they were recorded.
    progress: tuple[GoalProgress, ...]
    #: The interventions the session delivered for this goal (each with its intervention).
    interventions: tuple[SessionIntervention, ...]


@dataclass(frozen=True)
class SessionNotes:
    """A session as it is read back: its notes, each goal it addressed, what it delivered, its addenda."""

    session: TherapySession
    #: The goals addressed, in the plan's tree order (long-term goal, its short-term goals, their objectives).
    goals: tuple[SessionGoalNote, ...]
    #: Interventions delivered without naming a goal.
    other_interventions: tuple[SessionIntervention, ...]
    #: The corrections appended to the record (each with its author), oldest first.
    addenda: tuple[SessionAddendum, ...]


def session_notes(session: TherapySession) -> SessionNotes:
    """What `session` recorded, for reading it again. Five queries, however many goals it addressed: the
    session's progress entries, its interventions, its addenda, the goals it addressed, and the plan's goals
    (to list those in the plan's order)."""
    progress: dict[uuid.UUID, list[GoalProgress]] = defaultdict(list)
    for entry in session.progress_entries.select_related("recorded_by").order_by("recorded_at", "id"):
        progress[entry.goal_id].append(entry)
    delivered: dict[uuid.UUID | None, list[SessionIntervention]] = defaultdict(list)
    for link in session.session_interventions.select_related("intervention").order_by("intervention__name"):
        delivered[link.goal_id].append(link)
    addenda = tuple(session.addenda.select_related("author").order_by("created_at", "id"))
    goals: list[SessionGoalNote] = []
    if session.plan_id is not None:
        addressed = set(session.goals_addressed.values_list("pk", flat=True))
        plan_goals = TreatmentGoal.objects.filter(plan_id=session.plan_id).order_by("priority", "created_at")
        for goal in _tree_order(list(plan_goals)):
            if goal.pk in addressed or goal.pk in progress or goal.pk in delivered:
                notes = SessionGoalNote(goal, tuple(progress[goal.pk]), tuple(delivered.get(goal.pk, ())))
                goals.append(notes)
    return SessionNotes(
        session=session, goals=tuple(goals), other_interventions=tuple(delivered.get(None, ())), addenda=addenda
    )


def _tree_order(goals: list[TreatmentGoal]) -> list[TreatmentGoal]:
    """The goals depth first, each followed by its sub-goals (as `PlanTree.in_tree_order`), from one list."""
    children: dict[uuid.UUID | None, list[TreatmentGoal]] = defaultdict(list)
    for goal in goals:
        children[goal.parent_goal_id].append(goal)
    ordered: list[TreatmentGoal] = []

    def walk(parent_id: uuid.UUID | None) -> None:
        for goal in children[parent_id]:
            ordered.append(goal)
            walk(goal.pk)

    walk(None)
    return ordered


@dataclass(frozen=True)
class GoalHistory:
    """A goal's progress entries, newest first, each with its author and the session it came from."""

    goal: TreatmentGoal
    entries: tuple[GoalProgress, ...]


def goal_history(goal: TreatmentGoal) -> GoalHistory:
    """Every progress entry of `goal`, newest first (one query)."""
    entries = goal.progress_entries.select_related("recorded_by", "session").order_by("-recorded_at", "-id")
    return GoalHistory(goal=goal, entries=tuple(entries))


# --- the last session carries forward ----------------------------------------------------------


@dataclass(frozen=True)
class LastProgress:
    """A goal's latest progress entry, shown read-only when the next session is recorded."""

    goal_id: uuid.UUID
    note: str
    value: str
    rating: int | None
    #: The practice's calendar day it speaks for: its session's date, else the day it was recorded.
    day: datetime.date


@dataclass(frozen=True)
class DeliveredIntervention:
    """An intervention a session delivered, for a goal or (goal_id None) for the session as a whole."""

    intervention_id: uuid.UUID
    name: str
    goal_id: uuid.UUID | None


@dataclass(frozen=True)
class LastSession:
    """The interventions the plan's latest session delivered: what "same interventions as last time" fills in."""

    session_date: datetime.date
    interventions: tuple[DeliveredIntervention, ...]


def last_progress_by_goal(plan: TreatmentPlan) -> dict[uuid.UUID, LastProgress]:
    """{goal_id: its latest progress entry} for every goal of the plan that has one.

    One query for all goals: each entry is kept if it is its goal's latest (a correlated subquery on the
    (goal, recorded_at) index), so the cost does not grow with the number of goals or entries.
    """
    zone = plan.patient.practice.zoneinfo
    latest = GoalProgress.objects.filter(goal_id=OuterRef("goal_id")).order_by("-recorded_at", "-pk").values("pk")[:1]
    rows = GoalProgress.objects.filter(goal__plan_id=plan.pk, pk=Subquery(latest)).values_list(
        "goal_id", "progress_note", "progress_value", "rating", "recorded_at", "session__session_date"
    )
    return {
        goal_id: LastProgress(
            goal_id=goal_id,
            note=note,
            value=value,
            rating=rating,
            day=session_date or recorded_at.astimezone(zone).date(),
        )
        for goal_id, note, value, rating, recorded_at, session_date in rows
    }


def last_session(plan: TreatmentPlan) -> LastSession | None:
    """The plan's latest session with the interventions it delivered (one query); None before the first
    session, or when the latest delivered none (then there is nothing to repeat)."""
    newest = TherapySession.objects.filter(plan_id=plan.pk).order_by("-session_date", "-created_at").values("pk")[:1]
    rows = list(
        SessionIntervention.objects.filter(session=Subquery(newest))
        .order_by("intervention__name", "goal_id")
        .values_list("session__session_date", "intervention_id", "intervention__name", "goal_id")
    )
    if not rows:
        return None
    return LastSession(
        session_date=rows[0][0],
        interventions=tuple(
            DeliveredIntervention(intervention_id=pk, name=name, goal_id=goal_id) for _, pk, name, goal_id in rows
        ),
    )


@dataclass(frozen=True)
class AmendmentRead:
    """One amendment of a signed plan as the version pages show it: why, who, when, what it changed."""

    amendment: PlanAmendment
    reason: str
    author: str
    created_at: datetime.datetime
    amends_version: int | None
    #: The `changes` entries: {"object", "id", "label", "action", "fields"[, "goal_id", "intervention_id"]}.
    changes: tuple[dict, ...]


def plan_amendments(
    plan: TreatmentPlan, *, after: datetime.datetime | None = None, until: datetime.datetime | None = None
) -> list[AmendmentRead]:
    """The plan's amendments made after `after` and up to `until` (either open), oldest first; one query, none for
    a plan never signed (which has none)."""
    if plan.first_signed_at is None:
        return []
    amendments = PlanAmendment.objects.filter(plan=plan).select_related("author").order_by("created_at", "id")
    if after is not None:
        amendments = amendments.filter(created_at__gt=after)
    if until is not None:
        amendments = amendments.filter(created_at__lte=until)
    reads = []
    for amendment in amendments:
        amendment.plan = plan  # the audit of the read names the plan's patient without reading it again
        reads.append(
            AmendmentRead(
                amendment=amendment,
                reason=amendment.reason,
                author=amendment.author.get_full_name() or amendment.author.email,
                created_at=amendment.created_at,
                amends_version=amendment.amends_version,
                changes=tuple(amendment.changes or ()),
            )
        )
    return reads
