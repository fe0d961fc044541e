"""The forms of the signing pages: staff re-enter their password to sign, a client signs on the tablet, the
clinician re-enters their password to take the tablet back.

The rules live in the sign service (`reviews.services.signatures.plan_sign`): these forms only carry what was
typed, so a refusal comes back under the field it names and everything but the password is kept.
"""

from __future__ import annotations

from django import forms

from reviews.models import SignatureMethod, SignatureRole


class PasswordInput(forms.PasswordInput):
    """A password field that is never filled in again after a refused submit."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs={"autocomplete": "current-password", **(attrs or {})}, render_value=False)


class ReauthForm(forms.Form):
    """The password (and the authenticator code when the user has one), re-entered to sign or to hand back."""

    password = forms.CharField(label="Your password", strip=False, required=False, widget=PasswordInput())
    otp_code = forms.CharField(
        label="Code from your authenticator app",
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, with_code: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not with_code:
            del self.fields["otp_code"]


class StaffSignForm(ReauthForm):
    """Signing as clinician or co-signing as supervisor: the version and its intent statement are shown above."""


#: The client's choices, in the order the page offers them (signing first).
CLIENT_METHOD_CHOICES = [
    (SignatureMethod.DRAWN.value, "Sign by drawing on the signature pad"),
    (SignatureMethod.TYPED.value, "Sign by typing my name"),
    (SignatureMethod.DECLINED.value, "Declined to sign (the clinician records why)"),
    (SignatureMethod.UNABLE.value, "Unable to sign (the clinician records why)"),
]
CLIENT_ROLE_CHOICES = [
    (SignatureRole.CLIENT.value, "The client"),
    (SignatureRole.GUARDIAN.value, "A parent or legal guardian, for the client"),
]


class ClientSignForm(forms.Form):
    """The client's (or guardian's) signature: who signs, how, their printed name, and the drawn image."""

    role = forms.ChoiceField(
        label="Who is signing?", choices=CLIENT_ROLE_CHOICES, initial=SignatureRole.CLIENT, widget=forms.RadioSelect
    )
    relationship = forms.CharField(
        label="Relationship to the client (for a guardian)",
        required=False,
        max_length=100,
        help_text="For example: mother, legal guardian.",
    )
    method = forms.ChoiceField(
        label="How is the plan signed?",
        choices=CLIENT_METHOD_CHOICES,
        initial=SignatureMethod.TYPED,
        widget=forms.RadioSelect,
    )
    signer_name = forms.CharField(
        label="Full name of the person signing",
        required=False,
        max_length=200,
        help_text="Typing the name signs the plan when you choose to sign by typing.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    reason = forms.CharField(
        label="Reason (entered by the clinician)",
        required=False,
        max_length=2000,
        help_text="Required when the client declined or was unable to sign.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    #: The drawn signature as a PNG data URL, filled in by static/js/signature-pad.js.
    image = forms.CharField(
        label="Drawn signature", required=False, widget=forms.HiddenInput(attrs={"id": "signature-image"})
    )

    #: The error summary links a refusal of the drawn image to the pad.
    error_anchors = {"image": "signature-canvas"}
