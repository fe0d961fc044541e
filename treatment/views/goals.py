"""The goal tree on the plan page: add, edit and reorder goals, link interventions, rate them.

Every endpoint answers an htmx request with a partial (a form, or the whole goal tree once a write
succeeds, since progress rolls up to the ancestors and the plan) and any other request with a full
page, so the tree can be edited without JavaScript too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.views import View
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from accounts.access import can
from accounts.audit import Action, AuditContext, audit_record
from accounts.concurrency import StaleWrite
from accounts.forms import add_service_error
from interventions.models import Intervention
from treatment import services
from treatment.charts import progress_chart_svg
from treatment.forms import SMART_LABELS, GoalForm, GoalInterventionForm, InterventionSearchForm
from treatment.models import GoalIntervention, GoalType, TreatmentGoal, TreatmentPlan
from treatment.selectors import GoalNode, plan_tree, progress_series
from treatment.services.common import require_open
from treatment.services.ordering import DIRECTIONS

GOAL_CONFLICT = (
    "Someone else saved this goal first. Your changes are below but not saved: check them against the "
    "current goal (Cancel shows it), then save again to replace it."
)
MOVE_CONFLICT = (
    "Someone else changed this goal first; the tree below is the current one. Move it again if you still want to."
)
RESULTS_LIMIT = 25
#: The tree's headings nest as its goals do (the page's sections are h2).
HEADING_LEVEL: dict[str, int] = {GoalType.LONG_TERM: 3, GoalType.SHORT_TERM: 4, GoalType.OBJECTIVE: 5}

#: The type of goal that goes under a goal of each type (an objective has nothing under it).
CHILD_TYPE: dict[str | None, GoalType] = {
    None: GoalType.LONG_TERM,
    GoalType.LONG_TERM: GoalType.SHORT_TERM,
    GoalType.SHORT_TERM: GoalType.OBJECTIVE,
}


# --- lookups and responses shared by the goal endpoints and the plan page ---------------------------


def plan_or_404(request, pk, action: str = "view") -> TreatmentPlan:
    """The plan if the user may see it (else 404); `change` also needs the change right (else 403)."""
    plans = TreatmentPlan.objects.restrict(request.user, "view").select_related("patient__practice", "therapist")
    plan = get_object_or_404(plans, pk=pk)
    if action == "change" and not can(request.user, "change", plan.patient):
        raise PermissionDenied("You can read this plan but not change it.")
    return plan


def goal_or_404(request, pk, action: str = "change") -> TreatmentGoal:
    goals = TreatmentGoal.objects.restrict(request.user, "view").select_related(
        "plan__patient__practice", "plan__therapist"
    )
    goal = get_object_or_404(goals, pk=pk)
    if action == "change" and not can(request.user, "change", goal.plan.patient):
        raise PermissionDenied("You can read this plan but not change it.")
    return goal


def respond(request, partial: str, page: str, context: dict):
    """The partial for htmx, the full page otherwise (the one place that decides)."""
    response = render(request, partial if request.htmx else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def progress_level(percentage: int) -> str:
    """The colour band of a progress bar (its figure is always printed beside it)."""
    if percentage < 34:
        return "low"
    if percentage < 67:
        return "mid"
    return "high"


@dataclass(frozen=True)
class GoalCard:
    """A goal as the plan page shows it: its tree node, its chart, SMART gaps and place among its siblings."""

    node: GoalNode
    children: tuple[GoalCard, ...]
    #: The SVG of its rated progress over the plan's span, or None before its first rating.
    chart: str | None
    smart_gaps: list[str]
    progress_level: str
    heading_level: int
    #: The type of goal that goes under it (None under an objective), and how the page names it.
    child_type: str | None
    child_label: str
    is_first: bool
    is_last: bool

    @property
    def goal(self) -> TreatmentGoal:
        return self.node.goal

    @property
    def interventions(self) -> tuple[GoalIntervention, ...]:
        return self.node.interventions

    @property
    def title_id(self) -> str:
        return f"goal-{self.goal.pk}-title"


def tree_context(
    plan: TreatmentPlan, *, can_change: bool, focus_goal: uuid.UUID | None = None, message: str = "", error: str = ""
) -> dict[str, Any]:
    """The goal tree as cards (`roots`), each with its chart, SMART gaps and place among its siblings.

    A fixed number of queries whatever the size of the tree: the goals, their interventions and
    the rated progress entries (one each).
    """
    tree = plan_tree(plan)
    series = progress_series(plan)
    today = plan.patient.practice.today()
    dates = [day for points in series.values() for day, _ in points]
    start = min([plan.start_date, *dates])
    end = max([plan.actual_end_date or max(today, plan.start_date), *dates])

    def card(node: GoalNode, position: int, siblings: int) -> GoalCard:
        goal = node.goal
        points = series.get(goal.pk, [])
        child_type = CHILD_TYPE.get(goal.goal_type)
        return GoalCard(
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
            smart_gaps=[SMART_LABELS[part] for part in services.smart_missing(goal)],
            progress_level=progress_level(goal.progress_percentage),
            heading_level=HEADING_LEVEL[goal.goal_type],
            child_type=child_type,
            child_label=GoalType(child_type).label if child_type else "",
            is_first=position == 0,
            is_last=position == siblings - 1,
        )

    overall = plan.overall_progress
    return {
        "plan": plan,
        "roots": [card(root, i, len(tree.roots)) for i, root in enumerate(tree.roots)],
        "summary": tree.summary,
        "overall_level": progress_level(overall),
        "editable": can_change and not plan.is_closed,
        "focus_goal": focus_goal,
        "tree_message": message,
        "tree_error": error,
    }


def tree_response(request, plan_pk, *, focus_goal=None, message: str = "", error: str = ""):
    """After a write: the whole tree for htmx (progress rolled up the ancestors), else back to the page."""
    plan = TreatmentPlan.objects.select_related("patient__practice", "therapist").get(pk=plan_pk)
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif message:
            messages.success(request, message)
        return redirect(f"{plan.get_absolute_url()}#goal-{focus_goal}" if focus_goal else plan.get_absolute_url())
    context = tree_context(plan, can_change=True, focus_goal=focus_goal, message=message, error=error)
    response = render(request, "treatment/_plan_goal_tree.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return reswap(retarget(response, "#goal-tree"), "outerHTML")


def refresh_etag(form, etag: str) -> None:
    """After a conflict the form keeps what was typed and now names the current state, so saving again
    is a deliberate overwrite."""
    form.data = form.data.copy()
    form.data["etag"] = etag


def _parse_uuid(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise Http404("No such goal.") from None


# --- the tree ---------------------------------------------------------------------------------------


@login_required
def plan_goal_tree(request, pk):
    """The goal tree of the plan page on its own (htmx swaps it back in when a form is cancelled)."""
    plan = plan_or_404(request, pk)
    if not request.htmx:
        return redirect(f"{plan.get_absolute_url()}#goal-tree")
    context = tree_context(plan, can_change=can(request.user, "change", plan.patient))
    audit_record(AuditContext.from_request(request), Action.VIEW, plan)
    response = render(request, "treatment/_plan_goal_tree.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


class GoalFormMixin(LoginRequiredMixin):
    partial = "treatment/_goal_form.html"
    page = "treatment/plan_goal_form.html"

    @property
    def audit(self) -> AuditContext:
        return AuditContext.from_request(self.request)

    def render_form(self, form, **extra):
        context = {"plan": self.plan, "form": form, **self.form_context(), **extra}
        return respond(self.request, self.partial, self.page, context)


class GoalAddView(GoalFormMixin, View):
    """A new goal: long-term at the top of the tree, or under the goal named by `parent`."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.plan = plan_or_404(request, kwargs["pk"], "change")
        require_open(self.plan)
        parent_id = request.POST.get("parent") if request.method == "POST" else request.GET.get("parent")
        self.parent = None
        if parent_id:
            self.parent = get_object_or_404(TreatmentGoal.objects.filter(plan=self.plan), pk=_parse_uuid(parent_id))
        self.goal_type = CHILD_TYPE.get(self.parent.goal_type if self.parent else None)
        if self.goal_type is None:
            return HttpResponseBadRequest("An objective has no goals under it.")
        return super().dispatch(request, *args, **kwargs)

    def form_context(self) -> dict:
        label = GoalType(self.goal_type).label
        return {
            "heading": f"New {label[0].lower()}{label[1:]}",
            "parent": self.parent,
            "action": reverse("goal-add", args=[self.plan.pk]),
            "submit_label": "Save goal",
        }

    def key(self) -> str:
        return f"new-{self.parent.pk if self.parent else 'root'}"

    def get(self, request, *args, **kwargs):
        form = GoalForm(key=self.key(), initial={"parent": self.parent.pk if self.parent else None, "priority": 1})
        return self.render_form(form)

    def post(self, request, *args, **kwargs):
        form = GoalForm(request.POST, key=self.key())
        if not form.is_valid():
            return self.render_form(form)
        try:
            goal = services.goal_add(
                by=self.audit,
                plan=self.plan,
                goal_type=self.goal_type,
                parent_goal=self.parent,
                **form.service_fields(),
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_form(form)
        return tree_response(request, self.plan.pk, focus_goal=goal.pk, message="Goal added.")


class GoalEditView(GoalFormMixin, View):
    """A goal's fields, status, priority and SMART answers, saved with its ETag (If-Match)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.goal = goal_or_404(request, kwargs["pk"], "change")
        self.plan = self.goal.plan
        require_open(self.plan)
        return super().dispatch(request, *args, **kwargs)

    def form_context(self) -> dict:
        return {
            "heading": f"Edit {self.goal.get_goal_type_display().lower()}",
            "goal": self.goal,
            "action": reverse("goal-edit", args=[self.goal.pk]),
            "submit_label": "Save goal",
        }

    def get(self, request, *args, **kwargs):
        audit_record(self.audit, Action.VIEW, self.goal)
        return self.render_form(GoalForm(goal=self.goal, key=str(self.goal.pk)))

    def post(self, request, *args, **kwargs):
        form = GoalForm(request.POST, goal=self.goal, key=str(self.goal.pk))
        if not form.is_valid():
            return self.render_form(form)
        try:
            services.goal_update(
                by=self.audit, goal=self.goal, if_match=form.cleaned_data["etag"] or None, **form.service_fields()
            )
        except StaleWrite as stale:
            form.add_error(None, GOAL_CONFLICT)
            refresh_etag(form, stale.current_etag)
            return self.render_form(form)
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_form(form)
        return tree_response(request, self.plan.pk, focus_goal=self.goal.pk, message="Goal saved.")


@login_required
@require_POST
def goal_smart_hint(request):
    """The SMART-completeness hint for what a goal form holds now (no record is read)."""
    form = GoalForm(request.POST, key=request.POST.get("key", "new"))
    return render(request, "treatment/_goal_smart_hint.html", {"form": form, "hint_key": form.key})


@login_required
@require_POST
def goal_move(request, pk):
    """Move a goal one place up or down among its siblings (`services.goal_move` decides the priorities)."""
    goal = goal_or_404(request, pk, "change")
    require_open(goal.plan)
    direction = request.POST.get("direction")
    if direction not in DIRECTIONS:
        return HttpResponseBadRequest("Move up or down.")
    try:
        moved = services.goal_move(
            by=AuditContext.from_request(request),
            goal=goal,
            direction=direction,
            if_match=request.POST.get("etag") or None,
        )
    except StaleWrite:
        return tree_response(request, goal.plan_id, focus_goal=goal.pk, error=MOVE_CONFLICT)
    except ValidationError as error:
        return tree_response(request, goal.plan_id, focus_goal=goal.pk, error=" ".join(error.messages))
    return tree_response(request, goal.plan_id, focus_goal=goal.pk, message="Goal moved." if moved else "")


# --- interventions ----------------------------------------------------------------------------------


class GoalInterventionsView(LoginRequiredMixin, View):
    """GET: the library picker (search and modality filter) for a goal; POST: link one with its frequency."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.goal = goal_or_404(request, kwargs["pk"], "change")
        require_open(self.goal.plan)
        return super().dispatch(request, *args, **kwargs)

    def results(self, search: InterventionSearchForm):
        if not search.is_valid():
            return []
        library = Intervention.objects.available_to(self.request.user).active()
        for word in search.cleaned_data["q"].split():
            library = library.filter(Q(name__icontains=word) | Q(description__icontains=word))
        if search.cleaned_data["modality"]:
            library = library.filter(modality=search.cleaned_data["modality"])
        return list(library.order_by("name")[:RESULTS_LIMIT])

    def render_picker(self, search, *, error: str = "", frequency: dict | None = None):
        goal = self.goal
        results = self.results(search)
        for item in results:
            item.typed_frequency = (frequency or {}).get(item.pk, "")
        context = {
            "plan": goal.plan,
            "goal": goal,
            "search": search,
            "results": results,
            "linked": set(GoalIntervention.objects.filter(goal=goal).values_list("intervention_id", flat=True)),
            "picker_error": error,
        }
        return respond(
            self.request, "treatment/_goal_intervention_picker.html", "treatment/plan_goal_interventions.html", context
        )

    def get(self, request, *args, **kwargs):
        audit_record(AuditContext.from_request(request), Action.VIEW, self.goal)
        return self.render_picker(InterventionSearchForm(request.GET, key=str(self.goal.pk)))

    def post(self, request, *args, **kwargs):
        search = InterventionSearchForm(request.POST, key=str(self.goal.pk))
        chosen = request.POST.get("intervention", "")
        frequency = request.POST.get("frequency", "").strip()
        try:
            chosen_id = uuid.UUID(chosen)
        except ValueError:
            return self.render_picker(search, error="Choose an intervention from the list.")
        intervention = Intervention.objects.available_to(request.user).filter(pk=chosen_id).first()
        if intervention is None:
            return self.render_picker(search, error="Choose an intervention from your practice's library.")
        if len(frequency) > 50:
            return self.render_picker(
                search, error="Keep the frequency under 50 characters.", frequency={intervention.pk: frequency}
            )
        try:
            services.goal_intervention_add(
                by=AuditContext.from_request(request), goal=self.goal, intervention=intervention, frequency=frequency
            )
        except ValidationError as error:
            return self.render_picker(search, error=" ".join(error.messages), frequency={intervention.pk: frequency})
        return tree_response(
            request, self.goal.plan_id, focus_goal=self.goal.pk, message=f"{intervention.name} added to the goal."
        )


class GoalInterventionEditView(LoginRequiredMixin, View):
    """An intervention's use for a goal: frequency, notes and effectiveness rating 1-5."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        links = GoalIntervention.objects.restrict(request.user, "view").select_related(
            "intervention", "goal__plan__patient__practice", "goal__plan__therapist"
        )
        self.link = get_object_or_404(links, pk=kwargs["pk"])
        self.plan = self.link.goal.plan
        if not can(request.user, "change", self.plan.patient):
            raise PermissionDenied("You can read this plan but not change it.")
        require_open(self.plan)
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form):
        context = {"plan": self.plan, "goal": self.link.goal, "link": self.link, "form": form}
        return respond(
            self.request,
            "treatment/_goal_intervention_form.html",
            "treatment/plan_goal_intervention_form.html",
            context,
        )

    def get(self, request, *args, **kwargs):
        audit_record(AuditContext.from_request(request), Action.VIEW, self.link)
        return self.render_form(GoalInterventionForm(link=self.link))

    def post(self, request, *args, **kwargs):
        form = GoalInterventionForm(request.POST, link=self.link)
        if not form.is_valid():
            return self.render_form(form)
        try:
            services.goal_intervention_update(
                by=AuditContext.from_request(request), link=self.link, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_form(form)
        return tree_response(
            request, self.plan.pk, focus_goal=self.link.goal_id, message=f"{self.link.intervention.name} saved."
        )


urlpatterns = [
    path("plans/<uuid:pk>/goals/", plan_goal_tree, name="plan-goal-tree"),
    path("plans/<uuid:pk>/goals/new/", GoalAddView.as_view(), name="goal-add"),
    path("goals/smart-hint/", goal_smart_hint, name="goal-smart-hint"),
    path("goals/<uuid:pk>/edit/", GoalEditView.as_view(), name="goal-edit"),
    path("goals/<uuid:pk>/move/", goal_move, name="goal-move"),
    path("goals/<uuid:pk>/interventions/", GoalInterventionsView.as_view(), name="goal-interventions"),
    path("goal-interventions/<uuid:pk>/edit/", GoalInterventionEditView.as_view(), name="goal-intervention-edit"),
]
