"""The plan page and the plan builder (create and edit), and the status change. The builder's lists (diagnoses,
presenting problems) are `treatment.views.builder_lists`; its templates `treatment.views.template_choice`."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode

from accounts.audit import Action, AuditContext, audit_record
from accounts.concurrency import StaleWrite
from accounts.forms import add_service_error
from accounts.models import Patient
from accounts.pages import PatientDataPage
from treatment import services
from treatment.forms import PlanCloseForm, PlanForm, PlanStatusForm
from treatment.measure_selectors import patient_safety
from treatment.models import GoalStatus, PlanStatus, ReviewStatus, TherapySession, TreatmentPlan
from treatment.models.plan import CLOSED_STATUSES
from treatment.panels import panel_prefetches, plan_panels
from treatment.views import amending, template_choice
from treatment.views.base import PlanPage, refresh_etag
from treatment.views.builder_lists import BUILDER_ACTIONS, apply_builder_action
from treatment.views.measures import can_assess
from treatment.views.templates import may_save_as_template
from treatment.views.tree import plan_blanks, tree_context

PLAN_CONFLICT = (
    "Someone else saved this plan first. What you typed is kept below but not saved: check it against the "
    "current plan, then save again to replace it."
)
STATUS_CONFLICT = (
    "Someone else saved this plan first, so its status was not changed. The page shows the plan as it is now: "
    "change the status again if you still want to."
)
CLOSE_CONFLICT = (
    "Someone else saved this plan first, so it was not closed. Your reason is kept below: check the plan, "
    "then confirm again to close it."
)
RECENT_SESSIONS = 5
REVIEW_BADGE = {
    ReviewStatus.CURRENT: "ok",
    ReviewStatus.DUE_SOON: "warn",
    ReviewStatus.DUE: "warn",
    ReviewStatus.OVERDUE: "danger",
    ReviewStatus.NOT_REQUIRED: "neutral",
}


# --- create and edit ----------------------------------------------------------------------------


class PlanBuilderPage(PatientDataPage):
    """The plan builder's form, for a new plan (a patient's) and an existing one."""

    template_name = "treatment/plan_form.html"
    required_action = "change"
    success_message = ""

    def builder_patient(self) -> Patient:
        raise NotImplementedError

    def builder_plan(self) -> TreatmentPlan | None:
        """The plan being edited (None for a new one)."""
        return None

    def save(self, form: PlanForm) -> TreatmentPlan:
        raise NotImplementedError

    def extra_context(self, form: PlanForm) -> dict:
        """What a kind of builder page adds to the form's context."""
        return {}

    def make_form(self, data=None, **kwargs) -> PlanForm:
        plan = self.builder_plan()
        form = PlanForm(data, patient=self.builder_patient(), user=self.request.user, plan=plan, **kwargs)
        return amending.ask_reason(form, self.request, plan) if plan is not None else form

    def render_form(self, form, *, query: str = "", results=None, focus: str = "", status: int = 200):
        picker = {"chips": form.chips, "query": query, "results": results}
        plan = self.builder_plan()
        context = {
            "form": form,
            "patient": self.builder_patient(),
            "plan": self.builder_plan(),
            "picker": picker,
            "problems": form.problems,
            "focus": focus,
            "diagnosis_errors": form.errors.get("diagnosis_codes") if form.is_bound else None,
            "problem_errors": form.errors.get("presenting_problems") if form.is_bound else None,
        }
        if plan is not None:
            context.update(amending.amending_context(self.request, plan, next_url=self.request.path, target="plan"))
        context.update(self.extra_context(form))
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        # The page shows the plan being edited, or for a new one the patient it is for.
        plan = self.builder_plan()
        audit_record(self.audit, Action.VIEW, plan if plan is not None else self.builder_patient())
        return self.render_form(self.make_form())

    def post(self, request, *args, **kwargs):
        if any(name in request.POST for name in BUILDER_ACTIONS):
            # A list button without JavaScript: show the form again with the lists changed, nothing saved.
            state = apply_builder_action(request.POST)
            initial = {name: request.POST.get(name, "") for name in (*PlanForm.base_fields, amending.FIELD)}
            form = self.make_form(initial=initial, codes=state["codes"], problems=state["problems"])
            return self.render_form(form, query=state["query"], results=state["results"], focus=state["focus"])
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        try:
            plan = self.save(form)
        except StaleWrite as stale:
            form.add_error(None, PLAN_CONFLICT)
            refresh_etag(form, stale.current_etag)
            return self.render_form(form)
        except ValidationError as error:
            add_service_error(form, error, {"therapist_id": "therapist", "patient": None})
            return self.render_form(form)
        messages.success(request, self.success_message)
        return redirect(plan)


class PlanCreateView(PlanBuilderPage):
    """The plan builder for a new plan, with its goal tree from the templates ticked (or built on the plan page
    after it is saved)."""

    model = Patient
    lookup_kwarg = "patient_pk"
    select_related = ("practice",)
    success_message = "The plan was created. Add its goals below."
    #: The service's refusals of the goals' texts typed in the templates' trees, by goal id (`save`).
    goal_errors: dict[str, list[str]] = {}

    def builder_patient(self) -> Patient:
        return self.object

    def extra_context(self, form: PlanForm) -> dict:
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        return template_choice.choice_context(self.request.user, data, codes=form.codes, errors=self.goal_errors)

    def save(self, form: PlanForm) -> TreatmentPlan:
        templates = template_choice.chosen_templates(self.request.user, self.request.POST.getlist("template_ids"))
        adjustments = template_choice.chosen_adjustments(self.request.POST, templates)
        try:
            plan = services.plan_create(
                by=self.audit,
                patient=self.object,
                templates=templates,
                template_adjustments=adjustments,
                **form.service_fields(),
            )
        except ValidationError as error:
            self.goal_errors = template_choice.goal_errors(error)
            raise
        if templates:
            names = " and ".join(f"\u201c{template.name}\u201d" for template in templates)
            self.success_message = f"The plan was created from {names}. Fill in the blanks, then edit any goal below."
        return plan


class PlanEditView(PlanPage, PlanBuilderPage):
    """The plan builder for an existing plan, saved with its ETag (If-Match)."""

    success_message = "The plan was saved."

    def builder_patient(self) -> Patient:
        return self.plan.patient

    def builder_plan(self) -> TreatmentPlan | None:
        return self.plan

    def save(self, form: PlanForm) -> TreatmentPlan:
        reason = amending.reason_for_write(form, self.request, self.plan)
        plan = services.plan_update(
            by=self.audit,
            plan=self.plan,
            if_match=form.cleaned_data["etag"] or None,
            amendment_reason=reason,
            **form.service_fields(),
        )
        amending.after_write(self.request, plan, reason)
        return plan


# --- the plan page ------------------------------------------------------------------------------


def age_on(born: datetime.date, day: datetime.date) -> int:
    """Full years from `born` to `day` (a 29 February birthday turns a year older on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def plan_page_context(request, plan: TreatmentPlan, *, can_change: bool, status_form=None) -> dict:
    context = tree_context(plan, can_change=can_change, amending_reason=amending.session_reason(request, plan))
    review_status = plan.review_status()
    sessions = (
        TherapySession.objects.filter(plan=plan)
        .select_related("therapist")
        .annotate(n_goals=Count("goals_addressed"))
        .order_by("-session_date", "-created_at")[:RECENT_SESSIONS]
    )
    editable = context["editable"]
    if status_form is None and editable:
        status_form = PlanStatusForm(plan=plan)
    context.update(
        patient=plan.patient,
        patient_age=age_on(plan.patient.date_of_birth, plan.patient.practice.today()),
        can_change=can_change,
        review_status=review_status,
        review_status_label=ReviewStatus(review_status).label,
        review_badge=REVIEW_BADGE[ReviewStatus(review_status)],
        recent_sessions=list(sessions),
        plan_panels=plan_panels(),
        safety=patient_safety(plan.patient_id),
        can_assess=can_assess(request.user, can_change),
        status_form=status_form if editable and status_form.fields["status"].choices else None,
        blanks=plan_blanks(request, plan, context["roots"], editable=editable),
        can_save_template=may_save_as_template(request.user, plan),
    )
    return context


def plan_page(request, plan: TreatmentPlan, *, can_change: bool, status_form=None):
    """The plan page, with what the panels of other apps read (`treatment.panels`), audited as a view."""
    prefetch_related_objects([plan], *panel_prefetches())
    context = plan_page_context(request, plan, can_change=can_change, status_form=status_form)
    response = render(request, "treatment/plan_detail.html", context)
    audit_record(AuditContext.from_request(request), Action.VIEW, plan)
    return response


class PlanDetailView(PlanPage):
    """The plan page: its details, the goal tree, the recent sessions and the panels other apps add."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        return plan_page(request, self.plan, can_change=self.can_change)


class PlanStatusView(PlanPage):
    """POST: put the plan on hold or back to active in one click; completing or discontinuing it goes on to the
    confirmation step (`PlanCloseView`), which asks for the reason. Errors show on the plan page."""

    http_method_names = ["post"]
    required_action = "change"

    def post(self, request, *args, **kwargs):
        plan = self.plan
        form = PlanStatusForm(request.POST, plan=plan)
        if form.is_valid() and form.cleaned_data["status"] in CLOSED_STATUSES:
            query = {"status": form.cleaned_data["status"], "etag": form.cleaned_data["etag"] or plan.etag}
            return redirect(f"{reverse('plan-close', args=[plan.pk])}?{urlencode(query)}")
        if form.is_valid():
            try:
                plan = services.plan_update(
                    by=self.audit,
                    plan=plan,
                    if_match=form.cleaned_data["etag"] or None,
                    status=form.cleaned_data["status"],
                )
            except StaleWrite as stale:
                form.add_error(None, STATUS_CONFLICT)
                refresh_etag(form, stale.current_etag)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, f"The plan is now {plan.get_status_display().lower()}.")
                return redirect(plan)
        # The plan as it now stands: a conflict shows the current one (closed meanwhile: 409).
        self.object = self.load(plan.pk)
        self.check_writable(self.object)
        return plan_page(request, self.object, can_change=self.can_change, status_form=form)


class PlanCloseView(PlanPage):
    """`/plans/<pk>/close/`: what closing means, the reason, and the button that closes the plan for good.

    GET shows the step (`?status=` preselects completed or discontinued; `?etag=` is the plan as the user saw
    it on the plan page, so a change made meanwhile is a conflict here too). POST closes the plan through
    `plan_update`; a refusal shows on this page with the reason kept.
    """

    http_method_names = ["get", "post"]
    required_action = "change"
    template_name = "treatment/plan_close.html"

    def render_step(self, form: PlanCloseForm, *, status: int = 200):
        plan = self.plan
        context = {
            "plan": plan,
            "patient": plan.patient,
            "form": form,
            "today": plan.local_today(),
            "goals_open": plan.goals.exclude(status__in=(GoalStatus.ACHIEVED, GoalStatus.DISCONTINUED)).count(),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        plan = self.plan
        initial = {"etag": request.GET.get("etag") or plan.etag}
        if request.GET.get("status") in CLOSED_STATUSES:
            initial["status"] = request.GET["status"]
        audit_record(self.audit, Action.VIEW, plan)
        return self.render_step(PlanCloseForm(plan=plan, initial=initial))

    def post(self, request, *args, **kwargs):
        form = PlanCloseForm(request.POST, plan=self.plan)
        if not form.is_valid():
            return self.render_step(form)
        try:
            plan = services.plan_update(
                by=self.audit,
                plan=self.plan,
                if_match=form.cleaned_data["etag"] or None,
                status=form.cleaned_data["status"],
                status_reason=form.cleaned_data["status_reason"],
            )
        except StaleWrite as stale:
            form.add_error(None, CLOSE_CONFLICT)
            refresh_etag(form, stale.current_etag)
            self.object = self.load(self.plan.pk)
            self.check_writable(self.object)
            return self.render_step(form)
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_step(form)
        label = PlanStatus(plan.status).label.lower()
        messages.success(request, f"The plan is now {label}. Its record is closed and its final version sealed.")
        return redirect(plan)


urlpatterns = [
    path("patients/<uuid:patient_pk>/plans/new/", PlanCreateView.as_view(), name="plan-create"),
    path("plans/<uuid:pk>/", PlanDetailView.as_view(), name="plan-detail"),
    path("plans/<uuid:pk>/edit/", PlanEditView.as_view(), name="plan-edit"),
    path("plans/<uuid:pk>/status/", PlanStatusView.as_view(), name="plan-status"),
    path("plans/<uuid:pk>/close/", PlanCloseView.as_view(), name="plan-close"),
]
