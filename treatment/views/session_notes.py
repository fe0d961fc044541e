"""Reading a session again, correcting it with an addendum, and a goal's progress history.

- `session-detail` (/sessions/<pk>/): the session's date, duration, clinician and notes, each goal it
  addressed with the progress note, value and rating recorded, the interventions delivered, the measures
  administered (each linking to its result), and the addenda under the original; those who may change the
  patient's records get the addendum form.
- `session-addendum-add` (POST /sessions/<pk>/addenda/): appends an addendum
  (`treatment.services.session_addendum_add`), a closed plan's sessions included (why: that module).
- `goal-history` (/goals/<pk>/history/): the goal's progress entries, newest first, each linking to its
  session; for htmx only the list (`_goal_history.html`), for the plan page to open in place.

Every read is audited as a view.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse

from accounts.audit import Action, audit_record_many
from accounts.forms import add_service_error
from accounts.pages import PatientDataPage
from treatment import services
from treatment.measure_selectors import session_measurements
from treatment.models import ADDENDUM_MAX_LENGTH, GoalProgress, Measurement, TherapySession, TreatmentGoal
from treatment.selectors import goal_history, session_notes
from treatment.views.base import PlanPage, respond


class AddendumForm(forms.Form):
    """The text of an addendum (the service decides what an acceptable one is)."""

    text = forms.CharField(
        label="Addendum",
        max_length=ADDENDUM_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A correction or addition, kept under the original with your name and the time. "
        "It cannot be edited or removed later.",
    )


class SessionPage(PatientDataPage):
    """A page about one session: visible (else 404); one that writes needs the change right (else 403).

    A session need not belong to a plan, so this is the patient-data base, not `PlanPage`; and the
    closed-plan rule does not apply to what these pages write (`treatment.services.addenda`).
    """

    model = TherapySession
    select_related = ("patient__practice", "therapist", "plan")

    def render_page(self, form: AddendumForm, *, status: int = 200) -> HttpResponse:
        session = self.object
        measurements = session_measurements(session.pk)
        context = {
            "session": session,
            "patient": session.patient,
            "plan": session.plan,
            "notes": session_notes(session),
            "measurements": measurements,
            "can_change": self.can_change,
            "form": form,
        }
        response = render(self.request, "treatment/session_detail.html", context, status=status)
        # Each score shown is a read of that measurement, as on the patient page (one INSERT for them all).
        shown = [Measurement(pk=m.id, patient=session.patient) for m in measurements]
        audit_record_many(self.audit, Action.VIEW, [session, *shown])
        return response


class SessionDetailView(SessionPage):
    """The session as recorded, with its addenda."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_page(AddendumForm())


class SessionAddendumAddView(SessionPage):
    """POST: append an addendum; back to the session with it shown, or the page again with the error."""

    http_method_names = ["post"]
    required_action = "change"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = AddendumForm(request.POST)
        if form.is_valid():
            try:
                services.session_addendum_add(by=self.audit, session=self.object, text=form.cleaned_data["text"])
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "The addendum was added to the session's record.")
                return redirect(reverse("session-detail", args=[self.object.pk]) + "#addenda")
        return self.render_page(form, status=400)


class GoalHistoryView(PlanPage):
    """A goal's progress entries, newest first: the page, or (htmx) the list alone."""

    model = TreatmentGoal
    plan_path = "plan"
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        history = goal_history(self.object)
        context = {"goal": self.object, "plan": self.plan, "patient": self.plan.patient, "history": history}
        response = respond(request, "treatment/_goal_history.html", "treatment/goal_history.html", context)
        audit_record_many(self.audit, Action.VIEW, [self.object, *(self._with_goal(e) for e in history.entries)])
        return response

    def _with_goal(self, entry: GoalProgress) -> GoalProgress:
        entry.goal = self.object  # the audit reads the entry's patient through the goal already loaded
        return entry


urlpatterns = [
    path("sessions/<uuid:pk>/", SessionDetailView.as_view(), name="session-detail"),
    path("sessions/<uuid:pk>/addenda/", SessionAddendumAddView.as_view(), name="session-addendum-add"),
    path("goals/<uuid:pk>/history/", GoalHistoryView.as_view(), name="goal-history"),
]
