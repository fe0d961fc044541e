"""The signing pages: the clinician signs, the supervisor co-signs, the client signs in the room, the clinician
takes the tablet back.

- `plan-sign` (/plans/<pk>/sign/): the clinician re-enters their password (and authenticator code) to sign the
  version about to be sealed; the page shows its number and the statement the signature attests.
- `plan-cosign` (/plans/<pk>/cosign/): the same page for the clinical supervisor of the plan's clinician.
- `plan-client-handover` (POST /plans/<pk>/sign/client/start/): the clinician hands the device over; the session
  is locked to the client's page (`reviews.signing_lock`).
- `plan-client-sign` (/plans/<pk>/sign/client/): the bare, tablet-friendly page the client reads and signs.
- `plan-hand-back` (/plans/<pk>/sign/hand-back/): the locked screen; the clinician's password unlocks it.

Every rule (who signs in which role, the order, the password check and its lockout) is the sign service's
(`reviews.services.signatures`); these views parse, call and render. A refused submit keeps what was typed,
except the password, under the shared error summary.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from accounts.audit import Action, audit_record
from accounts.forms import add_service_error
from accounts.mfa.services import mfa_enrolled
from accounts.models import User
from reviews.models import PlanVersion, SignatureRole
from reviews.services.signatures import (
    SigningConflict,
    WrongCredentials,
    intent_statement,
    latest_version,
    may_sign,
    plan_sign,
    reauthenticate,
    version_roles,
    version_to_sign,
)
from reviews.signing_forms import ClientSignForm, StaffSignForm
from reviews.signing_lock import client_lock, client_unlock, locked_plan
from reviews.snapshots import plain_goals, plan_snapshot
from treatment.models import TreatmentPlan
from treatment.views.base import PlanPage


def _version_to_sign(plan: TreatmentPlan, role: str) -> tuple[int, PlanVersion | None]:
    """The number of the version a signature in `role` would bind, and that version when it is sealed already
    (the sign service's own answer, `version_to_sign`)."""
    latest, state, _roles = version_to_sign(plan, role)
    if state is not None or latest is None:
        return plan.version, None
    latest.plan = plan
    return latest.number, latest


#: What the sign service refuses with, each put on the form by `put_refusal`.
REFUSALS = (WrongCredentials, ValidationError, SigningConflict)


def put_refusal(form: forms.Form, refusal: Exception) -> int:
    """Put the sign service's refusal on the form (what was typed stays); returns the status to answer with:
    403 for a wrong password or code (counted toward the lockout), 409 for a signature out of turn, else 400."""
    if isinstance(refusal, WrongCredentials):
        form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        return 403
    if isinstance(refusal, SigningConflict):
        form.add_error(None, refusal.message)
        return 409
    add_service_error(form, refusal)  # type: ignore[arg-type]
    return 400


def reauth_form(request: HttpRequest, data=None) -> StaffSignForm:
    """The password form, with the authenticator code when the user has a device (signed in: every page is)."""
    return StaffSignForm(data, with_code=mfa_enrolled(cast(User, request.user)))


class StaffSignView(PlanPage):
    """Sign the plan as clinician (`role`), or co-sign it as supervisor, by re-entering the password."""

    role: str = SignatureRole.CLINICIAN
    template_name = "reviews/plan_sign.html"

    def _context(self, form: StaffSignForm) -> dict:
        plan = self.plan
        number, version = _version_to_sign(plan, self.role)
        return {
            "plan": plan,
            "patient": plan.patient,
            "form": form,
            "role": self.role,
            "role_label": SignatureRole(self.role).label,
            "number": number,
            "version": version,
            "new_version": version is None,
            "intent": intent_statement(self.role),
        }

    def _form(self, data=None) -> StaffSignForm:
        return reauth_form(self.request, data)

    def get(self, request, *args, **kwargs):
        may_sign(request.user, self.plan, self.role)
        audit_record(self.audit, Action.VIEW, self.plan)
        return render(request, self.template_name, self._context(self._form()))

    def post(self, request, *args, **kwargs):
        plan = self.plan
        form = self._form(request.POST)
        status = 400
        if form.is_valid():
            try:
                signature = plan_sign(
                    by=self.audit,
                    plan=plan,
                    role=self.role,
                    request=request,
                    password=form.cleaned_data["password"],
                    otp_code=form.cleaned_data.get("otp_code"),
                )
            except REFUSALS as refusal:
                status = put_refusal(form, refusal)
            else:
                verb = "co-signed" if self.role == SignatureRole.SUPERVISOR else "signed"
                messages.success(request, f"Version {signature.version.number} of the plan {verb}.")
                return redirect(f"{plan.get_absolute_url()}#plan-signatures")
        return render(request, self.template_name, self._context(form), status=status)


class SupervisorCosignView(StaffSignView):
    role = SignatureRole.SUPERVISOR


class ClientHandoverView(PlanPage):
    """POST: hand the device to the client: the session is locked to the client's signing page."""

    http_method_names = ["post"]
    required_action = "change"

    def post(self, request, *args, **kwargs):
        plan = self.plan
        may_sign(request.user, plan, SignatureRole.CLIENT)
        client_lock(request.session, plan_id=plan.pk)
        audit_record(self.audit, Action.VIEW, plan, changes={"client_signing": "handed to the client"})
        return redirect("plan-client-sign", plan.pk)


def _bare(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    # The client's screen is never kept by the browser: the back button after hand-back shows nothing.
    response["Cache-Control"] = "no-store"
    return response


class ClientSignView(PlanPage):
    """The client's signing page on the clinician's device: the plan in plain words, then the signature."""

    required_action = "change"
    template_name = "reviews/client_sign.html"

    def _context(self, form: ClientSignForm) -> dict:
        plan = self.plan
        _number, version = _version_to_sign(plan, SignatureRole.CLIENT)
        snapshot = version.snapshot if version is not None else plan_snapshot(plan)
        return {
            "plan": plan,
            "form": form,
            "version": version,
            "goals": plain_goals(snapshot),
            "problems": snapshot.get("plan", {}).get("presenting_problems") or [],
            "clinician": plan.therapist,
            "intent_signs": intent_statement(SignatureRole.CLIENT),
            "intent_guardian": intent_statement(SignatureRole.GUARDIAN),
            "locked": locked_plan(self.request.session) == str(plan.pk),
        }

    def get(self, request, *args, **kwargs):
        may_sign(request.user, self.plan, SignatureRole.CLIENT)
        if locked_plan(request.session) != str(self.plan.pk):
            # Opened without handing the device over: lock first, so the page can never be left unlocked.
            return redirect(self.plan.get_absolute_url())
        audit_record(self.audit, Action.VIEW, self.plan)
        return _bare(request, self.template_name, self._context(ClientSignForm()))

    def post(self, request, *args, **kwargs):
        plan = self.plan
        if locked_plan(request.session) != str(plan.pk):
            return redirect(plan.get_absolute_url())
        form = ClientSignForm(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan_sign(
                    by=self.audit,
                    plan=plan,
                    role=data["role"],
                    method=data["method"],
                    signer_name=data["signer_name"],
                    relationship=data["relationship"] if data["role"] == SignatureRole.GUARDIAN else "",
                    image=data["image"] if data["method"] == "drawn" else None,
                    reason=data["reason"] if data["method"] in ("declined", "unable") else "",
                )
            except REFUSALS as refusal:
                status = put_refusal(form, refusal)
            else:
                return redirect("plan-hand-back", plan.pk)
        return _bare(request, self.template_name, self._context(form), status=status)


class HandBackView(PlanPage):
    """The locked screen: the client is asked to hand the device back; the clinician's password unlocks it."""

    template_name = "reviews/hand_back.html"

    def _form(self, data=None) -> StaffSignForm:
        return reauth_form(self.request, data)

    def _context(self, form) -> dict:
        plan = self.plan
        latest = latest_version(plan)
        roles = version_roles(latest) if latest is not None else set()
        signed = bool(roles & {SignatureRole.CLIENT, SignatureRole.GUARDIAN})
        return {"plan": plan, "form": form, "signed": signed}

    def get(self, request, *args, **kwargs):
        if locked_plan(request.session) != str(self.plan.pk):
            return redirect(self.plan.get_absolute_url())
        return _bare(request, self.template_name, self._context(self._form()))

    def post(self, request, *args, **kwargs):
        plan = self.plan
        if locked_plan(request.session) != str(plan.pk):
            return redirect(plan.get_absolute_url())
        form = self._form(request.POST)
        status = 400
        if form.is_valid():
            try:
                reauthenticate(
                    request.user,
                    password=form.cleaned_data["password"],
                    otp_code=form.cleaned_data.get("otp_code"),
                    request=request,
                )
            except REFUSALS as refusal:
                status = put_refusal(form, refusal)
            else:
                client_unlock(request.session)
                request.session.cycle_key()
                audit_record(self.audit, Action.VIEW, plan, changes={"client_signing": "handed back"})
                messages.success(request, "The device is back with you.")
                return redirect(f"{plan.get_absolute_url()}#plan-signatures")
        return _bare(request, self.template_name, self._context(form), status=status)


urlpatterns = [
    path("plans/<uuid:pk>/sign/", StaffSignView.as_view(), name="plan-sign"),
    path("plans/<uuid:pk>/cosign/", SupervisorCosignView.as_view(), name="plan-cosign"),
    path("plans/<uuid:pk>/sign/client/start/", ClientHandoverView.as_view(), name="plan-client-handover"),
    path("plans/<uuid:pk>/sign/client/", ClientSignView.as_view(), name="plan-client-sign"),
    path("plans/<uuid:pk>/sign/hand-back/", HandBackView.as_view(), name="plan-hand-back"),
]
