from django import forms


class CodeForm(forms.Form):
    """The code step: a code from the authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        label="Code",
        max_length=40,
        help_text="The 6 digits your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )


class EnrolForm(forms.Form):
    """Confirming the authenticator app: the code it shows for the new secret."""

    code = forms.CharField(
        label="Code from the app",
        max_length=12,
        help_text="The 6 digits the app shows for Trellis.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
    )
