"""Recording a session: one page, one submit, the session and every goal's progress in one transaction."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import path
from django.views.generic import FormView

from accounts.audit import Action, audit_record
from interventions.filters import InterventionFilter
from interventions.models import Intervention
from treatment.selectors import plan_tree
from treatment.services import session_record
from treatment.session_forms import SessionForm, goal_field
from treatment.views.base import PlanPage

#: How many library matches the search offers at once.
LIBRARY_RESULTS = 15

POSITIONED = re.compile(r"^(progress|interventions)\[(\d+)\]")


class SessionPlanPage(PlanPage):
    """The plan a session is recorded for: visible (else 404), changeable (else 403) and open (else 409)."""

    required_action = "change"

    def library(self, query: str, chosen) -> list:
        """Matches for `query` in the user's library, leaving out what is already chosen."""
        query = (query or "").strip()
        if not query:
            return []
        matches = InterventionFilter({"search": query}, queryset=self.available()).qs
        return list(matches.exclude(pk__in=[i.pk for i in chosen]).order_by("name")[:LIBRARY_RESULTS])

    def available(self):
        return Intervention.objects.available_to(self.request.user)


class SessionRecordView(SessionPlanPage, FormView):
    template_name = "treatment/session_record.html"
    form_class = SessionForm

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        audit_record(self.audit, Action.VIEW, self.object)
        return response

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if "search_library" in request.POST:
            # Without JavaScript the library search is a round trip that keeps everything typed.
            return self.render_to_response(self.get_context_data(form=form.quiet(), searched=True))
        if not form.is_valid():
            return self.form_invalid(form)
        return self.form_valid(form)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "plan": self.object,
            "roots": plan_tree(self.object).roots,
            "user": self.request.user,
            "today": self.object.patient.practice.today(),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        chosen = form.chosen_extras()
        query = form["library_q"].value() or ""
        context.update(
            plan=self.object,
            patient=self.object.patient,
            chosen=chosen,
            results=self.library(query, chosen),
            query=query,
        )
        return context

    def form_valid(self, form):
        plan = self.object
        data = form.cleaned_data
        progress = form.progress()
        interventions = form.interventions()
        try:
            session_record(
                by=self.audit,
                patient=plan.patient,
                plan=plan,
                therapist=data.get("therapist") or (plan.therapist if "therapist" in form.fields else None),
                session_date=data["session_date"],
                duration_minutes=data["duration_minutes"],
                notes=data["notes"],
                goals=form.addressed_goals(),
                interventions=interventions,
                progress=progress,
            )
        except ValidationError as error:
            self.add_service_errors(form, error, progress, interventions)
            return self.form_invalid(form)
        n = len(progress)
        messages.success(self.request, f"Session recorded — progress updated on {n} goal{pluralize(n)}.")
        return redirect("plan-detail", plan.pk)

    @staticmethod
    def add_service_errors(form, error: ValidationError, progress: list[dict], interventions: list[dict]) -> None:
        """Put each refusal of the service next to the field it is about; the rest at the top."""
        if not hasattr(error, "error_dict"):
            form.add_error(None, error.messages)
            return
        for key, messages_ in error.message_dict.items():
            field = {"therapist_id": "therapist"}.get(key, key)
            match = POSITIONED.match(key)
            if match:
                kind, position = match.group(1), int(match.group(2))
                items = progress if kind == "progress" else interventions
                goal = items[position].get("goal") if position < len(items) else None
                if goal is not None:
                    field = goal_field(goal) if kind == "progress" else goal_field(goal, "interventions")
                else:
                    field = "extra_interventions"
            form.add_error(field if field in form.fields else None, messages_)


class SessionLibraryView(SessionPlanPage):
    """The library search of the session page (htmx): the ticked additions, then the matches."""

    def get(self, request, *args, **kwargs):
        ids = [v for v in request.GET.getlist("extra_interventions") if v]
        try:
            chosen = list(self.available().active().filter(pk__in=ids)) if ids else []
        except ValidationError:
            chosen = []
        query = request.GET.get("library_q", "")[:100]
        context = {"chosen": chosen, "results": self.library(query, chosen), "query": query, "searched": True}
        return render(request, "treatment/_session_library.html", context)


urlpatterns = [
    path("plans/<uuid:pk>/sessions/new/", SessionRecordView.as_view(), name="session-record"),
    path("plans/<uuid:pk>/sessions/library/", SessionLibraryView.as_view(), name="session-library"),
]
