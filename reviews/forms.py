"""The review form: the review itself and every goal's status and progress, editable in place."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.forms import ClinicalDateField, add_check_errors
from accounts.validators import validate_clinical_datetime
from reviews.services.drift import GoalSeen, ReviewMerge
from reviews.services.reviews import review_check
from treatment.models import GoalStatus, TreatmentPlan
from treatment.selectors import GoalNode


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ReviewForm(forms.Form):
    """The review's own fields, and each goal's status and progress (`status_<id>`, `progress_<id>`).

    The goal fields carry their loaded value in a hidden `initial-` twin, so the page knows what the user
    changed (only that is sent to the service) and what someone else changed meanwhile.
    """

    # The service is the one place the rules live: fields it checks are not required here.
    review_date = ClinicalDateField(label="Review date", widget=DateInput())
    summary = forms.CharField(
        label="Summary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What the review found: progress, barriers, what the client said.",
    )
    modifications_made = forms.CharField(
        label="Modifications made",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Changes to goals, interventions or frequency agreed at the review.",
    )
    next_review_date = ClinicalDateField(
        label="Next review date",
        required=False,
        widget=DateInput(),
        help_text="Left empty: the review date plus the plan's review frequency.",
    )
    etag = forms.CharField(widget=forms.HiddenInput, required=False)
    loaded_at = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, goals: Sequence[GoalNode] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.nodes = list(goals)
        self.goals = [node.goal for node in self.nodes]
        for node in self.nodes:
            goal = node.goal
            key = goal.pk.hex
            self.fields[f"status_{key}"] = forms.ChoiceField(
                label="Status",
                choices=GoalStatus.choices,
                required=False,
                initial=goal.status,
                show_hidden_initial=True,
                widget=forms.Select(attrs={"aria-label": f"Status: {goal.description}"}),
            )
            if not node.children:
                # A goal with sub-goals has its progress calculated from them.
                self.fields[f"progress_{key}"] = forms.IntegerField(
                    label="Progress (%)",
                    min_value=0,
                    max_value=100,
                    required=False,
                    initial=goal.progress_percentage,
                    show_hidden_initial=True,
                    widget=forms.NumberInput(attrs={"aria-label": f"Progress (%): {goal.description}"}),
                )

    def clean_loaded_at(self) -> datetime.datetime | None:
        """When the page was loaded (the hidden field, which a browser sends back as given): a moment with
        its UTC offset, in the clinical range; anything else means "unknown"."""
        try:
            loaded_at = parse_datetime(self.cleaned_data.get("loaded_at") or "")
            validate_clinical_datetime(loaded_at)
        except (ValueError, ValidationError):
            return None
        return loaded_at if loaded_at is not None and timezone.is_aware(loaded_at) else None

    def add_review_check(self, plan: TreatmentPlan) -> None:
        """After the form refused a field: the service's checks of the others too (`review_check`)."""
        data = self.cleaned_data
        try:
            review_check(
                plan=plan,
                review_date=data.get("review_date"),
                summary=data.get("summary", ""),
                next_review_date=data.get("next_review_date"),
            )
        except ValidationError as error:
            add_check_errors(self, error)

    def goal_rows(self) -> list[dict]:
        depths: dict[uuid.UUID, int] = {}
        rows: list[dict] = []
        for node in self.nodes:  # in tree order: a parent comes before its sub-goals
            goal = node.goal
            depth = depths[goal.parent_goal_id] + 1 if goal.parent_goal_id in depths else 0
            depths[goal.pk] = depth
            key = goal.pk.hex
            rows.append(
                {
                    "goal": goal,
                    "interventions": node.interventions,
                    "depth": depth,
                    "status": self[f"status_{key}"],
                    "progress": self[f"progress_{key}"] if f"progress_{key}" in self.fields else None,
                }
            )
        return rows

    def goal_changes(self) -> dict:
        """{goal id: {field: value}} of what the user changed on the page."""
        changed = set(self.changed_data)
        changes = {}
        for goal in self.goals:
            key = goal.pk.hex
            fields = {}
            if f"status_{key}" in changed and self.cleaned_data.get(f"status_{key}"):
                fields["status"] = self.cleaned_data[f"status_{key}"]
            if f"progress_{key}" in changed and self.cleaned_data.get(f"progress_{key}") is not None:
                fields["progress_percentage"] = self.cleaned_data[f"progress_{key}"]
            if fields:
                changes[str(goal.pk)] = fields
        return changes

    def goals_seen(self) -> dict[uuid.UUID, GoalSeen]:
        """Each goal as the page showed it when it was loaded, and which of its fields the user changed."""
        changed = set(self.changed_data)
        seen = {}
        for goal in self.goals:
            names = {field: name for field, name in self._goal_inputs(goal).items() if name in self.fields}
            loaded = {field: self.loaded_value(name) for field, name in names.items()}
            seen[goal.pk] = GoalSeen(
                status=loaded.get("status"),
                progress_percentage=loaded.get("progress_percentage"),
                changed=frozenset(field for field, name in names.items() if name in changed),
            )
        return seen

    def merged_data(self, merge: ReviewMerge):
        """The data sent, on top of the plan as it stands now (`review_merge`): each goal's loaded twin is its
        current value, and so is its input unless the user changed it; the page is loaded again now."""
        data = cast(QueryDict, self.data).copy()  # bound from request.POST
        for merged in merge.goals:
            names = self._goal_inputs(merged.goal)
            for field, value in merged.current.items():
                data[self.add_initial_prefix(names[field])] = value
                if field not in merged.keep:
                    data[names[field]] = value
        data["etag"] = merge.plan.etag
        data["loaded_at"] = merge.loaded_at.isoformat()
        return data

    @staticmethod
    def _goal_inputs(goal) -> dict[str, str]:
        """{goal field: the name of its input} for the goal fields the page edits."""
        return {"status": f"status_{goal.pk.hex}", "progress_percentage": f"progress_{goal.pk.hex}"}

    def loaded_value(self, name):
        """The value the page showed when it was loaded (from the hidden initial twin), or None."""
        field = self.fields[name]
        raw = field.hidden_widget().value_from_datadict(self.data, self.files, self.add_initial_prefix(name))
        if raw in (None, ""):
            return None
        try:
            return field.to_python(raw)
        except ValidationError:
            return None

    def add_service_error(self, error: ValidationError) -> None:
        """Put the service's refusal on the field it names (a goal's change on that goal's input)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        by_key = {str(goal.pk): goal for goal in self.goals}
        for key, messages_ in error.message_dict.items():
            target = key if key in self.fields and key not in ("etag", "loaded_at") else None
            if key.startswith("goal_changes["):
                goal_id, _, field = key[len("goal_changes[") :].partition("]")
                goal = by_key.get(goal_id)
                name = {".status": "status", ".progress_percentage": "progress"}.get(field)
                if goal is not None and name and f"{name}_{goal.pk.hex}" in self.fields:
                    target = f"{name}_{goal.pk.hex}"
                elif goal is not None:
                    messages_ = [f"{goal.description}: {m}" for m in messages_]
            self.add_error(target, messages_)
