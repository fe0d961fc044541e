"""The plan templates' forms: the plan page's "Fill in the blanks" and "Save as template", and the template
builder's details and goal forms. They parse and keep what was typed; the services decide."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django import forms
from django.http import QueryDict

from interventions.models import Intervention
from treatment.forms import SmartAnswerFields, split_codes
from treatment.instruments import INSTRUMENT_CHOICES
from treatment.models import TreatmentGoal
from treatment.placeholders import goal_placeholders, placeholders_in
from treatment.plan_templates import GOAL_FIELDS
from treatment.services.blanks import FILLABLE_FIELDS

#: How the blanks form names each field a placeholder can stand in.
BLANK_LABELS = {
    "description": "Description",
    "measurable_criteria": "Measurable criteria",
    "baseline_value": "Baseline",
    "target_value": "Target",
}
#: The fields a placeholder fills whole (typed in place of it); in the others it is a part of the text to replace.
WHOLE_VALUE_FIELDS = ("baseline_value", "target_value")


def blank_prompt(text: str) -> str:
    """The hints of a field's placeholders, as the prompt beside it: 'worry episodes per day; e.g. 2 or fewer'."""
    return "; ".join(placeholders_in(text))


class BlanksForm(forms.Form):
    """The plan page's "Fill in the blanks": for every goal with a placeholder left, each field holding one.

    A baseline or target holding a placeholder starts empty with its hint as the prompt; left empty, it keeps the
    placeholder (still to fill in). A description or criteria holding one starts as its text, to edit in place.
    """

    def __init__(self, *args, goals: Iterable[TreatmentGoal], **kwargs):
        super().__init__(*args, **kwargs)
        self.goals: list[tuple[TreatmentGoal, list[str]]] = []
        for goal in goals:
            names = [name for name in goal_placeholders(goal) if name in FILLABLE_FIELDS]
            if not names:
                continue
            self.goals.append((goal, names))
            for name in names:
                self.fields[self.key(goal, name)] = self.blank_field(goal, name)
            self.fields[self.key(goal, "etag")] = forms.CharField(
                required=False, initial=goal.etag, widget=forms.HiddenInput
            )

    @staticmethod
    def key(goal: TreatmentGoal, name: str) -> str:
        return f"goal-{goal.pk}-{name}"

    @staticmethod
    def blank_field(goal: TreatmentGoal, name: str) -> forms.Field:
        current = getattr(goal, name)
        prompt = blank_prompt(current)
        if name in WHOLE_VALUE_FIELDS:
            return forms.CharField(
                required=False,
                max_length=100,
                label=BLANK_LABELS[name],
                help_text=f"To fill in: {prompt}.",
                widget=forms.TextInput(attrs={"placeholder": prompt, "class": "blank-input"}),
            )
        return forms.CharField(
            required=False,
            label=BLANK_LABELS[name],
            initial=current,
            help_text=f"Replace each [[…]] in the text: {prompt}.",
            widget=forms.Textarea(attrs={"rows": 2, "class": "blank-input"}),
        )

    @property
    def groups(self) -> list[tuple[TreatmentGoal, list[forms.BoundField], forms.BoundField]]:
        """Per goal: the goal, its blank fields and its hidden ETag (the template lays them out)."""
        return [
            (goal, [self[self.key(goal, name)] for name in names], self[self.key(goal, "etag")])
            for goal, names in self.goals
        ]

    @property
    def blank_count(self) -> int:
        return sum(len(names) for _, names in self.goals)

    def values(self) -> dict[uuid.UUID, dict[str, str]]:
        """What the services write: the fields given a value (an empty baseline or target keeps its placeholder)."""
        values: dict[uuid.UUID, dict[str, str]] = {}
        for goal, names in self.goals:
            for name in names:
                typed = (self.cleaned_data.get(self.key(goal, name)) or "").strip()
                if typed and typed != getattr(goal, name):
                    values.setdefault(goal.pk, {})[name] = typed
        return values

    def etags(self) -> dict[uuid.UUID, str]:
        return {goal.pk: self.cleaned_data.get(self.key(goal, "etag")) or goal.etag for goal, _ in self.goals}

    def add_service_errors(self, messages: dict[str, list[str]]) -> None:
        """The service names a goal's errors `<goal id>.<field>`: each goes beside its field, else above the form."""
        for name, errors in messages.items():
            goal_id, _, field = name.partition(".")
            key = name if name in self.fields else f"goal-{goal_id}-{field}"
            self.add_error(key if key in self.fields else None, errors)

    def refresh_etags(self) -> None:
        """After a conflict the form keeps what was typed and now names the goals as they stand, so saving again
        is a deliberate overwrite."""
        data = QueryDict(mutable=True)
        data.update(self.data)
        for goal, _ in self.goals:
            data[self.key(goal, "etag")] = goal.etag
        self.data = data


class SaveAsTemplateForm(forms.Form):
    """The plan page's "Save as template": the template's name and summary (the tree comes from the plan)."""

    name = forms.CharField(max_length=200, help_text="As your practice's templates list will show it.")
    summary = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Who it is for and the approach. The patient's values, dates, notes and progress are not copied.",
    )


# --- the template builder ------------------------------------------------------------------------


class TemplateDetailsForm(forms.Form):
    """A practice template's name, summary, codes and typical problems (one a line)."""

    name = forms.CharField(max_length=200)
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    diagnosis_codes = forms.CharField(
        required=False,
        max_length=500,
        label="Diagnosis codes",
        help_text="ICD-10-CM codes or categories it fits, comma-separated, e.g. F41.1, F43.1.",
    )
    presenting_problems = forms.CharField(
        required=False,
        label="Typical presenting problems",
        help_text="One a line.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    @classmethod
    def initial_for(cls, template) -> dict:
        return {
            "name": template.name,
            "summary": template.summary,
            "diagnosis_codes": ", ".join(template.diagnosis_codes),
            "presenting_problems": "\n".join(template.presenting_problems),
        }

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "summary": data["summary"],
            "diagnosis_codes": split_codes(data["diagnosis_codes"]),
            "presenting_problems": [line.strip() for line in data["presenting_problems"].splitlines() if line.strip()],
        }


class TemplateGoalForm(SmartAnswerFields):
    """A goal of a template's tree: its text, the values to fill in (placeholders), its target offset and the
    SMART template's answers (what a plan built from it starts with)."""

    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    measurable_criteria = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    baseline_value = forms.CharField(
        required=False,
        max_length=100,
        help_text="Usually a placeholder the therapist fills in, e.g. [[worry episodes per day]].",
    )
    target_value = forms.CharField(
        required=False, max_length=100, help_text="e.g. [[worry episodes per day, e.g. 2 or fewer]]."
    )
    priority = forms.IntegerField(min_value=1, max_value=10, initial=1, label="Priority (1 = highest)")
    target_offset_weeks = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=520,
        label="Target (weeks after the plan's start)",
    )
    measure_instrument = forms.ChoiceField(
        required=False, choices=[("", "None"), *INSTRUMENT_CHOICES], label="Measure (objectives only)"
    )
    measure_target_score = forms.IntegerField(required=False, label="Target score")

    #: The tree's fields that are a field of this form each, as `treatment.plan_templates` names them (the SMART
    #: answers are a field per question).
    TREE_FIELDS = tuple(name for name in GOAL_FIELDS if name != "smart")

    def __init__(self, *args, is_objective: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_objective:
            del self.fields["measure_instrument"], self.fields["measure_target_score"]
        self.add_smart_fields()

    @classmethod
    def initial_for(cls, item: dict) -> dict:
        """The form's initial values for a goal of a template's tree as stored (`tree_as_data`)."""
        return {**{name: item[name] for name in cls.TREE_FIELDS}, **cls.smart_initial(item.get("smart"))}

    def tree_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in self.TREE_FIELDS if name in self.fields}
        return {**fields, "smart": self.smart_answers()}


class TemplateInterventionForm(forms.Form):
    """An intervention from the practice's library for a template's goal, and how often."""

    intervention = forms.ModelChoiceField(queryset=Intervention.objects.none(), label="Intervention")
    frequency = forms.CharField(required=False, max_length=50, help_text="e.g. weekly, every session, daily practice.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["intervention"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Intervention.objects.available_to(user).active().order_by("name")
