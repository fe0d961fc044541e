"""The reason for amending a signed plan, asked once per editing session on the pages.

The services refuse a change to a signed plan without an `amendment_reason` (`treatment.services.amendments`).
A clinician editing a plan makes several changes for one reason, so the pages ask it once: the first form of the
session shows a reason field (or, for the one-click actions, the goal tree and the intervention picker show a
small reason form first), and the reason is then kept in the user's session for that plan and reused for each
following change, shown as "Amending: <reason>" with a way to give a new one. It lapses after
`REASON_LIFETIME` without a change, or once the plan's signature status moves other than by these changes
(the plan was signed again), or when the user asks for a new reason.
"""

from __future__ import annotations

import datetime
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.audit import Action, audit_record
from accounts.forms import add_service_error
from treatment.models import TreatmentPlan
from treatment.services.amendments import REASON_MAX_LENGTH, amendment_reason_clean
from treatment.views.base import PlanPage

F = TypeVar("F", bound=forms.BaseForm)

SESSION_KEY = "amendment_reasons"
#: How long a reason given on the pages stays in use without a change made with it.
REASON_LIFETIME = datetime.timedelta(minutes=30)
FIELD = "amendment_reason"
LABEL = "Why are you changing the signed plan?"
HELP = "Kept with each change you make to this plan for the next 30 minutes, and shown beside it in the version diff."


def reason_field(initial: str = "") -> forms.CharField:
    return forms.CharField(
        label=LABEL,
        help_text=HELP,
        required=False,
        max_length=REASON_MAX_LENGTH,
        initial=initial,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def session_reason(request: HttpRequest, plan: TreatmentPlan) -> str:
    """The reason the user gave for amending `plan` in this session, while it holds; else ""."""
    if not plan.needs_amendment_reason:
        return ""
    kept = request.session.get(SESSION_KEY, {}).get(str(plan.pk))
    if not kept:
        return ""
    given = datetime.datetime.fromisoformat(kept["at"])
    if timezone.now() - given > REASON_LIFETIME or kept["status"] != plan.signature_status:
        return ""
    return str(kept["reason"])


def keep_reason(request: HttpRequest, plan: TreatmentPlan, reason: str) -> None:
    """Keep `reason` for `plan` from now, against the plan's signature status as it now stands in the database
    (so a signature given later ends it)."""
    status = TreatmentPlan.objects.filter(pk=plan.pk).values_list("signature_status", flat=True).first()
    kept = dict(request.session.get(SESSION_KEY, {}))
    kept[str(plan.pk)] = {"reason": reason, "at": timezone.now().isoformat(), "status": status}
    request.session[SESSION_KEY] = kept


def forget_reason(request: HttpRequest, plan: TreatmentPlan) -> None:
    kept = dict(request.session.get(SESSION_KEY, {}))
    if kept.pop(str(plan.pk), None) is not None:
        request.session[SESSION_KEY] = kept


def ask_reason(form: F, request: HttpRequest, plan: TreatmentPlan) -> F:
    """Give `form` the reason field when the plan is signed and no reason is kept for it (the first change)."""
    if plan.needs_amendment_reason and not session_reason(request, plan):
        form.fields[FIELD] = reason_field()
    return form


def reason_for_write(form: forms.BaseForm, request: HttpRequest, plan: TreatmentPlan) -> str:
    """What a page passes the service as `amendment_reason`: the one typed in the form, else the kept one."""
    typed = form.cleaned_data.get(FIELD, "") if FIELD in form.fields else ""
    return typed.strip() or session_reason(request, plan)


def after_write(request: HttpRequest, plan: TreatmentPlan, reason: str) -> None:
    """After a change saved with `reason`: keep it (again) for the next change, from now."""
    if plan.needs_amendment_reason and reason:
        keep_reason(request, plan, reason)


def amending_context(request: HttpRequest, plan: TreatmentPlan, *, next_url: str, target: str) -> dict[str, Any]:
    """What `treatment/_amending.html` shows: the kept reason, or the small form that asks for it."""
    return {
        "amending_reason": session_reason(request, plan),
        "amending_next": next_url,
        "amending_target": target,
    }


class AmendmentReasonForm(forms.Form):
    amendment_reason = reason_field()
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class PlanAmendingView(PlanPage):
    """`/plans/<pk>/amending/`: give the reason for the changes to come (POST), or ask for a new one (`forget`).

    GET shows the step on a page of its own (the "new reason" link of a form); POST (a plain form, also from the
    goal tree and the picker) keeps the reason in the session and returns to `next`, a path of this site.
    """

    required_action = "change"
    http_method_names = ["get", "post"]
    template_name = "treatment/plan_amending.html"

    def next_url(self, value: str) -> str:
        if value and url_has_allowed_host_and_scheme(value, allowed_hosts={self.request.get_host()}):
            return value
        return self.plan.get_absolute_url()

    def render_step(self, form: AmendmentReasonForm, status: int = 200):
        context = {"plan": self.plan, "patient": self.plan.patient, "form": form}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        audit_record(self.audit, Action.VIEW, self.plan)
        initial = {"next": self.next_url(request.GET.get("next", "")), FIELD: session_reason(request, self.plan)}
        return self.render_step(AmendmentReasonForm(initial=initial))

    def post(self, request, *args, **kwargs):
        plan = self.plan
        back = self.next_url(request.POST.get("next", ""))
        if "forget" in request.POST:
            forget_reason(request, plan)
            return redirect(back)
        form = AmendmentReasonForm(request.POST)
        if form.is_valid():
            try:
                reason = amendment_reason_clean(plan, form.cleaned_data[FIELD])
            except ValidationError as error:
                add_service_error(form, error)
            else:
                keep_reason(request, plan, reason)
                messages.success(request, "Your changes to this plan will be kept with that reason.")
                return redirect(back)
        return self.render_step(form)


def amending_url(plan: TreatmentPlan) -> str:
    return reverse("plan-amending", args=[plan.pk])


urlpatterns = [
    path("plans/<uuid:pk>/amending/", PlanAmendingView.as_view(), name="plan-amending"),
]
