"""The "Record a session" form: the session, every goal's progress, the interventions delivered, in one submit.

The form only parses and checks what a browser can get wrong (types, bounds, a note for a rated goal);
the business rules (a future date, a closed plan, a discontinued goal, the library of another practice,
what asks for a confirmation) stay in `treatment.services.session_record`, whose refusals the view maps
back onto these fields.

A goal counts as addressed when anything is entered for it (a note, a value, a rating, an intervention):
the therapist does not tick what they have just written about. The tick stays for a goal worked on with
nothing to record, which the service then asks to confirm.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django import forms
from django.forms.utils import ErrorDict

from accounts.forms import ClinicalDateField
from accounts.models import CLINICAL_ROLES, User
from interventions.models import Intervention
from treatment.instruments import Instrument
from treatment.measure_forms import InstrumentFormMixin
from treatment.models import GoalIntervention, GoalStatus, TreatmentGoal, TreatmentPlan
from treatment.selectors import GoalNode, LastProgress

RATING_CHOICES = [("", "—"), *((str(n), str(n)) for n in range(1, 11))]


@dataclass
class GoalRow:
    """One goal of the checklist with its bound fields (None for a goal that takes no progress), then its
    sub-goals' rows."""

    goal: TreatmentGoal
    depth: int
    #: The goal's links to interventions (the choices of its `interventions` field).
    links: tuple[GoalIntervention, ...]
    addressed: forms.BoundField | None = None
    note: forms.BoundField | None = None
    value: forms.BoundField | None = None
    rating: forms.BoundField | None = None
    interventions: forms.BoundField | None = None
    #: Its latest progress entry before this session, shown read-only beside the fields.
    last: LastProgress | None = None
    children: list[GoalRow] = field(default_factory=list)

    # The page writes these inputs itself: Django's widget templates cost ~1 ms a field, and a plan of
    # 30 goals has 150 of them.

    @property
    def checked(self) -> bool:
        return bool(self.addressed.value())

    @property
    def rating_options(self) -> list[tuple[str, str, bool, str]]:
        """(value, label, checked, html id) of each radio of the rating's segmented control ("" is "not rated")."""
        if self.rating is None:
            return []
        rating, current = self.rating, str(self.rating.value() or "")
        return [
            (value, label, value == current, f"{rating.auto_id}_{value or 'none'}") for value, label in RATING_CHOICES
        ]

    @property
    def intervention_options(self) -> list[tuple[str, str, bool, str]]:
        """(value, label, ticked, html id) for each intervention linked to the goal."""
        ticked = {str(v) for v in self.interventions.value() or []}
        return [
            (value, label, value in ticked, f"{self.interventions.auto_id}_{i}")
            for i, (value, label) in enumerate(self.interventions.field.choices)
        ]


def goal_field(goal: TreatmentGoal, part: str = "") -> str:
    """The form field name of a goal's part ("" is its "addressed" checkbox)."""
    return f"goal_{goal.pk.hex}{'_' + part if part else ''}"


class SessionForm(InstrumentFormMixin, forms.Form):
    #: The library's checkboxes are reached through their section's heading (the error summary's link).
    error_anchors = {"extra_interventions": "library-heading"}

    session_date = ClinicalDateField(label="Session date", widget=forms.DateInput(attrs={"type": "date"}))
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=1, max_value=600, initial=50, widget=forms.NumberInput(attrs={"step": 1})
    )
    notes = forms.CharField(label="Session notes", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    extra_interventions = forms.ModelMultipleChoiceField(
        label="Other interventions delivered",
        queryset=Intervention.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    library_q = forms.CharField(label="Search the intervention library", required=False, max_length=100)
    #: Sent by the "Record anyway" button once the page has shown what looks implausible.
    confirm = forms.BooleanField(label="Record anyway", required=False)

    def __init__(
        self,
        *args,
        plan: TreatmentPlan,
        roots: Sequence[GoalNode],
        user: User,
        today: datetime.date,
        last: Mapping[uuid.UUID, LastProgress] | None = None,
        measures: Sequence[tuple[Instrument, str]] = (),
        **kw,
    ):
        super().__init__(*args, **kw)
        self.plan, self.user, self.today = plan, user, today
        self.last = last or {}
        self.fields["session_date"].initial = today
        self.fields["session_date"].widget.attrs["max"] = today.isoformat()
        self.fields["extra_interventions"].queryset = Intervention.objects.available_to(user).active()
        if user.acts_for_practice():
            # Only a practice admin records for someone else (treatment.services.common.choose_clinician):
            # they name the clinician who held the session, by default the plan's.
            self.fields["therapist"] = forms.ModelChoiceField(
                label="Therapist who held the session",
                queryset=User.objects.filter(
                    practice_id=plan.patient.practice_id, role__in=CLINICAL_ROLES, is_active=True
                ).order_by("full_name", "email"),
                initial=plan.therapist_id,
                required=False,
                empty_label=f"The plan's therapist ({plan.therapist.get_full_name()})",
            )
        #: Every goal's row in tree order; `root_rows` are the long-term goals' (each row holds its sub-goals').
        self.rows: list[GoalRow] = []
        self.root_rows = self._add_goals(roots, 0)
        # The plan's instruments, each with why it is due ("" when it is not): optional here, since a session
        # is recorded without them, but one started is answered in full (`check_started_in_full`).
        self.instruments, self.administered = {}, []
        for instrument, due in measures:
            self.add_item_fields(instrument, optional=True, due=due)

    def _add_goals(self, nodes: Sequence[GoalNode], depth: int) -> list[GoalRow]:
        rows = []
        for node in nodes:
            goal = node.goal
            row = GoalRow(goal, depth, node.interventions, last=self.last.get(goal.pk))
            if goal.status != GoalStatus.DISCONTINUED:
                self.fields[goal_field(goal)] = forms.BooleanField(label=goal.description, required=False)
                self.fields[goal_field(goal, "note")] = forms.CharField(
                    label=f"Progress note for {goal.description}",
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
                self.fields[goal_field(goal, "value")] = forms.CharField(
                    label=f"Value for {goal.description}", required=False, max_length=100
                )
                self.fields[goal_field(goal, "rating")] = forms.TypedChoiceField(
                    label=f"Rating (1–10) for {goal.description}",  # noqa: RUF001 (the en dash of a range)
                    choices=RATING_CHOICES,
                    coerce=int,
                    empty_value=None,
                    required=False,
                    widget=forms.RadioSelect,
                )
                self.fields[goal_field(goal, "interventions")] = forms.MultipleChoiceField(
                    label=f"Interventions delivered for {goal.description}",
                    choices=[(str(link.intervention_id), link.intervention.name) for link in node.interventions],
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
                row.addressed = self[goal_field(goal)]
                row.note = self[goal_field(goal, "note")]
                row.value = self[goal_field(goal, "value")]
                row.rating = self[goal_field(goal, "rating")]
                row.interventions = self[goal_field(goal, "interventions")]
            self.rows.append(row)
            row.children = self._add_goals(node.children, depth + 1)
            rows.append(row)
        return rows

    def clean_session_date(self):
        value = self.cleaned_data["session_date"]
        if value > self.today:
            raise forms.ValidationError(
                f"A session is recorded after it happens: {value:%Y-%m-%d} is in the future "
                f"(today is {self.today:%Y-%m-%d} at the practice)."
            )
        return value

    def clean(self):
        data = super().clean()
        self.check_started_in_full()
        for row in self.rows:
            goal = row.goal
            if row.note is None:
                self._check_closed_goal(goal)
                continue
            note = (data.get(goal_field(goal, "note")) or "").strip()
            if not note and (data.get(goal_field(goal, "value")) or data.get(goal_field(goal, "rating"))):
                self.add_error(goal_field(goal, "note"), "Write what was observed to go with the value or rating.")
        return data

    def _check_closed_goal(self, goal: TreatmentGoal) -> None:
        """A goal discontinued since the page was opened has no fields any more: say so, with the note typed."""
        note = (self.data.get(goal_field(goal, "note")) or "").strip()
        if self.data.get(goal_field(goal)) or note:
            message = (
                f"“{goal.description}” was {goal.get_status_display().lower()} while you were writing, so it "
                "takes no progress now: record the session without it, or reopen the goal on the plan page first."
            )
            if note:
                message += f" Your note for it was: “{note}”"
            self.add_error(None, message)

    # --- what the service takes ------------------------------------------------------------------

    def _addressed_rows(self) -> list[GoalRow]:
        """The goals ticked, or with anything entered for them (what was valid of it, on a refused submit)."""
        data = self.cleaned_data
        return [
            row
            for row in self.rows
            if row.note is not None
            and any(data.get(goal_field(row.goal, part)) for part in ("", "note", "value", "rating", "interventions"))
        ]

    def addressed_goals(self) -> list[TreatmentGoal]:
        return [row.goal for row in self._addressed_rows()]

    def progress(self) -> list[dict]:
        """One entry per addressed goal with a note, in tree order (the service reports errors by position)."""
        entries = []
        for goal in self.addressed_goals():
            note = (self.cleaned_data.get(goal_field(goal, "note")) or "").strip()
            if note:
                entries.append(
                    {
                        "goal": goal,
                        "progress_note": note,
                        "progress_value": self.cleaned_data.get(goal_field(goal, "value"), ""),
                        "rating": self.cleaned_data.get(goal_field(goal, "rating")),
                    }
                )
        return entries

    def interventions(self) -> list[dict]:
        delivered: list[dict] = []
        for row in self._addressed_rows():
            goal = row.goal
            links = {str(link.intervention_id): link.intervention for link in row.links}
            delivered += [
                {"intervention": links[pk], "goal": goal}
                for pk in self.cleaned_data.get(goal_field(goal, "interventions"), [])
            ]
        delivered += [{"intervention": i, "goal": None} for i in self.cleaned_data.get("extra_interventions", [])]
        return delivered

    # --- rendering --------------------------------------------------------------------------------

    def parents(self) -> dict[uuid.UUID, uuid.UUID | None]:
        """{goal_id: parent_goal_id} of the plan's goals (for `session_warnings`, without a query)."""
        return {row.goal.pk: row.goal.parent_goal_id for row in self.rows}

    def chosen_extras(self) -> list[Intervention]:
        """The library interventions the user added, to render them ticked again (valid ids only)."""
        if not self.is_bound:
            return []
        field = self.fields["extra_interventions"]
        ids = [v for v in self.data.getlist("extra_interventions") if v]
        try:
            return list(field.queryset.filter(pk__in=ids)) if ids else []
        except (ValueError, forms.ValidationError):
            return []

    def quiet(self) -> SessionForm:
        """Render what was typed without judging it yet (the no-JavaScript library search round trip)."""
        self._errors = ErrorDict()
        self.cleaned_data = {}
        return self
