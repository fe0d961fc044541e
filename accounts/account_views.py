"""The signed-in user's account page: who they are, their two-step sign-in, their personal access tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.generic import FormView, View

from accounts.audit import AuditContext
from accounts.forms import add_service_error
from accounts.mfa.services import mfa_enrolled, mfa_required_for, recovery_codes_left
from accounts.models import PersonalToken, User
from accounts.personal_tokens import (
    MAX_DAYS,
    NAME_MAX,
    NOT_VERIFIED,
    personal_token_create,
    personal_token_revoke,
    personal_tokens_of,
    verified_for_tokens,
)


class PersonalTokenForm(forms.Form):
    name = forms.CharField(label="Name", max_length=NAME_MAX, help_text="What will use it, e.g. the billing system.")
    scope = forms.ChoiceField(
        label="Scope", choices=PersonalToken.Scope.choices, initial=PersonalToken.Scope.READ, widget=forms.RadioSelect
    )
    expires_in_days = forms.IntegerField(
        label="Expires after (days)", min_value=1, max_value=MAX_DAYS, initial=90, help_text=f"1 to {MAX_DAYS}."
    )


class AccountView(FormView):
    """GET shows the account; POST makes a personal access token and shows it, this once."""

    template_name = "accounts/account.html"
    form_class = PersonalTokenForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        assert isinstance(user, User)
        return {
            **super().get_context_data(**kwargs),
            "mfa_enrolled": mfa_enrolled(user),
            "mfa_required": mfa_required_for(user),
            "recovery_codes_left": recovery_codes_left(user),
            "personal_tokens": list(personal_tokens_of(user)),
            "may_make_tokens": verified_for_tokens(self.request),
        }

    def form_valid(self, form: PersonalTokenForm) -> HttpResponse:
        request = self.request
        if not verified_for_tokens(request):
            form.add_error(None, NOT_VERIFIED)
            return self.form_invalid(form)
        try:
            personal, text = personal_token_create(
                by=AuditContext.from_request(request),
                user=request.user,  # type: ignore[arg-type]
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        # Rendered, not redirected to: the token exists in this answer only.
        context = self.get_context_data(form=self.get_form_class()(), new_token=text, new_personal=personal)
        return self.render_to_response(context)


class PersonalTokenRevokeView(View):
    def post(self, request: HttpRequest, pk: str) -> HttpResponse:
        user = request.user
        assert isinstance(user, User)
        personal = personal_tokens_of(user).filter(pk=pk).first()
        if personal is None:
            raise Http404("No such token of yours.")
        personal_token_revoke(by=AuditContext.from_request(request), personal=personal)
        messages.success(request, f"Revoked the token {personal.name}.")
        return redirect("account")
