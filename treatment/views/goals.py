"""Adding, editing and moving the goals of the plan page's tree.

Every endpoint answers an htmx request with a partial (a form, or the whole goal tree once a write
succeeds, since progress rolls up to the ancestors and the plan) and any other request with a full
page, so the tree can be edited without JavaScript too.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from accounts.audit import Action, audit_record
from accounts.concurrency import StaleWrite
from accounts.forms import add_service_error
from treatment import services
from treatment.forms import GoalForm
from treatment.models import GoalType, TreatmentGoal, TreatmentPlan
from treatment.services.ordering import DIRECTIONS
from treatment.views import amending
from treatment.views.base import PlanPage, refresh_etag, respond
from treatment.views.tree import CHILD_TYPE, tree_response

GOAL_CONFLICT = (
    "Someone else saved this goal first. Your changes are below but not saved: check them against the "
    "current goal (Cancel shows it), then save again to replace it."
)
MOVE_CONFLICT = (
    "Someone else changed this goal first; the tree below is the current one. Move it again if you still want to."
)


class GoalFormPage(PlanPage):
    """The goal form, as a partial in the tree (htmx) or a page of its own."""

    required_action = "change"
    partial = "treatment/_goal_form.html"
    page = "treatment/plan_goal_form.html"

    def form_context(self) -> dict:
        """The heading, the action and what the form is about (each form page says its own)."""
        return {}

    def render_form(self, form: GoalForm, **extra):
        context = {"plan": self.plan, "form": form, **self.form_context(), **extra}
        next_url = f"{self.plan.get_absolute_url()}#goal-tree"
        context.update(amending.amending_context(self.request, self.plan, next_url=next_url, target=form.key))
        return respond(self.request, self.partial, self.page, context)

    def goal_form(self, *args, **kwargs) -> GoalForm:
        """The goal form, asking why on the first change of a signed plan in this session."""
        form = GoalForm(*args, **kwargs)
        amending.ask_reason(form, self.request, self.plan)
        return form


class GoalAddView(GoalFormPage):
    """A new goal: long-term at the top of the tree, or under the goal named by `parent` (GET or POST)."""

    def parent_goal(self) -> TreatmentGoal | None:
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        named = data.get("parent")
        if not named:
            return None
        try:
            parent_id = uuid.UUID(named)
        except ValueError:
            raise Http404("No such goal.") from None
        return get_object_or_404(TreatmentGoal.objects.filter(plan=self.plan), pk=parent_id)

    def setup_goal(self) -> None:
        """The parent named (if any) and the type of goal that goes under it."""
        self.parent = self.parent_goal()
        goal_type = CHILD_TYPE.get(self.parent.goal_type if self.parent else None)
        if goal_type is None:
            raise BadRequest("An objective has no goals under it.")
        self.goal_type = goal_type

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
        self.setup_goal()
        form = self.goal_form(
            key=self.key(),
            goal_type=self.goal_type,
            initial={"parent": self.parent.pk if self.parent else None, "priority": 1},
        )
        audit_record(self.audit, Action.VIEW, self.plan)  # the form shows the plan (and the goal it goes under)
        return self.render_form(form)

    def post(self, request, *args, **kwargs):
        self.setup_goal()
        form = self.goal_form(request.POST, key=self.key(), goal_type=self.goal_type)
        if not form.is_valid():
            return self.render_form(form)
        reason = amending.reason_for_write(form, request, self.plan)
        try:
            goal = services.goal_add(
                by=self.audit,
                plan=self.plan,
                goal_type=self.goal_type,
                parent_goal=self.parent,
                amendment_reason=reason,
                **form.service_fields(),
            )
        except ValidationError as error:
            add_service_error(form, error, GoalForm.SERVICE_ALIASES)
            return self.render_form(form)
        amending.after_write(request, goal.plan, reason)
        return tree_response(request, goal.plan, focus_goal=goal.pk, message="Goal added.")


class GoalEditView(GoalFormPage):
    """A goal's fields, status, priority and SMART answers, saved with its ETag (If-Match)."""

    model = TreatmentGoal
    plan_path = "plan"

    def form_context(self) -> dict:
        return {
            "heading": f"Edit {self.object.get_goal_type_display().lower()}",
            "goal": self.object,
            "action": reverse("goal-edit", args=[self.object.pk]),
            "submit_label": "Save goal",
        }

    def get(self, request, *args, **kwargs):
        audit_record(self.audit, Action.VIEW, self.object)
        return self.render_form(self.goal_form(goal=self.object, key=str(self.object.pk)))

    def post(self, request, *args, **kwargs):
        goal = self.object
        form = self.goal_form(request.POST, goal=goal, key=str(goal.pk))
        if not form.is_valid():
            return self.render_form(form)
        reason = amending.reason_for_write(form, request, self.plan)
        try:
            saved = services.goal_update(
                by=self.audit,
                goal=goal,
                if_match=form.cleaned_data["etag"] or None,
                amendment_reason=reason,
                **form.service_fields(),
            )
        except StaleWrite as stale:
            form.add_error(None, GOAL_CONFLICT)
            refresh_etag(form, stale.current_etag)
            return self.render_form(form)
        except ValidationError as error:
            add_service_error(form, error, GoalForm.SERVICE_ALIASES)
            return self.render_form(form)
        amending.after_write(request, saved.plan, reason)
        return tree_response(request, saved.plan, focus_goal=goal.pk, message="Goal saved.")


class GoalMoveView(PlanPage):
    """POST: move a goal one place up or down among its siblings (`services.goal_move` decides the priorities)."""

    model = TreatmentGoal
    plan_path = "plan"
    required_action = "change"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        goal = self.object
        direction = request.POST.get("direction")
        if direction not in DIRECTIONS:
            raise BadRequest("Move up or down.")
        reason = amending.session_reason(request, self.plan)
        try:
            moved = services.goal_move(
                by=self.audit,
                goal=goal,
                direction=direction,
                if_match=request.POST.get("etag") or None,
                amendment_reason=reason,
            )
        except StaleWrite:
            return tree_response(request, self.current_plan(), focus_goal=goal.pk, error=MOVE_CONFLICT)
        except ValidationError as error:
            return tree_response(request, self.current_plan(), focus_goal=goal.pk, error=" ".join(error.messages))
        amending.after_write(request, self.plan, reason)
        return tree_response(request, self.current_plan(), focus_goal=goal.pk, message="Goal moved." if moved else "")

    def current_plan(self) -> TreatmentPlan:
        """The plan as the move left it (the priorities weigh the rollup)."""
        plans = TreatmentPlan.objects.restrict(self.request.user, "view").select_related(
            "patient__practice", "therapist"
        )
        return plans.get(pk=self.plan.pk)


@require_POST
def goal_smart_hint(request):
    """The SMART-completeness hint for what a goal form holds now (no record is read)."""
    form = GoalForm(request.POST, key=request.POST.get("key", "new"))
    return render(request, "treatment/_goal_smart_hint.html", {"form": form, "hint_key": form.key})


urlpatterns = [
    path("plans/<uuid:pk>/goals/new/", GoalAddView.as_view(), name="goal-add"),
    path("goals/smart-hint/", goal_smart_hint, name="goal-smart-hint"),
    path("goals/<uuid:pk>/edit/", GoalEditView.as_view(), name="goal-edit"),
    path("goals/<uuid:pk>/move/", GoalMoveView.as_view(), name="goal-move"),
]
