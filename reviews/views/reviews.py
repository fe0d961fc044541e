"""The review pages: record a review of a plan (goals updated in place), its sealed versions, compare two of them,
and co-sign a review.

Access as everywhere: the plan is looked up among those the user may view (else 404); recording a review needs
`change` (else 403). Co-signing is decided by the service (the clinical supervisor only). Reads are audited.
"""

from __future__ import annotations

import datetime
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format

from accounts.audit import Action, audit_record, audit_record_many
from accounts.concurrency import StaleWrite
from reviews.amendment_reasons import amendments_between, with_reasons
from reviews.forms import ReviewForm
from reviews.models import PlanReview, PlanVersion
from reviews.services.drift import GoalDrift, GoalSeen, review_drift, review_merge
from reviews.services.reviews import review_cosign, review_record
from reviews.snapshots import PLAN_LABELS, display_value, plan_snapshot, readable_diff, readable_goals
from treatment.models import TreatmentPlan
from treatment.selectors import plan_amendments, plan_tree
from treatment.views.base import PlanPage

# --- shared lookups ----------------------------------------------------------------------------


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


class PlanReviewView(PlanPage):
    """`/plans/<pk>/review/`: every goal with its status and progress editable in place, and the review itself."""

    required_action = "change"
    template_name = "reviews/review_form.html"

    def setup_plan(self) -> TreatmentPlan:
        plan = self.plan
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
            form.add_review_check(plan)
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


class PlanVersionsView(PlanPage):
    """`/plans/<pk>/versions/`: the sealed versions and the amendments made since the first signature, newest first,
    and a form to compare two versions."""

    def get(self, request, *args, **kwargs):
        plan = self.plan
        versions = _versions_of(plan)
        amendments = plan_amendments(plan)[::-1]
        audit_record_many(self.audit, Action.VIEW, [plan, *versions, *(read.amendment for read in amendments)])
        context = {"plan": plan, "patient": plan.patient, "versions": versions, "amendments": amendments}
        return render(request, "reviews/versions.html", context)


class PlanVersionView(PlanPage):
    """`/plans/<pk>/versions/<n>/`: one sealed version, read-only, as its review saw the plan."""

    def get(self, request, *args, **kwargs):
        plan = self.plan
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


class PlanVersionCompareView(PlanPage):
    """`/plans/<pk>/versions/compare/?a=<n>&b=<n|current>`: what changed from version a to b (or the live plan), each
    change with the reasons of the amendments made between the two that touched it."""

    def get(self, request, *args, **kwargs):
        plan = self.plan
        versions = _versions_of(plan)
        context = {"plan": plan, "patient": plan.patient, "versions": versions}
        if not versions:
            audit_record(self.audit, Action.VIEW, plan)
            return render(request, "reviews/versions_compare.html", context)
        a = request.GET.get("a") or str(versions[0].number)
        b = (request.GET.get("b") or "current").strip().lower()
        old = _version(plan, a)
        read: list[PlanVersion | TreatmentPlan] = [old]
        new: PlanVersion | None = None
        if b == "current":
            new_snapshot = plan_snapshot(plan)
            read.append(plan)
        else:
            new = _version(plan, b)
            new_snapshot = new.snapshot
            read.append(new)
        amendments = amendments_between(plan, old, new)
        audit_record_many(self.audit, Action.VIEW, [*read, *(entry.amendment for entry in amendments)])
        diff = with_reasons(readable_diff(old.snapshot, new_snapshot), amendments, str(plan.pk))
        context.update({"a": old.number, "b": b, **diff})
        return render(request, "reviews/versions_compare.html", context)


# --- co-signing --------------------------------------------------------------------------------


class ReviewCosignView(PlanPage):
    """`POST /reviews/<pk>/cosign/`: the clinical supervisor co-signs (others: 403; not visible: 404).

    Reading the plan is what the page asks; whether this user may co-sign is the service's rule.
    """

    model = PlanReview
    plan_path = "plan"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            review = review_cosign(by=self.audit, review=self.object)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            review = self.object
        else:
            messages.success(request, f"Review of {date_format(review.review_date)} co-signed.")
        return redirect(review.plan.get_absolute_url())


urlpatterns = [
    path("plans/<uuid:pk>/review/", PlanReviewView.as_view(), name="plan-review"),
    path("plans/<uuid:pk>/versions/", PlanVersionsView.as_view(), name="plan-versions"),
    path("plans/<uuid:pk>/versions/compare/", PlanVersionCompareView.as_view(), name="plan-version-compare"),
    path("plans/<uuid:pk>/versions/<int:number>/", PlanVersionView.as_view(), name="plan-version"),
    path("reviews/<uuid:pk>/cosign/", ReviewCosignView.as_view(), name="review-cosign"),
]
