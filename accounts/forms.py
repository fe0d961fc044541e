from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput

from accounts.models import DEMOGRAPHIC_FIELDS, Patient, Role, User
from accounts.validators import MAX_JSON_DEPTH, json_too_deep, validate_clinical_date


def add_service_error(form: forms.BaseForm, error: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's refusal on the form: on the field it names when the form shows it, else above the form.

    `aliases` maps the API's names the services use (`parent_goal_id`) to the form's fields (`parent_goal`).
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        field = (aliases or {}).get(key, key)
        form.add_error(field if field in form.fields else None, errors)


def add_check_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's check, run while the form is parsed, beside the form's own errors: on each field it
    names that has no error yet (what the form refused first is the more precise message), so one submit
    shows every error."""
    for field, messages in error.message_dict.items():
        if field in form.fields and field not in form.errors:
            form.add_error(field, messages)


class ClinicalDateField(forms.DateField):
    """A plan, goal, session, review or report date, between CLINICAL_DATE_MIN and CLINICAL_DATE_MAX: a date
    outside is an error on the field (with what was typed kept), before any service computes with it."""

    default_validators = [validate_clinical_date]


class BoundedJSONField(forms.JSONField):
    """A JSON input (the admin's) that refuses nesting deeper than MAX_JSON_DEPTH before it is parsed:
    the parser recurses once per level, and a deep enough document would overflow Python's stack."""

    def to_python(self, value):
        if isinstance(value, str) and json_too_deep(value):
            raise ValidationError(f"Nest the JSON at most {MAX_JSON_DEPTH} levels deep.", code="invalid")
        return super().to_python(value)

    def bound_data(self, data, initial):
        if isinstance(data, str) and json_too_deep(data):
            return InvalidJSONInput(data)
        return super().bound_data(data, initial)


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"})
    )

    def clean_username(self):
        return self.cleaned_data["username"].lower()


class PatientForm(forms.ModelForm):
    """Demographics; care-team choices are limited to active clinicians of the user's practice."""

    care_team = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Clinicians who treat this patient besides the primary therapist.",
    )

    class Meta:
        model = Patient
        fields = list(DEMOGRAPHIC_FIELDS)
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "address": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"external_id": "MRN / external identifier"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        clinicians = User.objects.clinicians(user.practice_id)
        if self.instance._state.adding and user.role == Role.PRACTICE_ADMIN:
            # Only an admin registers a patient for someone else; a clinician treats whom they register.
            self.fields["primary_therapist"] = forms.ModelChoiceField(queryset=clinicians, required=True)
            self.order_fields(["primary_therapist"])
        self.fields["care_team"].queryset = clinicians.exclude(
            pk=getattr(self.instance, "primary_therapist_id", None) or user.pk
        )
        if self.instance.pk:
            self.fields["care_team"].initial = list(
                self.instance.care_team.exclude(pk=self.instance.primary_therapist_id)
            )
        if self.instance._state.adding and self.data.get("confirm_duplicate"):
            self.offer_duplicate()

    def offer_duplicate(self) -> None:
        """After a possible duplicate was shown: the explicit "register anyway" (a second submit with it ticked)."""
        self.fields["confirm_duplicate"] = forms.BooleanField(
            required=False,
            label="This is a different person: register them anyway",
            help_text="Tick this only after checking the existing record is not this patient.",
        )
