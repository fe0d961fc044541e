"""The plan builder's and the goal tree's forms: they parse and keep what was typed; the services decide.

Lists (diagnoses, presenting problems) are plain repeated inputs, so the builder works without
JavaScript; htmx only re-renders a part of the form in place of a full round trip.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError

from accounts.forms import ClinicalDateField, add_check_errors
from accounts.models import User
from interventions.models import Modality
from treatment import diagnoses
from treatment.instruments import INSTRUMENT_CHOICES
from treatment.models import GoalStatus, GoalType, TreatmentGoal
from treatment.models.goal import SMART_TEMPLATE
from treatment.placeholders import goal_placeholders, has_placeholder, placeholders_in
from treatment.services import plan_check, smart_coverage, smart_missing

#: The SMART parts as a person reads them (the template's keys are the API's).
SMART_LABELS = {
    "specific": "Specific",
    "measurable": "Measurable",
    "achievable": "Achievable",
    "relevant": "Relevant",
    "time_bound": "Time-bound",
}


@dataclass(frozen=True)
class SmartCheck:
    """A goal's SMART hint: each answered part with what answers it, and the parts still empty."""

    answered: list[tuple[str, str]]
    missing: list[str]
    #: How many of its fields still hold a template's `[[placeholder]]` (each leaves its part missing).
    blanks: int = 0

    @property
    def count(self) -> int:
        return len(self.answered)


def smart_check(goal: TreatmentGoal) -> SmartCheck:
    """The SMART parts the goal answers (by which field, or the template) and those it leaves empty."""
    coverage = smart_coverage(goal)
    return SmartCheck(
        answered=[(SMART_LABELS[part], coverage[part]) for part in SMART_TEMPLATE if part in coverage],
        missing=[SMART_LABELS[part] for part in SMART_TEMPLATE if part not in coverage],
        blanks=len([name for name in goal_placeholders(goal) if name != "smart"]),
    )


EFFECTIVENESS_CHOICES = [
    ("", "Not rated yet"),
    ("1", "1: not effective"),
    ("2", "2: slightly effective"),
    ("3", "3: moderately effective"),
    ("4", "4: effective"),
    ("5", "5: very effective"),
]
_CODE_SEPARATORS = re.compile(r"[\s,;]+")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def split_codes(text: str) -> list[str]:
    """'F41.1, f32.1; Z63.0' -> ['F41.1', 'f32.1', 'Z63.0'] (normalized later by the service)."""
    return [code for code in _CODE_SEPARATORS.split(text or "") if code]


def unique(items) -> list:
    seen, kept = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            kept.append(item)
    return kept


def diagnosis_chips(codes, known: dict[str, str] | None = None) -> list[dict]:
    """The chosen codes with their descriptions: a plan's own wording first, else the code set's."""
    known = known or {}
    entries = diagnoses.lookup_many(codes)
    chips = []
    for code in codes:
        entry = entries.get(diagnoses.normalize(code))
        description = known.get(code) or (entry["description"] if entry else "Not an ICD-10-CM code")
        chips.append({"code": code, "description": description, "known": entry is not None})
    return chips


# --- plans -------------------------------------------------------------------------------------


class PlanForm(forms.Form):
    """Title, dates, review frequency and notes; diagnoses and presenting problems are repeated inputs."""

    title = forms.CharField(max_length=200)
    therapist = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label=None)
    start_date = ClinicalDateField(widget=DateInput)
    target_end_date = ClinicalDateField(required=False, widget=DateInput)
    review_frequency_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        label="Review frequency (days)",
        help_text="Days between reviews.",
    )
    diagnosis_codes = forms.Field(required=False, widget=forms.MultipleHiddenInput, label="Diagnoses")
    diagnosis_codes_text = forms.CharField(
        required=False,
        max_length=500,
        label="Diagnosis codes (comma-separated)",
        help_text="Or type ICD-10-CM codes you know, e.g. F41.1, F32.1; they are added to the diagnoses above.",
    )
    presenting_problems = forms.Field(required=False, widget=forms.MultipleHiddenInput, label="Presenting problems")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    etag = forms.CharField(required=False, widget=forms.HiddenInput)

    #: The lists are edited with buttons, not an input of their own: the error summary links to these.
    error_anchors = {"diagnosis_codes": "diagnosis-q", "presenting_problems": "problem-1"}

    def __init__(self, *args, patient, user, plan=None, codes=None, problems=None, **kwargs):
        self.patient, self.plan = patient, plan
        if plan is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": plan.title,
                    "therapist": plan.therapist_id,
                    "start_date": plan.start_date,
                    "target_end_date": plan.target_end_date,
                    "review_frequency_days": plan.review_frequency_days,
                    "notes": plan.notes,
                    "etag": plan.etag,
                },
            )
        else:
            kwargs.setdefault(
                "initial",
                {
                    "therapist": patient.primary_therapist_id,
                    "start_date": patient.practice.today(),
                    "review_frequency_days": patient.practice.default_review_frequency_days,
                },
            )
        super().__init__(*args, **kwargs)
        # Only a practice admin names the therapist (the service refuses anyone else); a clinician owns
        # the plans they write.
        if user.is_superuser or user.role == "practice_admin":
            self.fields["therapist"].queryset = User.objects.clinicians(patient.practice_id).filter(
                care_team_memberships__patient=patient
            )
            self.fields["therapist"].help_text = "A clinician on the patient's care team."
        else:
            del self.fields["therapist"]
        #: The plan's own wording of its diagnoses, kept when the codes stay.
        self.known_descriptions = {d["code"]: d.get("description", "") for d in (plan.diagnosis_codes if plan else [])}
        if codes is None:
            if self.is_bound:
                codes = self.data.getlist("diagnosis_codes")
            else:
                codes = [d["code"] for d in (plan.diagnosis_codes if plan else [])]
        self.codes = unique(c.strip() for c in codes if c and c.strip())
        if problems is None:
            if self.is_bound:
                problems = self.data.getlist("presenting_problems")
            else:
                problems = [*(plan.presenting_problems if plan else []), ""]
        self.problems = list(problems) or [""]

    @property
    def chips(self) -> list[dict]:
        return diagnosis_chips(self.codes, self.known_descriptions)

    def diagnosis_items(self) -> list[dict]:
        """The chosen codes, then the typed ones, once each, for the service."""
        codes = unique([*self.codes, *split_codes(self.cleaned_data.get("diagnosis_codes_text", ""))])
        return [{"code": code, "description": self.known_descriptions.get(code, "")} for code in codes]

    def clean(self) -> dict:
        """The service's checks of the diagnoses, problems and dates beside the fields' own, so one submit
        shows every error (`plan_check`; the service checks again when it saves)."""
        data = super().clean() or {}
        try:
            plan_check(
                diagnosis_codes=self.diagnosis_items(),
                presenting_problems=[p for p in self.problems if p.strip()],
                start_date=data.get("start_date"),
                target_end_date=data.get("target_end_date"),
            )
        except ValidationError as error:
            add_check_errors(self, error)
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {
            "title": data["title"],
            "start_date": data["start_date"],
            "target_end_date": data["target_end_date"],
            "review_frequency_days": data["review_frequency_days"],
            "notes": data["notes"],
            "diagnosis_codes": self.diagnosis_items(),
            "presenting_problems": [p for p in self.problems if p.strip()],
        }
        if "therapist" in self.fields and data.get("therapist") is not None:
            fields["therapist"] = data["therapist"]
        return fields


class PlanStatusForm(forms.Form):
    """The plan page's status change: only the statuses the plan may move to next."""

    status = forms.ChoiceField(label="Change status to")
    etag = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, plan, **kwargs):
        from treatment.models import PlanStatus
        from treatment.models.plan import PLAN_TRANSITIONS

        kwargs.setdefault("initial", {"etag": plan.etag})
        super().__init__(*args, **kwargs)
        allowed = PLAN_TRANSITIONS[PlanStatus(plan.status)]
        self.fields["status"].choices = [(value, label) for value, label in PlanStatus.choices if value in allowed]


class PlanCloseForm(forms.Form):
    """The confirmation step of closing a plan: completed or discontinued, and why (the service requires it)."""

    status = forms.ChoiceField(label="Close the plan as", widget=forms.RadioSelect)
    status_reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept on the plan, in its audit trail and in its final version.",
        error_messages={"required": "Say why the plan is being closed: a completed or discontinued plan is final."},
    )
    etag = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, plan, **kwargs):
        from treatment.models.plan import CLOSED_STATUSES, PLAN_TRANSITIONS, PlanStatus

        kwargs.setdefault("initial", {"etag": plan.etag})
        super().__init__(*args, **kwargs)
        allowed = PLAN_TRANSITIONS[PlanStatus(plan.status)]
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [(value, CLOSING_CHOICES[value]) for value in CLOSED_STATUSES if value in allowed]


#: What each way of closing a plan means, as the confirmation step offers it.
CLOSING_CHOICES = {
    "completed": "Completed: the plan's work is done",
    "discontinued": "Discontinued: the plan ends before its work is done",
}


# --- goals -------------------------------------------------------------------------------------


#: The values a template leaves a placeholder in that the goal form shows empty, with the hint as the prompt.
BLANK_FIELDS = ("baseline_value", "target_value")


def smart_field_name(part: str, question: str) -> str:
    return f"smart_{part}_{question}"


class SmartAnswerFields(forms.Form):
    """The SMART template's answers as one text field per question (`smart_<part>_<question>`), grouped by part:
    what a plan's goal form and a template's goal form share. `add_smart_fields` adds them (last, after the
    form's own); `smart_answers` gives back the nested dict the goal services and the template library store."""

    def add_smart_fields(self) -> None:
        for part, questions in SMART_TEMPLATE.items():
            for question, text in questions.items():
                self.fields[smart_field_name(part, question)] = forms.CharField(
                    required=False, max_length=2000, label=text, widget=forms.TextInput
                )

    @staticmethod
    def smart_initial(answers: dict | None) -> dict[str, str]:
        """The fields' initial values for stored answers."""
        return {
            smart_field_name(part, question): (answers or {}).get(part, {}).get(question, "")
            for part, questions in SMART_TEMPLATE.items()
            for question in questions
        }

    def smart_groups(self) -> list[tuple[str, str, list]]:
        return [
            (part, SMART_LABELS[part], [self[smart_field_name(part, q)] for q in questions])
            for part, questions in SMART_TEMPLATE.items()
        ]

    def plain_fields(self) -> list:
        """The visible fields other than the SMART answers (which show grouped, `smart_groups`)."""
        return [field for field in self.visible_fields() if not field.name.startswith("smart_")]

    def _raw(self, name: str) -> str:
        field = self[name]
        value = field.value()
        return "" if value is None else str(value)

    def smart_answers(self, raw: bool = False) -> dict:
        answers: dict = {}
        for part, questions in SMART_TEMPLATE.items():
            for question in questions:
                name = smart_field_name(part, question)
                value = self._raw(name) if raw else self.cleaned_data.get(name, "")
                if value and value.strip():
                    answers.setdefault(part, {})[question] = value.strip()
        return answers

    @property
    def smart_open(self) -> bool:
        """Whether the answers show unfolded: some are given, or one is refused."""
        return bool(self.smart_answers(raw=True)) or any(self[f].errors for f in self.fields if f.startswith("smart_"))


class GoalForm(SmartAnswerFields):
    """A goal's SMART fields, status (when editing) and the SMART template's answers."""

    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    measurable_criteria = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How progress is measured, e.g. a GAD-7 score or days a week.",
    )
    baseline_value = forms.CharField(required=False, max_length=100)
    current_value = forms.CharField(required=False, max_length=100)
    target_value = forms.CharField(required=False, max_length=100)
    target_date = ClinicalDateField(required=False, widget=DateInput)
    priority = forms.IntegerField(min_value=1, max_value=10, initial=1, label="Priority (1 = highest)")
    status = forms.ChoiceField(choices=GoalStatus.choices)
    parent = forms.UUIDField(required=False, widget=forms.HiddenInput)
    etag = forms.CharField(required=False, widget=forms.HiddenInput)
    # An objective driven by a measure: checked by the goal services (as the API's `measure` is), not here.
    measure_instrument = forms.ChoiceField(
        required=False,
        choices=[("", "None (progress from ratings)"), *INSTRUMENT_CHOICES],
        label="Instrument",
        help_text="A standardized measure whose scores set this objective's current value and progress.",
    )
    measure_baseline_score = forms.IntegerField(
        required=False,
        label="Baseline score",
        help_text="Blank: the last score on or before the plan's start, else the first score after it.",
    )
    measure_target_score = forms.IntegerField(required=False, label="Target score")

    #: The goal services name a measure's errors as the API nests them (`measure.target_score`).
    SERVICE_ALIASES = {
        "measure.instrument": "measure_instrument",
        "measure.baseline_score": "measure_baseline_score",
        "measure.target_score": "measure_target_score",
    }

    def __init__(
        self, *args, goal: TreatmentGoal | None = None, key: str = "new", goal_type: str | None = None, **kwargs
    ):
        self.goal, self.key = goal, key
        #: Only an objective's form shows the measure (another goal's posted measure reaches the service,
        #: which refuses it).
        self.is_objective = (goal.goal_type if goal is not None else goal_type) == GoalType.OBJECTIVE
        if goal is not None:
            initial = {name: getattr(goal, name) for name in self.base_fields if hasattr(goal, name)}
            initial["etag"] = goal.etag
            initial.update(self.smart_initial(goal.smart))
            kwargs.setdefault("initial", initial)
        # Several goal forms can be open on the plan page at once: ids differ, names do not.
        kwargs.setdefault("auto_id", f"goal-{key}-%s")
        super().__init__(*args, **kwargs)
        if goal is None:
            del self.fields["status"]
        self.blanks = self._blanks(goal)
        if not self.is_bound:
            self.fields["description"].widget.attrs["autofocus"] = True
        self.add_smart_fields()

    def _blanks(self, goal: TreatmentGoal | None) -> dict[str, str]:
        """A baseline or target still holding a template's placeholder shows empty with its hint as the prompt,
        and left empty keeps it (still to fill in). The live SMART hint has no goal: the form sends them along."""
        blanks: dict[str, str] = {}
        for name in BLANK_FIELDS:
            if goal is not None:
                stored = getattr(goal, name)
            else:
                stored = self.data.get(f"blank_{name}", "") if self.is_bound else ""
            if not has_placeholder(stored):
                continue
            blanks[name] = stored
            prompt = "; ".join(placeholders_in(stored))
            self.initial[name] = ""
            field = self.fields[name]
            field.widget.attrs.update({"placeholder": prompt, "class": "blank-input"})
            field.help_text = f"To fill in: {prompt}. Left empty, it stays to fill in."
        return blanks

    def clean_baseline_value(self) -> str:
        return self.cleaned_data["baseline_value"] or self.blanks.get("baseline_value", "")

    def clean_target_value(self) -> str:
        return self.cleaned_data["target_value"] or self.blanks.get("target_value", "")

    def smart_draft(self) -> TreatmentGoal:
        """The goal as the form holds it now (typed or stored), for the SMART hint."""
        return TreatmentGoal(
            description=self._raw("description"),
            measurable_criteria=self._raw("measurable_criteria"),
            baseline_value=self._raw("baseline_value") or self.blanks.get("baseline_value", ""),
            target_value=self._raw("target_value") or self.blanks.get("target_value", ""),
            # Only whether a date is given matters to the hint.
            target_date=datetime.date.min if self._raw("target_date").strip() else None,
            smart=self.smart_answers(raw=True),
        )

    def smart_missing(self) -> list[str]:
        """The SMART parts still empty in what the form holds now (typed or stored)."""
        return [SMART_LABELS[part] for part in smart_missing(self.smart_draft())]

    def smart_check(self) -> SmartCheck:
        return smart_check(self.smart_draft())

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {
            name: data[name]
            for name in (
                "description",
                "measurable_criteria",
                "baseline_value",
                "current_value",
                "target_value",
                "target_date",
                "priority",
            )
        }
        if "status" in self.fields:
            fields["status"] = data["status"]
        fields["smart"] = self.smart_answers()
        fields["measure_instrument"] = data["measure_instrument"]
        fields["measure_baseline_score"] = data["measure_baseline_score"]
        fields["measure_target_score"] = data["measure_target_score"]
        return fields


class GoalInterventionForm(forms.Form):
    """How often an intervention is used for a goal, notes, and how well it works (1-5)."""

    frequency = forms.CharField(required=False, max_length=50, help_text="e.g. every session, weekly, as needed.")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    effectiveness_rating = forms.TypedChoiceField(
        choices=EFFECTIVENESS_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        label="Effectiveness (1–5)",  # noqa: RUF001 (an en dash, as in print)
    )

    def __init__(self, *args, link=None, **kwargs):
        if link is not None:
            kwargs.setdefault(
                "initial",
                {"frequency": link.frequency, "notes": link.notes, "effectiveness_rating": link.effectiveness_rating},
            )
            kwargs.setdefault("auto_id", f"link-{link.pk}-%s")
        super().__init__(*args, **kwargs)


class InterventionSearchForm(forms.Form):
    """The library picker's search box and modality filter."""

    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search interventions",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "autofocus": True}),
    )
    modality = forms.ChoiceField(required=False, choices=[("", "All modalities"), *Modality.choices])
    #: Which page of the matches (the picker's Previous / Next links); a new search starts at the first.
    page = forms.CharField(required=False, max_length=10, widget=forms.HiddenInput)

    def __init__(self, *args, key: str = "", **kwargs):
        kwargs.setdefault("auto_id", f"picker-{key}-%s")
        super().__init__(*args, **kwargs)
