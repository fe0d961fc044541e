"""A goal's interventions on the plan page: pick one from the library and link it, or edit how it is used."""

from __future__ import annotations

import uuid
from typing import cast

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import path

from accounts.audit import Action, audit_record
from accounts.forms import add_service_error
from interventions.models import Intervention
from treatment import services
from treatment.forms import GoalInterventionForm, InterventionSearchForm
from treatment.models import GoalIntervention, TreatmentGoal
from treatment.views.base import PlanPage, respond
from treatment.views.tree import tree_response

RESULTS_LIMIT = 25
#: What a link's frequency may hold (the model's column).
FREQUENCY_LENGTH = cast(int, GoalIntervention._meta.get_field("frequency").max_length)


class GoalInterventionsView(PlanPage):
    """GET: the library picker (search and modality filter) for a goal; POST: link one with its frequency."""

    model = TreatmentGoal
    plan_path = "plan"
    required_action = "change"

    def results(self, search: InterventionSearchForm) -> list[Intervention]:
        if not search.is_valid():
            return []
        library = Intervention.objects.available_to(self.request.user).active()
        for word in search.cleaned_data["q"].split():
            library = library.filter(Q(name__icontains=word) | Q(description__icontains=word))
        if search.cleaned_data["modality"]:
            library = library.filter(modality=search.cleaned_data["modality"])
        return list(library.order_by("name")[:RESULTS_LIMIT])

    def render_picker(self, search: InterventionSearchForm, *, error: str = "", frequency: dict | None = None):
        goal = self.object
        results = self.results(search)
        typed = frequency or {}
        context = {
            "plan": self.plan,
            "goal": goal,
            "search": search,
            "results": [{"intervention": item, "frequency": typed.get(item.pk, "")} for item in results],
            "linked": set(GoalIntervention.objects.filter(goal=goal).values_list("intervention_id", flat=True)),
            "picker_error": error,
            "frequency_length": FREQUENCY_LENGTH,
        }
        return respond(
            self.request, "treatment/_goal_intervention_picker.html", "treatment/plan_goal_interventions.html", context
        )

    def get(self, request, *args, **kwargs):
        audit_record(self.audit, Action.VIEW, self.object)
        return self.render_picker(InterventionSearchForm(request.GET, key=str(self.object.pk)))

    def post(self, request, *args, **kwargs):
        search = InterventionSearchForm(request.POST, key=str(self.object.pk))
        chosen = request.POST.get("intervention", "")
        frequency = request.POST.get("frequency", "").strip()
        try:
            chosen_id = uuid.UUID(chosen)
        except ValueError:
            return self.render_picker(search, error="Choose an intervention from the list.")
        intervention = Intervention.objects.available_to(request.user).filter(pk=chosen_id).first()
        if intervention is None:
            return self.render_picker(search, error="Choose an intervention from your practice's library.")
        try:
            services.goal_intervention_add(
                by=self.audit, goal=self.object, intervention=intervention, frequency=frequency
            )
        except ValidationError as error:
            return self.render_picker(search, error=" ".join(error.messages), frequency={intervention.pk: frequency})
        return tree_response(
            request, self.plan, focus_goal=self.object.pk, message=f"{intervention.name} added to the goal."
        )


class GoalInterventionEditView(PlanPage):
    """An intervention's use for a goal: frequency, notes and effectiveness rating 1-5."""

    model = GoalIntervention
    plan_path = "goal__plan"
    select_related = ("intervention",)
    required_action = "change"

    def render_form(self, form: GoalInterventionForm):
        link = self.object
        context = {"plan": self.plan, "goal": link.goal, "link": link, "form": form}
        return respond(
            self.request,
            "treatment/_goal_intervention_form.html",
            "treatment/plan_goal_intervention_form.html",
            context,
        )

    def get(self, request, *args, **kwargs):
        audit_record(self.audit, Action.VIEW, self.object)
        return self.render_form(GoalInterventionForm(link=self.object))

    def post(self, request, *args, **kwargs):
        link = self.object
        form = GoalInterventionForm(request.POST, link=link)
        if not form.is_valid():
            return self.render_form(form)
        try:
            services.goal_intervention_update(by=self.audit, link=link, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_form(form)
        return tree_response(request, self.plan, focus_goal=link.goal_id, message=f"{link.intervention.name} saved.")


urlpatterns = [
    path("goals/<uuid:pk>/interventions/", GoalInterventionsView.as_view(), name="goal-interventions"),
    path("goal-interventions/<uuid:pk>/edit/", GoalInterventionEditView.as_view(), name="goal-intervention-edit"),
]
