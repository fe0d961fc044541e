"""Administering a standardized measure, reading its result, and recording the risk assessment a safety flag asks for.

- `measure-administer` (/patients/<pk>/measures/<code>/new/): the instrument's items, one radio group each,
  every item required; the total and band show as they are filled (static/js/measure-score.js) and the
  server scores what is sent (`treatment.services.measures.measurement_record`).
- `measurement-detail` (/measurements/<pk>/): the score, its band, each answer; when it raised a safety flag
  that is still open, the prompt to assess risk, with the assessment form.
- `safety-assessment` (/patients/<pk>/safety-assessment/): who assessed the risk, when and what they found
  (`safety_assessment_record`); it clears the patient's open flags, whose history stays.

Reading follows the patient; writing follows the change right (403 for a reader, 404 for an outsider).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from accounts.audit import Action, audit_record
from accounts.forms import add_service_error
from accounts.models import Patient
from accounts.pages import PatientDataPage
from treatment.instruments import INSTRUMENTS, Instrument
from treatment.measure_forms import MeasureForm
from treatment.measure_selectors import patient_safety
from treatment.models import Measurement, SafetyFlag
from treatment.models.measure import ASSESSMENT_MAX_LENGTH
from treatment.services.common import is_clinician
from treatment.services.measures import measurement_record, safety_assessment_record

NOT_A_CLINICIAN = "A risk assessment is recorded by a clinician on the patient's care team."


class SafetyAssessmentForm(forms.Form):
    """What the clinician found when they assessed the risk (the service decides what a valid note is)."""

    note = forms.CharField(
        label="Risk assessment",
        max_length=ASSESSMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What you assessed and decided (for example: asked directly about thoughts of self-harm, "
        "risk judged low, safety plan reviewed). Recorded with your name and the time; it clears the flag, "
        "which stays in the patient's history.",
    )


class PatientPage(PatientDataPage):
    model = Patient
    select_related = ("practice", "primary_therapist")


class AdministerView(PatientPage):
    """GET the items of one instrument; POST scores and records them, then shows the result."""

    lookup_kwarg = "pk"
    required_action = "change"
    http_method_names = ["get", "post"]

    def instrument(self) -> Instrument:
        instrument = INSTRUMENTS.get(self.kwargs["code"])
        if instrument is None:
            raise Http404("No such instrument.")
        return instrument

    def render_form(self, form: MeasureForm, *, status: int = 200) -> HttpResponse:
        patient = self.object
        context = {
            "patient": patient,
            "form": form,
            "administered": form.block,
            "instrument": form.block.instrument,
            "instruments": list(INSTRUMENTS.values()),
        }
        return render(self.request, "treatment/measure_administer.html", context, status=status)

    def make_form(self, data: Any = None) -> MeasureForm:
        return MeasureForm(data, instrument=self.instrument(), today=self.object.practice.today())

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = self.render_form(self.make_form())
        audit_record(self.audit, Action.VIEW, self.object)
        return response

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            measurement = measurement_record(
                by=self.audit,
                patient=self.object,
                instrument=form.block.code,
                answers=form.answers(form.block),
                administered_on=form.cleaned_data["administered_on"],
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_form(form, status=400)
        messages.success(request, recorded_message(measurement))
        return redirect("measurement-detail", measurement.pk)


def recorded_message(measurement: Measurement) -> str:
    spec = measurement.instrument_spec
    band = f" ({measurement.severity.lower()})" if measurement.severity else ""
    return f"{spec.short_name} recorded: {measurement.total_score} of {spec.max_score}{band}."


class MeasurementDetailView(PatientDataPage):
    """One administration: its score and answers; the risk prompt while the flag it raised is open."""

    model = Measurement
    select_related = ("patient__practice", "administered_by", "session")
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measurement = self.object
        spec = measurement.instrument_spec
        state = patient_safety(measurement.patient_id)
        raised = SafetyFlag.objects.filter(measurement=measurement).select_related("cleared_by").first()
        assesses = can_assess(request.user, self.can_change)
        context = {
            "measurement": measurement,
            "patient": measurement.patient,
            "instrument": spec,
            "answers": [
                (item, next((o for o in spec.options if o.value == value), None))
                for item, value in zip(spec.items, measurement.answers, strict=True)
            ],
            "raised": raised,
            "safety": state,
            "can_change": self.can_change,
            "assessment_form": SafetyAssessmentForm() if assesses and state.open else None,
        }
        response = render(request, "treatment/measurement_detail.html", context)
        audit_record(self.audit, Action.VIEW, measurement)
        return response


def can_assess(user: object, can_change: bool) -> bool:
    """Whether `user` records risk assessments for a patient they may change: a clinician does, an admin does not."""
    return can_change and is_clinician(user)


class SafetyAssessmentView(PatientPage):
    """GET the form (with the open flags it clears); POST records the assessment, back to the patient page.

    Only a clinician who may change the patient's records assesses risk (`safety_assessment_record`): the page
    refuses the others before any form is shown, as the service would.
    """

    required_action = "change"
    http_method_names = ["get", "post"]

    def require_change(self, record: Any) -> None:
        super().require_change(record)
        if not is_clinician(self.request.user):
            raise PermissionDenied(NOT_A_CLINICIAN)

    def render_form(self, form: SafetyAssessmentForm, *, status: int = 200) -> HttpResponse:
        patient = self.object
        context = {"patient": patient, "form": form, "safety": patient_safety(patient.pk)}
        return render(self.request, "treatment/safety_assessment.html", context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = self.render_form(SafetyAssessmentForm())
        audit_record(self.audit, Action.VIEW, self.object)
        return response

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SafetyAssessmentForm(request.POST)
        if form.is_valid():
            try:
                safety_assessment_record(by=self.audit, patient=self.object, note=form.cleaned_data["note"])
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "The risk assessment was recorded and the safety flag cleared.")
                return redirect(self.object.get_absolute_url() + "#safety-heading")
        return self.render_form(form, status=400)


urlpatterns = [
    path("patients/<uuid:pk>/measures/<slug:code>/new/", AdministerView.as_view(), name="measure-administer"),
    path("measurements/<uuid:pk>/", MeasurementDetailView.as_view(), name="measurement-detail"),
    path("patients/<uuid:pk>/safety-assessment/", SafetyAssessmentView.as_view(), name="safety-assessment"),
]
