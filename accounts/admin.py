from django import forms
from django.contrib import admin, messages
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.admin_base import PracticeScopedAdmin, ReadOnlyAdmin
from accounts.audit import Action, AuditContext, audit_record
from accounts.audit_report import export_csv
from accounts.lockout import sign_in_unlock
from accounts.mfa.services import mfa_reset
from accounts.models import (
    DEMOGRAPHIC_FIELDS,
    AuditEvent,
    CareTeamMembership,
    Patient,
    PatientUserObjectPermission,
    Practice,
    Role,
    User,
)


@admin.register(Practice)
class PracticeAdmin(PracticeScopedAdmin):
    practice_lookup = "pk"
    list_display = [
        "name",
        "time_zone",
        "default_review_frequency_days",
        "review_reminder_lead_days",
        "review_reminder_hour",
        "mfa_required",
        "created_at",
    ]
    search_fields = ["name"]
    list_filter = ["time_zone"]
    fieldsets = [
        (None, {"fields": ["name", "time_zone", "address", "mfa_required"]}),
        ("Reviews", {"fields": ["default_review_frequency_days", "review_reminder_lead_days", "review_reminder_hour"]}),
        (
            "Signed plans",
            {
                "fields": [
                    "require_client_signature",
                    "signature_reminder_days",
                    "require_signed_plan_for_progress",
                    "document_paper_size",
                ]
            },
        ),
        ("Measurement-based care", {"fields": ["measure_every_sessions", "measure_every_days"]}),
    ]


class StaffForm(forms.ModelForm):
    #: The practice a practice admin adds staff to (set per request by StaffAdmin.get_form).
    practice = None

    password1 = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
        help_text="At least 12 characters. Leave empty to keep the current password.",
    )

    class Meta:
        model = User
        fields = [
            "email",
            "full_name",
            "credentials",
            "license_number",
            "role",
            "supervisor",
            "needs_supervision",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.practice is not None and self.instance._state.adding:
            # Model validation (a supervisor of the same practice) needs the practice up front.
            self.instance.practice = self.practice

    def clean(self):
        cleaned = super().clean()
        if self.instance._state.adding and not cleaned.get("password1"):
            self.add_error("password1", "A new account needs a password.")
        elif cleaned.get("password1"):
            try:
                validate_password(cleaned["password1"], self.instance)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class SuperuserStaffForm(StaffForm):
    class Meta(StaffForm.Meta):
        fields = [*StaffForm.Meta.fields, "practice", "is_superuser"]


@admin.register(User)
class StaffAdmin(PracticeScopedAdmin):
    list_display = ["email", "full_name", "credentials", "role", "supervisor", "practice", "is_active", "last_login"]
    list_filter = ["role", "is_active", ("supervisor", admin.RelatedOnlyFieldListFilter), "practice"]
    search_fields = ["email", "full_name", "license_number"]
    ordering = ["full_name", "email"]
    actions = ["unlock_sign_in", "reset_mfa"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = self._form_class(request)
        form = super().get_form(request, obj, change, **kwargs)
        form.practice = None if request.user.is_superuser else request.user.practice
        return form

    def _form_class(self, request):
        return SuperuserStaffForm if request.user.is_superuser else StaffForm

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": list(self._form_class(request).base_fields)})]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "supervisor":
            field.queryset = field.queryset.filter(role=Role.SUPERVISOR, is_active=True)
        return field

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        practice = data.get("practice") if request.user.is_superuser else request.user.practice
        user, _ = services.staff_save(
            by=self.audit_context(request),
            # The stored row, not `obj`: the form has already copied its values onto `obj`, and the service's
            # audit diff must compare what was stored with what it stores.
            user=User.objects.get(pk=obj.pk) if change else None,
            email=data["email"],
            role=data["role"],
            practice=practice,
            password=data.get("password1") or None,
            full_name=data["full_name"],
            credentials=data["credentials"],
            license_number=data.get("license_number", ""),
            supervisor=data.get("supervisor"),
            is_active=data["is_active"],
            needs_supervision=data.get("needs_supervision", False),
        )
        if request.user.is_superuser and data.get("is_superuser") != user.is_superuser:
            audit_record(
                self.audit_context(request),
                Action.UPDATE,
                user,
                changes={"is_superuser": [user.is_superuser, data["is_superuser"]]},
            )
            user.is_superuser = data["is_superuser"]
            user.save(update_fields=["is_superuser"])
        obj.pk, obj._state = user.pk, user._state

    @admin.action(description="Unlock sign-in for the selected accounts")
    def unlock_sign_in(self, request, queryset):
        # The queryset is the admin's own practice's staff (PracticeScopedAdmin): nobody else's can be picked.
        by = self.audit_context(request)
        unlocked = [user for user in queryset if sign_in_unlock(by=by, user=user)]
        messages.success(request, f"Unlocked {len(unlocked)} locked account(s) of the {queryset.count()} selected.")

    @admin.action(description="Reset two-step sign-in (they set it up again at next sign-in)")
    def reset_mfa(self, request, queryset):
        by = AuditContext.from_request(request)
        reset = 0
        for user in queryset:
            try:
                reset += mfa_reset(by=by, user=user)
            except PermissionDenied as error:
                messages.error(request, f"{user.email}: {error}")
        messages.success(request, f"Reset two-step sign-in for {reset} account(s).")


class PatientAdminForm(forms.ModelForm):
    care_team_members = forms.ModelMultipleChoiceField(
        queryset=User.objects.clinicians(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Clinicians on the care team besides the primary therapist.",
    )
    confirm_duplicate = forms.BooleanField(
        required=False,
        label="Register anyway",
        help_text="A patient of the same name and date of birth is refused unless this is ticked (a different person).",
    )

    class Meta:
        model = Patient
        fields = [*DEMOGRAPHIC_FIELDS, "primary_therapist"]

    #: The practice the patient belongs to (set per request by PatientAdmin.get_form).
    practice = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        members = self.fields["care_team_members"]
        if self.practice is not None:
            members.queryset = members.queryset.filter(practice=self.practice)
        if not self.instance._state.adding:
            members.initial = list(self.instance.care_team.exclude(pk=self.instance.primary_therapist_id))
            del self.fields["confirm_duplicate"]

    def clean(self):
        cleaned = super().clean()
        practice = cleaned.get("practice") or self.practice
        if practice is None:
            return cleaned
        clinicians = [cleaned.get("primary_therapist"), *cleaned.get("care_team_members", [])]
        if any(c is not None and c.practice_id != practice.pk for c in clinicians):
            self.add_error(None, "Every clinician on the care team must work in the patient's practice.")
        if cleaned.get("external_id"):
            try:
                services.check_external_id(practice, cleaned["external_id"], exclude_pk=self.instance.pk)
            except ValidationError as error:
                self.add_error(None, error)
        typed = self.cleaned_data
        if "confirm_duplicate" in self.fields and not typed.get("confirm_duplicate"):
            try:
                services.check_duplicate(
                    by=AuditContext.system("admin"),
                    practice=practice,
                    first_name=typed.get("first_name", ""),
                    last_name=typed.get("last_name", ""),
                    date_of_birth=typed.get("date_of_birth"),
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class SuperuserPatientAdminForm(PatientAdminForm):
    class Meta(PatientAdminForm.Meta):
        fields = ["practice", *PatientAdminForm.Meta.fields]


@admin.register(Patient)
class PatientAdmin(PracticeScopedAdmin):
    audit_reads = True
    list_display = ["last_name", "first_name", "date_of_birth", "status", "primary_therapist", "practice"]
    list_filter = ["status", ("primary_therapist", admin.RelatedOnlyFieldListFilter), "practice"]
    search_fields = ["first_name", "last_name", "preferred_name", "external_id", "email"]
    list_select_related = ["primary_therapist", "practice"]
    readonly_fields = ["created_at", "updated_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = self._form_class(request)
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None:
            form.practice = obj.practice
        else:
            form.practice = None if request.user.is_superuser else request.user.practice
        return form

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "primary_therapist" and field is not None:
            field.queryset = field.queryset & User.objects.clinicians()
        return field

    def _form_class(self, request):
        return SuperuserPatientAdminForm if request.user.is_superuser else PatientAdminForm

    def get_fieldsets(self, request, obj=None):
        fields = list(self._form_class(request).base_fields)
        if obj is not None:
            fields.remove("confirm_duplicate")  # only adding a patient can make a duplicate
        return [(None, {"fields": fields}), ("Record", {"fields": self.readonly_fields})]

    def save_model(self, request, obj, form, change):
        by = self.audit_context(request)
        data = dict(form.cleaned_data)
        care_team = list(data.pop("care_team_members"))
        therapist = data.pop("primary_therapist")
        practice = data.pop("practice", None) or request.user.practice
        if not change:
            patient = services.patient_create(
                by=by, practice=practice, primary_therapist=therapist, care_team=care_team, **data
            )
        else:
            data.pop("confirm_duplicate", None)
            patient = Patient.objects.get(pk=obj.pk)
            # The transfer first: it locks the patient's plans, which must come before this transaction's first
            # audit event (audit last, `accounts.audit.audit_record`); the edit then writes a row it holds.
            if therapist is not None and therapist.pk != patient.primary_therapist_id:
                services.patient_transfer(by=by, patient=patient, therapist=therapist)
            services.patient_update(by=by, patient=patient, **data)
            services.care_team_set(by=by, patient=patient, members=care_team)
        obj.pk, obj._state = patient.pk, patient._state


@admin.register(CareTeamMembership)
class CareTeamMembershipAdmin(ReadOnlyAdmin):
    practice_lookup = "patient__practice"
    audit_reads = True
    list_display = ["patient", "user", "added_at"]
    list_filter = [("user", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["patient__last_name", "patient__first_name", "user__email", "user__full_name"]
    list_select_related = ["patient", "user"]


@admin.register(PatientUserObjectPermission)
class PatientGrantAdmin(ReadOnlyAdmin):
    """Who holds which grant on which patient: derived from care teams and supervision."""

    practice_lookup = "content_object__practice"
    audit_reads = True
    list_display = ["content_object", "user", "permission"]
    list_filter = ["permission__codename", ("user", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["content_object__last_name", "user__email", "user__full_name"]
    list_select_related = ["content_object", "user", "permission"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit report: filtered by user, patient, action, channel and period, sorted by any column, exported
    as CSV (the export is an event too); a practice admin sees their practice's events only."""

    audit_reads = True
    list_display = [
        "seq",
        "occurred_at",
        "user_email",
        "action",
        "channel",
        "object_type",
        "object_id",
        "patient",
        "ip_address",
    ]
    list_filter = [
        "action",
        "channel",
        ("occurred_at", admin.DateFieldListFilter),
        ("user", admin.RelatedOnlyFieldListFilter),
        ("patient", admin.RelatedOnlyFieldListFilter),
        "object_type",
        "practice",
    ]
    search_fields = ["user_email", "object_id", "ip_address", "path"]
    date_hierarchy = "occurred_at"
    ordering = ["-seq"]
    list_select_related = ["patient"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    actions = ["export_csv"]

    @admin.action(description="Export the selected events as CSV")
    def export_csv(self, request, queryset):
        return export_csv(request, queryset)


# A TOTP device holds its secret in clear: the admin resets a person's second factor (StaffAdmin.reset_mfa),
# it never shows or edits devices.
admin.site.unregister(TOTPDevice)
