"""Reads of the plan tree: a constant number of queries, however many goals a plan has."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, Q

from treatment.models import GoalIntervention, GoalProgress, GoalStatus, TreatmentGoal, TreatmentPlan
from treatment.progress import summarize


def plan_tree(plan: TreatmentPlan) -> list[TreatmentGoal]:
    """The plan's goals, each with `tree_children` and `tree_interventions` attached; returns the roots.

    Two queries: every goal of the plan (each carries its plan id), and every goal's interventions.
    Also sets `plan.all_goals` and `plan.progress_summary`.
    """
    goals = list(TreatmentGoal.objects.filter(plan_id=plan.pk).order_by("priority", "created_at"))
    links = defaultdict(list)
    for link in (
        GoalIntervention.objects.filter(goal__plan_id=plan.pk).select_related("intervention").order_by("created_at")
    ):
        links[link.goal_id].append(link)
    children = defaultdict(list)
    for goal in goals:
        goal.tree_interventions = links[goal.pk]
        children[goal.parent_goal_id].append(goal)
    for goal in goals:
        goal.tree_children = children[goal.pk]
    plan.all_goals = goals
    plan.progress_summary = summarize(goals, plan.overall_progress)
    return children[None]


def goal_subtree(goal: TreatmentGoal) -> TreatmentGoal:
    """The goal with its sub-goals and interventions attached, loaded with its whole plan's tree."""
    plan_tree(goal.plan)
    return next(g for g in goal.plan.all_goals if g.pk == goal.pk)


def with_progress_summary(plans):
    """Annotate a plan queryset with goal counts by status, for lists (one query, no tree)."""
    counts = {f"n_{status}": Count("goals", filter=Q(goals__status=status)) for status in GoalStatus.values}
    # A GROUP BY query drops Meta.ordering, so the order is spelled out for stable pages.
    return plans.annotate(n_total=Count("goals"), **counts).order_by("-start_date", "-created_at", "pk")


def summary_from_annotations(plan: TreatmentPlan) -> dict:
    return {
        "total_goals": plan.n_total,
        **{status: getattr(plan, f"n_{status}") for status in GoalStatus.values},
        "overall_progress": plan.overall_progress,
    }


def progress_series(
    plan: TreatmentPlan, *, start: datetime.date | None = None, end: datetime.date | None = None
) -> dict:
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
    by_goal: dict = defaultdict(dict)
    for goal_id, recorded_at, rating in entries.order_by("recorded_at").values_list("goal_id", "recorded_at", "rating"):
        by_goal[goal_id][recorded_at.astimezone(zone).date()] = rating * 10
    return {goal_id: sorted(days.items()) for goal_id, days in by_goal.items()}
