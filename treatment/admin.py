"""Treatment records in Django admin: plans with their goal tree, goals, and read-only progress, sessions, measurements
and safety flags.

Every write goes through `treatment.services`, so the transition rules, the goal hierarchy, the progress
rollup and the audit trail apply here as in the API. Each form rehearses its service call while it validates
(`accounts.admin_base.ServiceModelForm`): a refusal shows as a form error and writes nothing. Nothing is deleted.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import admin

from accounts.admin_base import PracticeScopedAdmin, ReadOnlyAdmin, ReadOnlyInline, ServiceModelForm
from accounts.audit import AuditContext
from accounts.models import User
from treatment import services
from treatment.models import (
    GoalIntervention,
    GoalProgress,
    Measurement,
    PlanAmendment,
    SafetyAssessment,
    SafetyFlag,
    SessionAddendum,
    SessionIntervention,
    TherapySession,
    TreatmentGoal,
    TreatmentPlan,
)
from treatment.services.amendments import REASON_MAX_LENGTH
from treatment.services.measures import MEASURE_FIGURE_FIELDS


class ServiceForm(ServiceModelForm):
    """A treatment record's admin form: its save is a `treatment.services` call made as `by`."""

    #: Who acts (an AuditContext), set per request by the admin that builds the form class.
    by = None
    #: The services name some fields as the API does; the admin forms use the model's names.
    field_aliases = {"parent_goal_id": "parent_goal", "therapist_id": "therapist"}


def amendment_reason_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Amendment reason",
        help_text="Required once a clinician has signed the plan: why it is changed (kept with the amendment, "
        "also for the goals changed below).",
    )


class PlanForm(ServiceForm):
    amendment_reason = amendment_reason_field()

    class Meta:
        model = TreatmentPlan
        fields = list(services.PLAN_FIELDS)

    def write(self) -> TreatmentPlan:
        changes = self.changes(services.PLAN_FIELDS)
        if not changes:
            return self.instance
        reason = self.cleaned_data.get("amendment_reason", "")
        return services.plan_update(by=self.by, plan=self.instance, amendment_reason=reason, **changes)


class GoalForm(ServiceForm):
    """A goal on its plan's page (a new one is added with goal_add) or on its own page (goal_update)."""

    #: On the plan's page the goals' changes take the plan form's reason (set per request by the inline).
    plan_amendment_reason = ""
    amendment_reason = amendment_reason_field()

    class Meta:
        model = TreatmentGoal
        fields = list(services.GOAL_FIELDS)

    def reason(self) -> str:
        return self.cleaned_data.get("amendment_reason") or self.plan_amendment_reason

    def write(self) -> TreatmentGoal:
        if self.instance._state.adding:
            plan = TreatmentPlan.objects.select_related("patient__practice").get(pk=self.instance.plan_id)
            fields = {name: self.cleaned_data[name] for name in self.fields if name in services.GOAL_FIELDS}
            return services.goal_add(by=self.by, plan=plan, amendment_reason=self.reason(), **fields)
        changes = self.changes(services.GOAL_FIELDS)
        if not changes:
            return self.instance
        return services.goal_update(by=self.by, goal=self.instance, amendment_reason=self.reason(), **changes)


class GoalInline(admin.TabularInline):
    """The plan's goals: added with goal_add and changed with goal_update, so the hierarchy and rollup hold."""

    model = TreatmentGoal
    form = GoalForm
    fields = ["goal_type", "parent_goal", "description", "status", "priority", "progress_percentage"]
    readonly_fields = ["progress_percentage"]
    extra = 1
    show_change_link = True
    ordering = ["created_at"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.by = AuditContext.from_request(request)
        cast(type[GoalForm], formset.form).plan_amendment_reason = request.POST.get("amendment_reason", "").strip()
        # A parent is a goal of the same plan; the service decides whether its type fits.
        parents = TreatmentGoal.objects.filter(plan=obj) if obj is not None else TreatmentGoal.objects.none()
        formset.form.base_fields["parent_goal"].queryset = parents
        return formset

    def has_add_permission(self, request, obj=None):
        return not (obj is not None and obj.is_closed) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.is_closed) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Goals are discontinued, never deleted.
        return False


#: What the plan's admin page shows of its record, read-only: kept by the services and the signing, not typed here.
PLAN_RECORD_FIELDS = (
    "version",
    "overall_progress",
    "signature_status",
    "signed_version",
    "first_signed_at",
    "created_by",
    "created_at",
    "updated_at",
)


class PlanAmendmentInline(ReadOnlyInline):
    """The plan's amendments, newest first: read here, recorded by the changes themselves, never edited."""

    model = PlanAmendment
    fields = ["created_at", "author", "reason", "amends_version", "changes"]
    readonly_fields = ["created_at", "author", "reason", "amends_version", "changes"]
    ordering = ["-created_at"]


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(PracticeScopedAdmin):
    """Plans are changed here but not added: a plan is started by a clinician in the app or the API, where
    its patient, care team and diagnoses are chosen; the admin corrects and closes plans."""

    practice_lookup = "patient__practice"
    audit_reads = True
    form = PlanForm
    inlines = [GoalInline, PlanAmendmentInline]
    list_display = ["title", "patient", "therapist", "status", "next_review_date", "version", "overall_progress"]
    list_filter = ["status", ("therapist", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "patient__last_name", "patient__external_id"]
    date_hierarchy = "start_date"
    list_select_related = ["patient", "therapist"]
    readonly_fields = ["patient", *PLAN_RECORD_FIELDS]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "patient",
                    "title",
                    "therapist",
                    "status",
                    "status_reason",
                    ("start_date", "target_end_date", "actual_end_date"),
                    ("review_frequency_days", "next_review_date"),
                    "diagnosis_codes",
                    "presenting_problems",
                    "notes",
                    "amendment_reason",
                ]
            },
        ),
        (
            "Standardized measures",
            {"fields": ["measure_instruments", ("measure_every_sessions", "measure_every_days")]},
        ),
        ("Record", {"fields": list(PLAN_RECORD_FIELDS)}),
    ]

    def has_add_permission(self, request):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.by = self.audit_context(request)
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "therapist" and field is not None:
            field.queryset = field.queryset & User.objects.clinicians()
        return field

    def save_model(self, request, obj, form, change):
        """Nothing yet: save_related writes the goals first, then the plan (closing a plan freezes its goals)."""

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change)
        form.write()

    def save_formset(self, request, form, formset, change):
        new, changed = [], []
        for goal_form in formset.forms:
            if not goal_form.has_changed():
                continue
            adding = goal_form.instance._state.adding
            goal = goal_form.write()
            if adding:
                new.append(goal)
            else:
                changed.append((goal, goal_form.changed_data))
        # What the admin's change message and history entry read.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = new, changed, []


class GoalInterventionInline(ReadOnlyInline):
    """The interventions a goal uses, shown on the goal's page; they are managed in the app and the API."""

    model = GoalIntervention
    fields = ["intervention", "frequency", "notes", "effectiveness_rating", "created_at"]
    readonly_fields = fields


@admin.register(TreatmentGoal)
class TreatmentGoalAdmin(PracticeScopedAdmin):
    """One goal with all its fields, changed through goal_update; goals are added on their plan's page."""

    practice_lookup = "plan__patient__practice"
    audit_reads = True
    form = GoalForm
    inlines = [GoalInterventionInline]
    list_display = ["__str__", "plan", "goal_type", "status", "priority", "progress_percentage", "target_date"]
    list_filter = ["goal_type", "status"]
    search_fields = ["description", "plan__title", "plan__patient__last_name"]
    list_select_related = ["plan__patient"]
    readonly_fields = ["plan", "goal_type", *MEASURE_FIGURE_FIELDS, "created_by", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {"fields": ["plan", "goal_type", "parent_goal", "description", "status", "priority", "amendment_reason"]},
        ),
        (
            "Measurement",
            {
                "fields": [
                    "measurable_criteria",
                    ("baseline_value", "target_value", "current_value"),
                    "target_date",
                    "progress_percentage",
                    "smart",
                ]
            },
        ),
        (
            "Driven by a standardized measure (objectives only)",
            {
                "fields": [
                    ("measure_instrument", "measure_baseline_score", "measure_target_score"),
                    ("measure_baseline_used", "measure_last_score"),
                    ("measure_response", "measure_remission"),
                    ("measure_reliable_improvement", "measure_reliable_deterioration"),
                ]
            },
        ),
        ("Record", {"fields": ["created_by", "created_at", "updated_at"]}),
    ]

    def has_add_permission(self, request):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.by = self.audit_context(request)
        if "parent_goal" in form.base_fields:
            parents = TreatmentGoal.objects.none()
            if obj is not None:
                parents = TreatmentGoal.objects.filter(plan_id=obj.plan_id).exclude(pk=obj.pk)
            form.base_fields["parent_goal"].queryset = parents
        return form

    def save_model(self, request, obj, form, change):
        goal = form.write()
        obj.pk, obj._state = goal.pk, goal._state


@admin.register(GoalProgress)
class GoalProgressAdmin(ReadOnlyAdmin):
    """The progress history: each entry is an observation, recorded in the app or the API and never edited."""

    practice_lookup = "goal__plan__patient__practice"
    audit_reads = True
    list_display = ["goal", "rating", "progress_value", "recorded_by", "recorded_at"]
    list_filter = ["rating"]
    search_fields = ["goal__description", "goal__plan__title", "goal__plan__patient__last_name", "progress_note"]
    date_hierarchy = "recorded_at"
    list_select_related = ["goal__plan__patient", "recorded_by"]


class SessionInterventionInline(ReadOnlyInline):
    model = SessionIntervention
    fields = ["intervention", "goal"]
    readonly_fields = fields


class SessionAddendumInline(ReadOnlyInline):
    """The session's addenda, read here; they are added on the session page or the API, never changed."""

    model = SessionAddendum
    fields = ["created_at", "author", "text"]
    readonly_fields = ["created_at", "author", "text"]


@admin.register(TherapySession)
class TherapySessionAdmin(ReadOnlyAdmin):
    """Sessions as recorded by their therapists (with their progress, in one transaction) in the app or API."""

    practice_lookup = "patient__practice"
    audit_reads = True
    inlines = [SessionInterventionInline, SessionAddendumInline]
    list_display = ["session_date", "patient", "therapist", "plan", "duration_minutes"]
    list_filter = ["session_date"]
    search_fields = ["patient__last_name", "patient__external_id", "plan__title"]
    date_hierarchy = "session_date"
    list_select_related = ["patient", "therapist", "plan"]


# --- standardized measures: clinical data, read here and recorded in the app or the API ------------------------


class SafetyFlagInline(ReadOnlyInline):
    model = SafetyFlag
    fields = ("status", "reason", "raised_at", "cleared_by", "cleared_at", "assessment")
    readonly_fields = ("status", "reason", "raised_at", "cleared_by", "cleared_at", "assessment")


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdmin):
    """Scores as administered; a score is never edited (a correction is a new measurement). Instruments are code
    (`treatment.instruments`), not rows."""

    practice_lookup = "patient__practice"
    audit_reads = True
    inlines = [SafetyFlagInline]
    list_display = ["administered_on", "patient", "instrument", "total_score", "severity", "safety_flag"]
    list_filter = ["instrument", "safety_flag", "administered_on"]
    search_fields = ["patient__last_name", "patient__external_id"]
    date_hierarchy = "administered_on"
    list_select_related = ["patient", "administered_by"]


@admin.register(SafetyFlag)
class SafetyFlagAdmin(ReadOnlyAdmin):
    """Safety flags and what cleared them; cleared only by a risk assessment recorded in the app or the API."""

    practice_lookup = "patient__practice"
    audit_reads = True
    list_display = ["raised_at", "patient", "status", "reason", "cleared_by", "cleared_at"]
    list_filter = ["status"]
    search_fields = ["patient__last_name", "patient__external_id"]
    date_hierarchy = "raised_at"
    list_select_related = ["patient", "cleared_by"]


@admin.register(SafetyAssessment)
class SafetyAssessmentAdmin(ReadOnlyAdmin):
    """Recorded risk assessments (append-only)."""

    practice_lookup = "patient__practice"
    audit_reads = True
    list_display = ["created_at", "patient", "assessed_by"]
    search_fields = ["patient__last_name", "patient__external_id"]
    date_hierarchy = "created_at"
    list_select_related = ["patient", "assessed_by"]


@admin.register(PlanAmendment)
class PlanAmendmentAdmin(ReadOnlyAdmin):
    """Every amendment of the practice's signed plans: why, who, when, what changed. Append-only."""

    practice_lookup = "plan__patient__practice"
    audit_reads = True
    list_display = ["created_at", "plan", "author", "amends_version", "reason"]
    search_fields = ["reason", "plan__title", "plan__patient__last_name"]
    date_hierarchy = "created_at"
    list_select_related = ["plan__patient", "author"]

    def has_delete_permission(self, request, obj=None):
        return False


from treatment import template_admin  # noqa: E402, F401  (plan templates' admin, kept in a module of its own)
