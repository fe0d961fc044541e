"""A goal's interventions on the plan page: pick one from the library and link it, or edit how it is used."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import cast

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.urls import path, reverse

from accounts.audit import Action, audit_record
from accounts.forms import add_service_error
from interventions.filters import InterventionFilter
from interventions.models import Intervention
from treatment import services
from treatment.forms import GoalInterventionForm, InterventionSearchForm
from treatment.models import GoalIntervention, TreatmentGoal
from treatment.views import amending
from treatment.views.base import PlanPage, respond
from treatment.views.tree import tree_response

#: Matches per page of the picker; every page is reachable (Previous / Next).
PAGE_SIZE = 25


@dataclass(frozen=True)
class Offer:
    """One intervention the picker offers, with the frequency to fill in (typed, or its parent goal's)."""

    intervention: Intervention
    frequency: str = ""
    #: The goal above this one that uses it (the ancestors' interventions come first, labelled).
    from_goal: TreatmentGoal | None = None


#: What a link's frequency may hold (the model's column).
FREQUENCY_LENGTH = cast(int, GoalIntervention._meta.get_field("frequency").max_length)


class GoalInterventionsView(PlanPage):
    """GET: the library picker (search and modality filter) for a goal; POST: link one with its frequency."""

    model = TreatmentGoal
    plan_path = "plan"
    required_action = "change"

    def library(self) -> QuerySet[Intervention]:
        """What the user may add: the active entries of the system library and the practice's own."""
        return Intervention.objects.available_to(self.request.user).active()

    def results(self, search: InterventionSearchForm, exclude: set[uuid.UUID]) -> Page:
        """One page of the library's matches, ranked by the library's filterset (name matches first)."""
        library = self.library().order_by(Lower("name"), "pk").exclude(pk__in=exclude)
        if not search.is_valid():
            library = library.none()
        else:
            query = {"search": search.cleaned_data["q"], "modality": search.cleaned_data["modality"]}
            filterset = InterventionFilter(query, queryset=library)
            library = filterset.qs if filterset.is_valid() else library.none()
        # A page number past the end or not a number shows the last or the first page.
        return Paginator(library, PAGE_SIZE).get_page(search.data.get("page") or 1)

    def ancestors_offers(self) -> list[Offer]:
        """The interventions of the goals above this one (nearest first), offered with their frequency."""
        goal = self.object
        parents = dict(TreatmentGoal.objects.filter(plan_id=goal.plan_id).values_list("pk", "parent_goal_id"))
        ancestors: list[uuid.UUID] = []
        step = goal.parent_goal_id
        while step is not None and step not in ancestors:
            ancestors.append(step)
            step = parents.get(step)
        if not ancestors:
            return []
        links = GoalIntervention.objects.filter(goal_id__in=ancestors, intervention__in=self.library()).select_related(
            "intervention", "goal"
        )
        nearest: dict[uuid.UUID, GoalIntervention] = {}
        for link in sorted(links, key=lambda link: (ancestors.index(link.goal_id), link.intervention.name.lower())):
            nearest.setdefault(link.intervention_id, link)
        return [Offer(link.intervention, link.frequency, link.goal) for link in nearest.values()]

    def render_picker(self, search: InterventionSearchForm, *, error: str = "", frequency: dict | None = None):
        goal = self.object
        typed = frequency or {}
        inherited = [
            Offer(offer.intervention, typed.get(offer.intervention.pk, offer.frequency), offer.from_goal)
            for offer in self.ancestors_offers()
        ]
        page = self.results(search, exclude={offer.intervention.pk for offer in inherited})
        context = {
            "plan": self.plan,
            "goal": goal,
            "search": search,
            "inherited": inherited,
            "results": [Offer(item, typed.get(item.pk, "")) for item in page.object_list],
            "page": page,
            "linked": set(GoalIntervention.objects.filter(goal=goal).values_list("intervention_id", flat=True)),
            "picker_error": error,
            "frequency_length": FREQUENCY_LENGTH,
            **amending.amending_context(
                self.request, self.plan, next_url=reverse("goal-interventions", args=[goal.pk]), target=str(goal.pk)
            ),
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
        reason = amending.session_reason(request, self.plan)
        try:
            services.goal_intervention_add(
                by=self.audit, goal=self.object, intervention=intervention, frequency=frequency, amendment_reason=reason
            )
        except ValidationError as error:
            return self.render_picker(search, error=" ".join(error.messages), frequency={intervention.pk: frequency})
        amending.after_write(request, self.plan, reason)
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
        next_url = f"{self.plan.get_absolute_url()}#goal-{link.goal_id}"
        context.update(amending.amending_context(self.request, self.plan, next_url=next_url, target=f"link-{link.pk}"))
        return respond(
            self.request,
            "treatment/_goal_intervention_form.html",
            "treatment/plan_goal_intervention_form.html",
            context,
        )

    def get(self, request, *args, **kwargs):
        audit_record(self.audit, Action.VIEW, self.object)
        form = GoalInterventionForm(link=self.object)
        return self.render_form(amending.ask_reason(form, request, self.plan))

    def post(self, request, *args, **kwargs):
        link = self.object
        form = amending.ask_reason(GoalInterventionForm(request.POST, link=link), request, self.plan)
        if not form.is_valid():
            return self.render_form(form)
        reason = amending.reason_for_write(form, request, self.plan)
        fields = {name: value for name, value in form.cleaned_data.items() if name != amending.FIELD}
        try:
            services.goal_intervention_update(by=self.audit, link=link, amendment_reason=reason, **fields)
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_form(form)
        amending.after_write(request, self.plan, reason)
        return tree_response(request, self.plan, focus_goal=link.goal_id, message=f"{link.intervention.name} saved.")


urlpatterns = [
    path("goals/<uuid:pk>/interventions/", GoalInterventionsView.as_view(), name="goal-interventions"),
    path("goal-interventions/<uuid:pk>/edit/", GoalInterventionEditView.as_view(), name="goal-intervention-edit"),
]
