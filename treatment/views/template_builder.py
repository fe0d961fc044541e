"""The template builder: a practice template's goals added, edited and removed, and their interventions.

Each change is made to the tree as the template holds it when the change is posted, and the tree goes whole through
`plan_template_update(goals=...)`, whose `clean_tree` checks the hierarchy, the fields, the measures and that every
intervention is in the practice's library; a refusal comes back on the goal's form (the service names each field
by its path in the tree, `goals[0].sub_goals[1].target_value`), with everything typed. Every write rebuilds the
tree's rows, so a goal's page posted after someone else changed the template answers 404 (look again) rather
than overwrite their change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import path, reverse

from treatment.models import GoalType, PlanTemplate
from treatment.services.templates import plan_template_update
from treatment.template_forms import TemplateGoalForm, TemplateInterventionForm
from treatment.template_selectors import TemplateNode, template_tree, tree_as_data
from treatment.views.templates import TemplatePage

#: The type of goal at each depth of a template's tree.
DEPTH_TYPE = (GoalType.LONG_TERM, GoalType.SHORT_TERM, GoalType.OBJECTIVE)
GONE = "This goal is no longer in the template: it was changed meanwhile. Open the template again."


@dataclass
class Located:
    """A goal of the tree being edited: its node as read, its dict, the list that holds it, its path and depth."""

    node: TemplateNode
    item: dict[str, Any]
    siblings: list[dict[str, Any]]
    path: str
    depth: int


def locate(nodes: list[TemplateNode], tree: list[dict[str, Any]]) -> dict[str, Located]:
    index: dict[str, Located] = {}

    def visit(nodes: list[TemplateNode], items: list[dict[str, Any]], prefix: str, depth: int) -> None:
        for position, (node, item) in enumerate(zip(nodes, items, strict=True)):
            where = f"{prefix}[{position}]"
            index[node.id] = Located(node, item, items, where, depth)
            visit(node.children, item["sub_goals"], f"{where}.sub_goals", depth + 1)

    visit(nodes, tree, "goals", 0)
    return index


def path_errors(form: forms.Form, error: ValidationError, where: str) -> None:
    """The service's refusal on the form: a field of the goal at `where` beside its field, anything else above."""
    for name, errors in (error.message_dict if hasattr(error, "error_dict") else {"": error.messages}).items():
        field = name.removeprefix(f"{where}.") if name.startswith(f"{where}.") else None
        if field and field.startswith("interventions"):
            field = None
        form.add_error(field if field in form.fields else None, errors)


class TemplateTreePage(TemplatePage):
    """A page that changes a practice template's tree: the tree as it now stands, indexed by goal."""

    required_action = "change"

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        self.node_id = str(kwargs.get("node", "")) or None
        return super().dispatch(request, *args, **kwargs)

    @property
    def template(self) -> PlanTemplate:
        return self.object

    def load_tree(self) -> None:
        self.nodes = template_tree(self.template)
        self.tree = tree_as_data(self.nodes)
        self.index = locate(self.nodes, self.tree)

    def located(self, node_id: str | None) -> Located:
        if node_id not in self.index:
            raise Http404(GONE)
        return self.index[node_id]

    def save_tree(self) -> None:
        plan_template_update(by=self.audit, template=self.template, goals=self.tree)

    def back(self, message: str = ""):
        if message:
            messages.success(self.request, message)
        return redirect(f"{reverse('plan-template-detail', args=[self.template.pk])}#template-tree")


class TemplateGoalFormPage(TemplateTreePage):
    http_method_names = ["get", "post"]

    def render_form(self, form: TemplateGoalForm, **context):
        context = {"template": self.template, "form": form, **context}
        return render(self.request, "treatment/template_goal_form.html", context)


class TemplateGoalAddView(TemplateGoalFormPage):
    """`/templates/<pk>/goals/new/`: a long-term goal, or (`?parent=`) a goal under the one named."""

    def setup_parent(self) -> None:
        self.load_tree()
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        named = data.get("parent") or None
        self.parent = self.located(named) if named else None
        depth = self.parent.depth + 1 if self.parent else 0
        if depth >= len(DEPTH_TYPE):
            raise BadRequest("An objective has no goals under it.")
        self.goal_type = DEPTH_TYPE[depth]

    def render_add(self, form: TemplateGoalForm):
        label = self.goal_type.label
        return self.render_form(form, heading=f"New {label[0].lower()}{label[1:]}", parent=self.parent)

    def get(self, request: HttpRequest, *args, **kwargs):
        self.setup_parent()
        is_objective = self.goal_type == GoalType.OBJECTIVE
        return self.render_add(TemplateGoalForm(is_objective=is_objective, initial={"priority": 1}))

    def post(self, request: HttpRequest, *args, **kwargs):
        self.setup_parent()
        form = TemplateGoalForm(request.POST, is_objective=self.goal_type == GoalType.OBJECTIVE)
        if not form.is_valid():
            return self.render_add(form)
        siblings = self.parent.item["sub_goals"] if self.parent else self.tree
        where = f"{self.parent.path}.sub_goals" if self.parent else "goals"
        siblings.append({**form.tree_fields(), "interventions": [], "sub_goals": []})
        try:
            self.save_tree()
        except ValidationError as error:
            path_errors(form, error, f"{where}[{len(siblings) - 1}]")
            return self.render_add(form)
        return self.back("Goal added.")


class TemplateGoalEditView(TemplateGoalFormPage):
    """`/templates/<pk>/goals/<node>/edit/`: a goal's fields, and its interventions (added and removed here)."""

    def render_edit(self, form: TemplateGoalForm, link_form: TemplateInterventionForm | None = None):
        located = self.located(self.node_id)
        link_form = link_form or TemplateInterventionForm(user=self.request.user, auto_id="link-%s")
        label = DEPTH_TYPE[located.depth].label
        return self.render_form(
            form, heading=f"Edit {label.lower()}", node=located.node, link_form=link_form, editing=True
        )

    def get(self, request: HttpRequest, *args, **kwargs):
        self.load_tree()
        located = self.located(self.node_id)
        form = TemplateGoalForm(initial=TemplateGoalForm.initial_for(located.item), is_objective=located.depth == 2)
        return self.render_edit(form)

    def post(self, request: HttpRequest, *args, **kwargs):
        self.load_tree()
        located = self.located(self.node_id)
        form = TemplateGoalForm(request.POST, is_objective=located.depth == 2)
        if not form.is_valid():
            return self.render_edit(form)
        located.item.update(form.tree_fields())
        try:
            self.save_tree()
        except ValidationError as error:
            path_errors(form, error, located.path)
            return self.render_edit(form)
        return self.back("Goal saved.")


class TemplateGoalRemoveView(TemplateTreePage):
    """POST `/templates/<pk>/goals/<node>/remove/`: the goal and everything under it."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs):
        self.load_tree()
        located = self.located(self.node_id)
        located.siblings.remove(located.item)
        try:
            self.save_tree()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return self.back()
        return self.back("Goal removed, with the goals under it.")


class TemplateGoalInterventionView(TemplateGoalEditView):
    """POST `/templates/<pk>/goals/<node>/interventions/`: add an intervention to the goal (or `remove` one)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs):
        self.load_tree()
        located = self.located(self.node_id)
        links: list[dict[str, Any]] = located.item["interventions"]
        goal_form = TemplateGoalForm(
            initial=TemplateGoalForm.initial_for(located.item), is_objective=located.depth == 2
        )
        if "remove" in request.POST:
            links[:] = [link for link in links if link["intervention_id"] != request.POST["remove"]]
            link_form = None
        else:
            link_form = TemplateInterventionForm(request.POST, user=request.user, auto_id="link-%s")
            if not link_form.is_valid():
                return self.render_edit(goal_form, link_form)
            chosen = link_form.cleaned_data["intervention"]
            if any(uuid.UUID(link["intervention_id"]) == chosen.pk for link in links):
                link_form.add_error("intervention", f"{chosen.name} is already listed for this goal.")
                return self.render_edit(goal_form, link_form)
            links.append({"intervention_id": str(chosen.pk), "frequency": link_form.cleaned_data["frequency"]})
        try:
            self.save_tree()
        except ValidationError as error:
            form = link_form or goal_form
            form.add_error(None, error.messages)
            return self.render_edit(goal_form, link_form)
        return self.back("Interventions saved.")


urlpatterns = [
    path("templates/<uuid:pk>/goals/new/", TemplateGoalAddView.as_view(), name="plan-template-goal-add"),
    path("templates/<uuid:pk>/goals/<uuid:node>/edit/", TemplateGoalEditView.as_view(), name="plan-template-goal-edit"),
    path(
        "templates/<uuid:pk>/goals/<uuid:node>/remove/",
        TemplateGoalRemoveView.as_view(),
        name="plan-template-goal-remove",
    ),
    path(
        "templates/<uuid:pk>/goals/<uuid:node>/interventions/",
        TemplateGoalInterventionView.as_view(),
        name="plan-template-goal-interventions",
    ),
]
