"""The code step of every sign-in (the site's and the admin's), and enrolment."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView
from django_otp import login as otp_login

from accounts.audit import AuditContext
from accounts.auth import lockout_response
from accounts.forms import add_service_error
from accounts.mfa.forms import CodeForm, EnrolForm
from accounts.mfa.login import (
    mark_verified,
    pending_clear,
    pending_start,
    pending_user,
    second_factor_check,
)
from accounts.mfa.services import (
    RECOVERY_CODE_COUNT,
    mfa_enrol,
    mfa_enrolled,
    mfa_required_for,
    recovery_codes_left,
    totp_key_new,
    totp_qr_svg,
    totp_secret_text,
)
from accounts.models import RecoveryCodeDevice

ENROL_KEY = "mfa_enrol_key"
WRONG_CODE = "That code is not right: enter the code your app shows now, or an unused recovery code."


class SecondFactorLoginMixin:
    """The password step of a LoginView: a user with a second factor goes on to the code step, not in."""

    request: HttpRequest

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not mfa_enrolled(user):
            return super().form_valid(form)  # type: ignore[misc]
        pending_start(self.request, user, self.get_success_url())  # type: ignore[attr-defined]
        return redirect("login-code")


@method_decorator([never_cache, sensitive_post_parameters("code"), login_not_required], name="dispatch")
class LoginCodeView(FormView):
    form_class = CodeForm
    template_name = "registration/login_code.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.pending = pending_user(request)
        if self.pending is None:
            messages.info(request, "Sign in with your email and password (a sign-in waits 5 minutes for its code).")
            return redirect("login")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: CodeForm) -> HttpResponse:
        user, backend, next_url = self.pending  # type: ignore[misc]
        device = second_factor_check(self.request, user, form.cleaned_data["code"])
        if getattr(self.request, "axes_locked_out", False):
            pending_clear(self.request)
            return lockout_response(self.request)
        if device is None:
            form.add_error("code", WRONG_CODE)
            return self.form_invalid(form)
        pending_clear(self.request)
        auth_login(self.request, user, backend=backend)
        otp_login(self.request, device)
        mark_verified(self.request)
        if isinstance(device, RecoveryCodeDevice):
            left = recovery_codes_left(user)
            messages.warning(
                self.request,
                f"You signed in with a recovery code; {left} of {RECOVERY_CODE_COUNT} left. "
                "If your phone is lost, ask your practice admin to reset your two-step sign-in.",
            )
        return redirect(next_url)


class AdminLoginView(SecondFactorLoginMixin, auth_views.LoginView):
    authentication_form = AdminAuthenticationForm
    template_name = "admin/login.html"


@never_cache
@login_not_required
def admin_login(request: HttpRequest) -> HttpResponseBase:
    """The admin's sign-in (AdminSite.login's context), with the code step after the password."""
    site = admin.site
    if request.method == "GET" and site.has_permission(request):
        return redirect("admin:index")
    context = {
        **site.each_context(request),
        "title": "Log in",
        "subtitle": None,
        "app_path": request.get_full_path(),
        "username": request.user.get_username(),
    }
    if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
        context[REDIRECT_FIELD_NAME] = reverse("admin:index")
    request.current_app = site.name
    return AdminLoginView.as_view(extra_context=context)(request)


@method_decorator(sensitive_post_parameters("code"), name="dispatch")
class EnrolView(FormView):
    """Set up an authenticator app: a QR code and the secret as text, confirmed with a code; then the
    recovery codes, shown this once."""

    form_class = EnrolForm
    template_name = "accounts/mfa_enrol.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if mfa_enrolled(request.user):  # type: ignore[arg-type]
            messages.info(request, "Two-step sign-in is already set up for your account.")
            return redirect("account")
        # The secret waits in the session until a code confirms it: nothing is stored for an abandoned attempt.
        self.key = request.session.get(ENROL_KEY) or totp_key_new()
        request.session[ENROL_KEY] = self.key
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "qr_svg": totp_qr_svg(user, self.key),  # type: ignore[arg-type]
            "secret": totp_secret_text(self.key),
            "required": mfa_required_for(user),  # type: ignore[arg-type]
        }

    def form_valid(self, form: EnrolForm) -> HttpResponse:
        request = self.request
        try:
            device, codes = mfa_enrol(
                by=AuditContext.from_request(request),
                user=request.user,  # type: ignore[arg-type]
                key=self.key,
                code=form.cleaned_data["code"],
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        del request.session[ENROL_KEY]
        otp_login(request, device)
        mark_verified(request)
        # Rendered, not redirected to: the codes exist in this answer only.
        return render(request, "accounts/mfa_recovery_codes.html", {"codes": codes})
