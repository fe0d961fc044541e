"""The review pages: record a review of a plan (goals updated in place), its sealed versions, compare two of them,
and co-sign a review.

Access as everywhere: the plan is looked up among those the user may view (else 404); recording a review needs
`change` (else 403). Co-signing is decided by the service (the clinical supervisor only). Reads are audited.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views import View
from django.views.generic.detail import SingleObjectMixin

from accounts.audit import Action, AuditContext, audit_record, audit_record_many
from accounts.concurrency import StaleWrite
from accounts.forms import ClinicalDateField
from accounts.mixins import PatientDataMixin
from accounts.validators import validate_clinical_datetime
from reviews.models import PlanReview, PlanVersion
from reviews.services.drift import GoalDrift, GoalSeen, ReviewMerge, review_drift, review_merge
from reviews.services.reviews import review_cosign, review_record
from reviews.snapshots import PLAN_LABELS, display_value, plan_snapshot, readable_diff, readable_goals
from treatment.models import GoalStatus, TreatmentPlan
from treatment.selectors import GoalNode, plan_tree
from treatment.services.common import require_open

# --- the review form ---------------------------------------------------------------------------


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

    def goal_rows(self) -> list[dict]:
        depths, rows = {}, []
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
        data = self.data.copy()
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


# --- shared lookups ----------------------------------------------------------------------------


class PlanPageMixin(PatientDataMixin, SingleObjectMixin):
    """A page about one plan the user may view (404 otherwise); `required_action = "change"` for writes (403)."""

    model = TreatmentPlan
    context_object_name = "plan"

    def get_queryset(self):
        return super().get_queryset().select_related("patient__practice", "therapist")


def _versions_of(plan: TreatmentPlan):
    """The plan's sealed versions without their snapshots, each holding the plan already loaded."""
    versions = list(
        PlanVersion.objects.filter(plan=plan)
        .defer("snapshot")
        .select_related("created_by", "review__reviewer")
        .order_by("-number")
    )
    for version in versions:
        version.plan = plan
    return versions


def _version(plan: TreatmentPlan, number) -> PlanVersion:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise Http404("No such version.") from None
    version = get_object_or_404(
        PlanVersion.objects.select_related("created_by", "review__reviewer"), plan=plan, number=number
    )
    version.plan = plan
    return version


# --- recording a review ------------------------------------------------------------------------


class PlanReviewView(PlanPageMixin, View):
    """`/plans/<pk>/review/`: every goal with its status and progress editable in place, and the review itself."""

    required_action = "change"
    template_name = "reviews/review_form.html"

    def setup_plan(self):
        self.object = plan = self.get_object()
        require_open(plan)
        self.nodes = plan_tree(plan).in_tree_order()
        return plan

    def initial(self, plan: TreatmentPlan) -> dict:
        today = plan.patient.practice.today()
        return {
            "review_date": today,
            "next_review_date": today + datetime.timedelta(days=plan.review_frequency_days),
            "etag": plan.etag,
            "loaded_at": timezone.now().isoformat(),
        }

    def render_page(self, form, *, status=200, stale=None):
        plan = self.object
        context = {
            "plan": plan,
            "patient": plan.patient,
            "form": form,
            "goal_rows": form.goal_rows(),
            "stale": stale,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        plan = self.setup_plan()
        audit_record(self.audit, Action.VIEW, plan)
        return self.render_page(ReviewForm(initial=self.initial(plan), goals=self.nodes))

    def post(self, request, *args, **kwargs):
        plan = self.setup_plan()
        form = ReviewForm(request.POST, initial=self.initial(plan), goals=self.nodes)
        if not form.is_valid():
            return self.render_page(form)
        seen = form.goals_seen()
        drift = review_drift(goals=self.nodes, seen=seen, loaded_at=form.cleaned_data.get("loaded_at"))
        if drift:
            return self._stale(form, seen, drift)
        data = form.cleaned_data
        try:
            review = review_record(
                by=self.audit,
                plan=plan,
                review_date=data["review_date"],
                summary=data["summary"],
                modifications_made=data["modifications_made"],
                next_review_date=data["next_review_date"],
                goal_changes=form.goal_changes(),
                if_match=data["etag"] or None,
            )
        except StaleWrite:
            return self._stale(form, seen, [])
        except ValidationError as error:
            form.add_service_error(error)
            return self.render_page(form)
        messages.success(request, f"Review recorded — version {review.version} sealed")
        return redirect(plan.get_absolute_url())

    def _stale(self, form: ReviewForm, seen: dict[uuid.UUID, GoalSeen], drift: list[GoalDrift]):
        """Show what changed meanwhile; keep what the user typed, on top of the current state."""
        merge = review_merge(plan=self.object, seen=seen, loaded_at=form.cleaned_data.get("loaded_at"))
        self.object, self.nodes = merge.plan, merge.nodes
        fresh = ReviewForm(form.merged_data(merge), initial=self.initial(merge.plan), goals=self.nodes)
        fresh.is_valid()
        return self.render_page(fresh, status=409, stale={"goals": drift, "plan": merge.plan_changes})


# --- versions ----------------------------------------------------------------------------------


class PlanVersionsView(PlanPageMixin, View):
    """`/plans/<pk>/versions/`: the sealed versions, newest first, and a form to compare two."""

    def get(self, request, *args, **kwargs):
        plan = self.get_object()
        versions = _versions_of(plan)
        audit_record_many(self.audit, Action.VIEW, [plan, *versions])
        return render(request, "reviews/versions.html", {"plan": plan, "patient": plan.patient, "versions": versions})


class PlanVersionView(PlanPageMixin, View):
    """`/plans/<pk>/versions/<n>/`: one sealed version, read-only, as its review saw the plan."""

    def get(self, request, *args, **kwargs):
        plan = self.get_object()
        version = _version(plan, kwargs["number"])
        audit_record(self.audit, Action.VIEW, version)
        snapshot = version.snapshot
        context = {
            "plan": plan,
            "patient": plan.patient,
            "version": version,
            "sealed": snapshot.get("plan", {}),
            "fields": [
                {"label": PLAN_LABELS[name], "value": display_value(name, snapshot.get("plan", {}).get(name))}
                for name in PLAN_LABELS
                if name not in ("title", "version")
            ],
            "goals": readable_goals(snapshot),
        }
        return render(request, "reviews/versions_detail.html", context)


class PlanVersionCompareView(PlanPageMixin, View):
    """`/plans/<pk>/versions/compare/?a=<n>&b=<n|current>`: what changed from version a to b (or the live plan)."""

    def get(self, request, *args, **kwargs):
        plan = self.get_object()
        versions = _versions_of(plan)
        context = {"plan": plan, "patient": plan.patient, "versions": versions}
        if not versions:
            audit_record(self.audit, Action.VIEW, plan)
            return render(request, "reviews/versions_compare.html", context)
        a = request.GET.get("a") or str(versions[0].number)
        b = (request.GET.get("b") or "current").strip().lower()
        old = _version(plan, a)
        read = [old]
        if b == "current":
            new_snapshot = plan_snapshot(plan)
            read.append(plan)
        else:
            new = _version(plan, b)
            new_snapshot = new.snapshot
            read.append(new)
        audit_record_many(self.audit, Action.VIEW, read)
        context.update({"a": old.number, "b": b, **readable_diff(old.snapshot, new_snapshot)})
        return render(request, "reviews/versions_compare.html", context)


# --- co-signing --------------------------------------------------------------------------------


class ReviewCosignView(PatientDataMixin, View):
    """`POST /reviews/<pk>/cosign/`: the clinical supervisor co-signs (others: 403; not visible: 404)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        reviews = PlanReview.objects.restrict(request.user, "view").select_related("plan")
        review = get_object_or_404(reviews, pk=pk)
        try:
            review = review_cosign(by=AuditContext.from_request(request), review=review)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Review of {review.review_date:%Y-%m-%d} co-signed.")
        return redirect(review.plan.get_absolute_url())


urlpatterns = [
    path("plans/<uuid:pk>/review/", PlanReviewView.as_view(), name="plan-review"),
    path("plans/<uuid:pk>/versions/", PlanVersionsView.as_view(), name="plan-versions"),
    path("plans/<uuid:pk>/versions/compare/", PlanVersionCompareView.as_view(), name="plan-version-compare"),
    path("plans/<uuid:pk>/versions/<int:number>/", PlanVersionView.as_view(), name="plan-version"),
    path("reviews/<uuid:pk>/cosign/", ReviewCosignView.as_view(), name="review-cosign"),
]
