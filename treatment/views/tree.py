"""The goal tree of the plan page: each goal as a card (its chart, SMART gaps and place among its siblings),
and the tree as the answer to every write of the goal endpoints (progress rolls up the ancestors).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import Truncator
from django_htmx.http import reswap, retarget

from accounts.audit import Action, audit_record
from accounts.fragments import cached_fragment, fragment_key, row_values
from accounts.links import url_of
from treatment.charts import progress_chart_svg
from treatment.forms import SmartCheck, smart_check
from treatment.measure_selectors import ScorePoint, patient_scores
from treatment.models import GoalIntervention, GoalType, TreatmentGoal, TreatmentPlan
from treatment.placeholders import goal_placeholders
from treatment.progress import percentage_to_rating
from treatment.score_selectors import ObjectiveMeasure, objective_measure
from treatment.selectors import GoalNode, PlanTree, plan_tree, progress_series
from treatment.template_forms import BLANK_LABELS, BlanksForm, blank_prompt
from treatment.views.amending import ask_reason, session_reason
from treatment.views.base import PlanPage

#: The tree's headings nest as its goals do (the page's sections are h2).
HEADING_LEVEL: dict[str, int] = {GoalType.LONG_TERM: 3, GoalType.SHORT_TERM: 4, GoalType.OBJECTIVE: 5}

#: The type of goal that goes under a goal of each type (an objective has nothing under it).
CHILD_TYPE: dict[str | None, GoalType] = {
    None: GoalType.LONG_TERM,
    GoalType.LONG_TERM: GoalType.SHORT_TERM,
    GoalType.SHORT_TERM: GoalType.OBJECTIVE,
}


def progress_level(percentage: int) -> str:
    """The colour band of a progress bar (its figure is always printed beside it)."""
    if percentage < 34:
        return "low"
    if percentage < 67:
        return "mid"
    return "high"


def goal_blanks(goal: TreatmentGoal) -> tuple[tuple[str, str], ...]:
    """The goal's fields still holding a template's `[[placeholder]]`, as (label, hint)."""
    return tuple(
        (BLANK_LABELS[name], blank_prompt(getattr(goal, name)))
        for name in goal_placeholders(goal)
        if name in BLANK_LABELS
    )


def trajectory(goal: TreatmentGoal) -> tuple[tuple[str, str], ...]:
    """Baseline -> current -> target with the empty ones left out (no row of dashes on a new goal)."""
    values = (("Baseline", goal.baseline_value), ("current", goal.current_value), ("target", goal.target_value))
    return tuple((label, value.strip()) for label, value in values if value.strip())


@dataclass(frozen=True)
class GoalLinks:
    """Where a goal card's actions go: the goal's edit, move, interventions and history pages, and adding a
    sub-goal under it."""

    edit: str
    move: str
    interventions: str
    history: str
    add_child: str


@dataclass(frozen=True)
class InterventionRow:
    """One of a goal's interventions on its card, with where it is rated."""

    link: GoalIntervention
    edit_url: str


@dataclass(frozen=True)
class GoalCard:
    """A goal as the plan page shows it: its node, chart, SMART check, values, last rating, place among siblings."""

    node: GoalNode
    children: tuple[GoalCard, ...]
    #: The SVG of its rated progress over the plan's span, or None before its first rating.
    chart: str | None
    smart: SmartCheck
    #: Its baseline, current and target values that are filled in, as (label, value) in that order.
    trajectory: tuple[tuple[str, str], ...]
    #: Its latest rating (1-10) and the day it was given, or None before its first rating.
    last_rating: tuple[int, datetime.date] | None
    progress_level: str
    heading_level: int
    #: The type of goal that goes under it (None under an objective), and how the page names it.
    child_type: str | None
    child_label: str
    is_first: bool
    is_last: bool
    #: Its description cut to 80 characters (as `truncatechars:80`), for the labels that name it.
    short: str = ""
    #: Its interventions, each with the link to rate it.
    intervention_rows: tuple[InterventionRow, ...] = ()
    links: GoalLinks | None = None
    #: The instrument driving an objective, with its scores' chart (None for a goal driven by ratings).
    measure: ObjectiveMeasure | None = None
    #: The fields a template left to fill in, as (label, hint): what the card marks and "Fill in the blanks" asks.
    blanks: tuple[tuple[str, str], ...] = ()

    @property
    def goal(self) -> TreatmentGoal:
        return self.node.goal

    @property
    def interventions(self) -> tuple[GoalIntervention, ...]:
        return self.node.interventions

    @property
    def title_id(self) -> str:
        return f"goal-{self.goal.pk}-title"


def goal_list_parts(
    tree: PlanTree,
    series: dict[uuid.UUID, list[tuple[datetime.date, int]]],
    scores: dict[str, list[ScorePoint]],
    *,
    start: datetime.date,
    end: datetime.date,
    editable: bool,
    focus_goal: uuid.UUID | None,
) -> list[object]:
    """Everything the goal list shows, for its fragment's key (`accounts.fragments`): every goal's row and every
    link's with its intervention's, in tree order, the ratings and scores its charts draw over their span, and the
    reader's part (whether they may change the plan, the goal just written)."""
    parts: list[object] = [start, end, editable, focus_goal, scores]
    for node in tree.in_tree_order():
        parts.append(row_values(node.goal))
        parts.extend((row_values(link), row_values(link.intervention)) for link in node.interventions)
        parts.append(series.get(node.goal.pk))
    return parts


def tree_context(
    plan: TreatmentPlan,
    *,
    can_change: bool,
    focus_goal: uuid.UUID | None = None,
    message: str = "",
    error: str = "",
    amending_reason: str = "",
) -> dict[str, Any]:
    """The goal tree (`roots`, its `GoalNode`s) and its list as HTML (`goal_list`: each goal as a card with its chart,
    SMART gaps and place among its siblings), and above them on a signed plan the reason in use for amending it
    (`amending_reason`, `treatment.views.amending`).

    A fixed number of queries whatever the size of the tree: the goals, their interventions and
    the rated progress entries (one each), and the patient's scores when an objective is driven by a measure.
    The list is a fragment kept by what it shows (`goal_list_parts`): the cards are built and rendered only when
    this process has not rendered the same list yet.
    """
    tree = plan_tree(plan)
    series = progress_series(plan)
    driven = any(node.goal.measure_instrument for node in tree.nodes.values())
    scores = patient_scores(plan.patient_id) if driven else {}
    today = plan.patient.practice.today()
    dates = [day for points in series.values() for day, _ in points]
    start = min([plan.start_date, *dates])
    end = max([plan.actual_end_date or max(today, plan.start_date), *dates])

    edit_url, move_url, history_url = url_of("goal-edit"), url_of("goal-move"), url_of("goal-history")
    interventions_url, link_edit_url = url_of("goal-interventions"), url_of("goal-intervention-edit")
    add_url = reverse("goal-add", args=[plan.pk])

    def card(node: GoalNode, position: int, siblings: int) -> GoalCard:
        goal = node.goal
        points = series.get(goal.pk, [])
        child_type = CHILD_TYPE.get(goal.goal_type)
        links = GoalLinks(
            edit=edit_url(goal.pk),
            move=move_url(goal.pk),
            interventions=interventions_url(goal.pk),
            history=history_url(goal.pk),
            add_child=f"{add_url}?parent={goal.pk}",
        )
        return GoalCard(
            short=Truncator(goal.description).chars(80),
            intervention_rows=tuple(InterventionRow(link, link_edit_url(link.pk)) for link in node.interventions),
            links=links,
            node=node,
            children=tuple(card(child, i, len(node.children)) for i, child in enumerate(node.children)),
            chart=progress_chart_svg(
                points,
                start=start,
                end=end,
                label=f"Progress of {goal.get_goal_type_display().lower()} “{goal.description[:60]}”",
            )
            if points
            else None,
            smart=smart_check(goal),
            trajectory=trajectory(goal),
            last_rating=(percentage_to_rating(points[-1][1]), points[-1][0]) if points else None,
            progress_level=progress_level(goal.progress_percentage),
            heading_level=HEADING_LEVEL[goal.goal_type],
            child_type=child_type,
            child_label=GoalType(child_type).label if child_type else "",
            is_first=position == 0,
            is_last=position == siblings - 1,
            measure=objective_measure(goal, scores) if goal.measure_instrument else None,
            blanks=goal_blanks(goal),
        )

    editable = can_change and not plan.is_closed
    key = fragment_key(
        "goal-list",
        goal_list_parts(tree, series, scores, start=start, end=end, editable=editable, focus_goal=focus_goal),
    )

    def cards() -> dict[str, Any]:
        roots = [card(root, i, len(tree.roots)) for i, root in enumerate(tree.roots)]
        return {"roots": roots, "editable": editable, "focus_goal": focus_goal}

    overall = plan.overall_progress
    return {
        "plan": plan,
        "roots": tree.roots,
        "goal_list": cached_fragment(key, "treatment/_goal_list.html", cards) if tree.roots else "",
        "summary": tree.summary,
        "overall_level": progress_level(overall),
        "editable": editable,
        "focus_goal": focus_goal,
        "tree_message": message,
        "tree_error": error,
        "amending_reason": amending_reason,
        "amending_next": f"{plan.get_absolute_url()}#goal-tree",
        "amending_target": "tree",
    }


def tree_order(roots: Iterable) -> Iterator[TreatmentGoal]:
    """The goals of a tree (`GoalNode`s or the plan page's `GoalCard`s) depth first, as the page lists them."""
    for node in roots:
        yield node.goal
        yield from tree_order(node.children)


def blanks_form(request: HttpRequest, plan: TreatmentPlan, goals: Iterable[TreatmentGoal], data=None) -> BlanksForm:
    form = BlanksForm(data, goals=goals)
    return ask_reason(form, request, plan)


def plan_blanks(request: HttpRequest, plan: TreatmentPlan, roots: Iterable, *, editable: bool) -> BlanksForm | None:
    """The plan page's form, from the tree it already read (no query); None when nothing is left or it is read-only."""
    if not editable:
        return None
    form = blanks_form(request, plan, tree_order(roots))
    return form if form.goals else None


def tree_response(
    request, plan: TreatmentPlan, *, focus_goal: uuid.UUID | None = None, message: str = "", error: str = ""
):
    """After a write: the whole tree for htmx (progress rolled up the ancestors), else back to the page.

    `plan` is the plan as the write left it (the services hand it back with the rollup stored).
    """
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif message:
            messages.success(request, message)
        return redirect(f"{plan.get_absolute_url()}#goal-{focus_goal}" if focus_goal else plan.get_absolute_url())
    reason = session_reason(request, plan)
    context = tree_context(
        plan, can_change=True, focus_goal=focus_goal, message=message, error=error, amending_reason=reason
    )
    # "Fill in the blanks" above the tree follows what the write changed (a value filled in the goal's own form).
    context.update(blanks=plan_blanks(request, plan, context["roots"], editable=True), blanks_oob=True)
    response = render(request, "treatment/_plan_goal_tree.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return reswap(retarget(response, "#goal-tree"), "outerHTML")


class PlanGoalTreeView(PlanPage):
    """The goal tree of the plan page on its own (htmx swaps it back in when a form is cancelled)."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        plan = self.plan
        if not request.htmx:
            return redirect(f"{plan.get_absolute_url()}#goal-tree")
        context = tree_context(plan, can_change=self.can_change, amending_reason=session_reason(request, plan))
        audit_record(self.audit, Action.VIEW, plan)
        response = render(request, "treatment/_plan_goal_tree.html", context)
        patch_vary_headers(response, ["HX-Request"])
        return response


urlpatterns = [
    path("plans/<uuid:pk>/goals/", PlanGoalTreeView.as_view(), name="plan-goal-tree"),
]
