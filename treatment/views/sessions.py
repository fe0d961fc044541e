"""Recording a session: one page, one submit, the session and every goal's progress in one transaction."""

from __future__ import annotations

import re
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import path
from django.views.generic import FormView

from accounts.audit import Action, audit_record
from interventions.filters import InterventionFilter
from interventions.models import Intervention
from treatment.instruments import INSTRUMENTS, Instrument
from treatment.measure_forms import without_answers
from treatment.measure_selectors import measures_due
from treatment.models import TherapySession
from treatment.selectors import LastSession, last_progress_by_goal, last_session, plan_tree
from treatment.services import session_record
from treatment.services.measures import measurement_record
from treatment.services.sessions import session_warnings
from treatment.session_forms import GoalRow, SessionForm, goal_field
from treatment.views.base import PlanPage
from treatment.views.measures import recorded_message

#: How many library matches the search offers at once.
LIBRARY_RESULTS = 15

POSITIONED = re.compile(r"^(progress|interventions)\[(\d+)\]")


class SessionPlanPage(PlanPage):
    """The plan a session is recorded for: visible (else 404), changeable (else 403) and open (else 409)."""

    required_action = "change"

    def library(self, query: str, chosen, suggested=()) -> list:
        """Matches for `query` in the user's library, leaving out what is already listed."""
        query = (query or "").strip()
        if not query:
            return []
        matches = InterventionFilter({"search": query}, queryset=self.available()).qs
        listed = [i.pk for i in (*chosen, *suggested)]
        return list(matches.exclude(pk__in=listed).order_by("name")[:LIBRARY_RESULTS])

    def suggested(self, last: LastSession | None, chosen) -> list[Intervention]:
        """The library interventions the last session delivered for no goal, not ticked yet: listed unticked
        so that "same interventions as last time" can tick them."""
        chosen_ids = {i.pk for i in chosen}
        ids = [d.intervention_id for d in last.interventions if d.goal_id is None] if last else []
        ids = [pk for pk in ids if pk not in chosen_ids]
        return list(self.available().active().filter(pk__in=ids).order_by("name")) if ids else []

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
        cleared = INSTRUMENTS.get(request.POST.get("clear_measure", ""))
        if cleared is not None:
            # "Clear answers" without JavaScript: the same round trip, with that instrument's radios unticked.
            form = self.form_class(**{**self.get_form_kwargs(), "data": without_answers(request.POST, cleared)})
            return self.render_to_response(self.get_context_data(form=form.quiet()))
        valid = form.is_valid()
        # What looks implausible is asked with the errors, so that one more submit records the session.
        warnings = self.warnings(form)
        if not valid or (warnings and not form.cleaned_data.get("confirm")):
            return self.render_to_response(self.get_context_data(form=form, warnings=warnings))
        return self.form_valid(form)

    def warnings(self, form: SessionForm) -> list[tuple[str, str]]:
        """(message, the id of the input it is about) for what `session_warnings` finds in what was valid."""
        fielded = {name.split("_", 2)[1] for name in form.errors if name.startswith("goal_")}
        # A goal with an error is being corrected: it is not "addressed with nothing recorded".
        goals = [goal for goal in form.addressed_goals() if goal.pk.hex not in fielded]
        found = session_warnings(
            plan=self.object,
            session_date=form.cleaned_data.get("session_date"),
            goals=goals,
            interventions=form.interventions(),
            progress=form.progress(),
            parents=form.parents(),
        )
        return [
            (w.message, form[goal_field(w.goal)].auto_id if w.goal else form["session_date"].auto_id) for w in found
        ]

    def get_form_kwargs(self):
        tree = plan_tree(self.object)
        return {
            **super().get_form_kwargs(),
            "plan": self.object,
            "roots": tree.roots,
            "user": self.request.user,
            "today": self.object.patient.practice.today(),
            "last": last_progress_by_goal(self.object),
            "measures": self.measures(tree),
        }

    def measures(self, tree) -> list[tuple[Instrument, str]]:
        """The plan's instruments with why each is due ("" if not yet), by the plan's cadence; no query for a plan
        that administers none (its goals are loaded already)."""
        plan = self.object
        if not plan.measure_instruments and not any(node.goal.measure_instrument for node in tree.nodes.values()):
            return []
        return [(INSTRUMENTS[m.instrument], m.reason) for m in measures_due(plan)]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        chosen = form.chosen_extras()
        query = form["library_q"].value() or ""
        last = last_session(self.object)
        suggested = self.suggested(last, chosen)
        context.update(
            plan=self.object,
            patient=self.object.patient,
            chosen=chosen,
            suggested=suggested,
            results=self.library(query, chosen, suggested),
            query=query,
            last_session=last,
            same_as_last=self.same_as_last(form, last, [*chosen, *suggested]),
        )
        return context

    @staticmethod
    def same_as_last(form: SessionForm, last: LastSession | None, extras: list[Intervention]) -> list[str]:
        """The ids of the checkboxes that "same interventions as last time" ticks: each intervention the last
        session delivered that the page still offers (under its goal, or among the library's)."""
        if last is None:
            return []
        rows: dict[uuid.UUID, GoalRow] = {row.goal.pk: row for row in form.rows if row.interventions is not None}
        listed = {i.pk for i in extras}
        ids: list[str] = []
        for delivered in last.interventions:
            if delivered.goal_id is None:
                if delivered.intervention_id in listed:
                    ids.append(f"extra-{delivered.intervention_id}")
                continue
            row = rows.get(delivered.goal_id)
            for value, _label, _ticked, html_id in row.intervention_options if row else []:
                if value == str(delivered.intervention_id):
                    ids.append(html_id)
        return ids

    def form_valid(self, form):
        plan = self.object
        data = form.cleaned_data
        progress = form.progress()
        interventions = form.interventions()
        try:
            session = session_record(
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
                confirmed=data["confirm"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "confirm" in error.error_dict:
                # The plan changed since the page checked it (its start moved): ask, in the service's words.
                anchors = {"session_date": form["session_date"].auto_id}
                asked = [
                    (message, anchors.get(key, "goals-heading"))
                    for key, messages_ in error.message_dict.items()
                    if key != "confirm"
                    for message in messages_
                ]
                return self.render_to_response(self.get_context_data(form=form, warnings=asked))
            self.add_service_errors(form, error, progress, interventions)
            return self.form_invalid(form)
        n = len(progress)
        recorded = f"Session recorded — progress updated on {n} goal{pluralize(n)}."
        return self.record_measures(form, session, recorded)

    def record_measures(self, form: SessionForm, session: TherapySession, recorded: str) -> HttpResponse:
        """The instruments answered in the session, recorded against it once the session is.

        Their own transactions, after the session's: each takes the patient's plan locks before its first audit
        event (`treatment.services.measures`), which it could not do after the session's events. The answers were
        checked with the form, so what can still refuse one is a change made meanwhile; the session stands and
        the refusal is said, with the instrument to administer again from the patient page.
        """
        plan = self.object
        flagged = None
        for block in form.administered:
            answers = form.answers(block)
            if answers is None:
                continue
            try:
                measurement = measurement_record(
                    by=self.audit,
                    patient=plan.patient,
                    instrument=block.code,
                    answers=answers,
                    administered_on=session.session_date,
                    session=session,
                )
            except ValidationError as error:
                messages.error(
                    self.request,
                    f"The {block.instrument.short_name} was not recorded ({' '.join(error.messages)}); "
                    "administer it again from the patient page.",
                )
                continue
            recorded += f" {recorded_message(measurement)}"
            if measurement.safety_flag:
                flagged = measurement
        messages.success(self.request, recorded)
        if flagged is not None:
            # The prompt to assess risk, at once: the result page leads with it.
            return redirect("measurement-detail", flagged.pk)
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
            form.add_error(field if field in form.fields and field != "confirm" else None, messages_)


class SessionLibraryView(SessionPlanPage):
    """The library search of the session page (htmx): the ticked additions, then the matches."""

    def get(self, request, *args, **kwargs):
        ids = [v for v in request.GET.getlist("extra_interventions") if v]
        try:
            chosen = list(self.available().active().filter(pk__in=ids)) if ids else []
        except ValidationError:
            chosen = []
        query = request.GET.get("library_q", "")[:100]
        suggested = self.suggested(last_session(self.object), chosen)
        context = {
            "chosen": chosen,
            "suggested": suggested,
            "results": self.library(query, chosen, suggested),
            "query": query,
            "searched": True,
        }
        return render(request, "treatment/_session_library.html", context)


urlpatterns = [
    path("plans/<uuid:pk>/sessions/new/", SessionRecordView.as_view(), name="session-record"),
    path("plans/<uuid:pk>/sessions/library/", SessionLibraryView.as_view(), name="session-library"),
]
