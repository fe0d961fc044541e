"""Plan templates in Django admin: the system library read-only, a practice's own written by the services.

A template's tree is edited as one JSON document in the library's file format (`treatment.plan_templates`), so
`plan_template_create` / `plan_template_update` check the whole of it as they do for the API; the goals are
listed below it, read-only. The form rehearses its service call while it validates (`ServiceModelForm`): a
refusal shows as a form error and writes nothing. (Registered from `treatment.admin`.)
"""

from __future__ import annotations

from typing import cast

from django.contrib import admin
from django.core.exceptions import ValidationError

from accounts.admin_base import PracticeScopedAdmin, ReadOnlyInline, ServiceModelForm
from accounts.audit import AuditContext
from accounts.forms import BoundedJSONField
from accounts.models import Practice
from treatment import services
from treatment.models import PlanTemplate, TemplateGoal
from treatment.models.template import PlanTemplateQuerySet
from treatment.services.templates import TEMPLATE_FIELDS
from treatment.template_selectors import template_tree, tree_as_data


class PlanTemplateForm(ServiceModelForm):
    #: Set per request by PlanTemplateAdmin.get_form: who acts, and the practice a new template belongs to.
    by: AuditContext | None = None
    own_practice: Practice | None = None
    goals = BoundedJSONField(
        help_text="The goal tree: long-term goals, each with sub_goals (short-term goals) and theirs (objectives); "
        "each goal: description, measurable_criteria, baseline_value, target_value ([[placeholders]]), priority, "
        "target_offset_weeks, smart, measure_instrument, measure_target_score, interventions "
        '[{"intervention_id", "frequency"}].',
    )

    class Meta:
        model = PlanTemplate
        fields = list(TEMPLATE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields["goals"].initial = tree_as_data(template_tree(self.instance))

    def write(self) -> PlanTemplate:
        """Make the service call this form stands for; a refusal inside the tree goes on the `goals` field, saying
        where (`goals[0].priority: ...`)."""
        try:
            return self._write()
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                raise
            moved: dict[str, list[str]] = {}
            for key, messages in error.message_dict.items():
                inside = key.startswith("goals[")
                field = "goals" if inside else key
                moved.setdefault(field, []).extend(f"{key}: {m}" if inside else m for m in messages)
            raise ValidationError(moved) from error

    def _write(self) -> PlanTemplate:
        data = {name: self.cleaned_data[name] for name in (*TEMPLATE_FIELDS, "goals") if name in self.cleaned_data}
        by = self.by or AuditContext.system("admin")
        if self.instance._state.adding:
            practice = self.cleaned_data.get("practice") or self.own_practice
            if practice is None:
                raise ValidationError({"practice": "Name the practice the template is for."})
            return services.plan_template_create(by=by, practice=practice, **data)
        changed = self.changes((*TEMPLATE_FIELDS, "goals"))
        if not changed:
            return self.instance
        current = PlanTemplate.objects.get(pk=self.instance.pk)
        return services.plan_template_update(by=by, template=current, **changed)


class SuperuserPlanTemplateForm(PlanTemplateForm):
    """A superuser belongs to no practice, so they name the one a new template is for."""

    class Meta(PlanTemplateForm.Meta):
        fields = ["practice", *PlanTemplateForm.Meta.fields]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practice"].required = True


class TemplateGoalInline(ReadOnlyInline):
    """The template's goals as stored, parents before their sub-goals' rows by position (edited in `goals`)."""

    model = TemplateGoal
    fields = ["goal_type", "parent", "description", "baseline_value", "target_value", "target_offset_weeks"]
    readonly_fields = ["goal_type", "parent", "description", "baseline_value", "target_value", "target_offset_weeks"]
    ordering = ["position"]


@admin.register(PlanTemplate)
class PlanTemplateAdmin(PracticeScopedAdmin):
    """The system library plus the admin's own practice's templates; only the practice's own are editable."""

    list_display = ["name", "key", "is_system", "practice", "updated_at"]
    list_filter = ["practice"]
    search_fields = ["name", "summary", "key"]
    list_select_related = ["practice"]
    inlines = [TemplateGoalInline]
    record_fields = ["key", "practice", "created_by", "created_at", "updated_at"]

    def get_queryset(self, request):
        # Not the practice filter of PracticeScopedAdmin: the system library has no practice and everyone sees it.
        queryset = super(PracticeScopedAdmin, self).get_queryset(request)
        return cast(PlanTemplateQuerySet, queryset).visible_to(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_system:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_system:
            return [*TEMPLATE_FIELDS, *self.record_fields]
        return [] if obj is None else self.record_fields

    def get_fieldsets(self, request, obj=None):
        if obj is not None and obj.is_system:
            return [(None, {"fields": list(TEMPLATE_FIELDS)}), ("Record", {"fields": self.record_fields})]
        fields = list(self._form_class(request, obj).base_fields)
        if obj is None:
            return [(None, {"fields": fields})]
        return [(None, {"fields": fields}), ("Record", {"fields": self.record_fields})]

    def _form_class(self, request, obj) -> type[PlanTemplateForm]:
        return SuperuserPlanTemplateForm if request.user.is_superuser and obj is None else PlanTemplateForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = self._form_class(request, obj)
        form = cast(type[PlanTemplateForm], super().get_form(request, obj, change, **kwargs))
        form.by = AuditContext.from_request(request)
        form.own_practice = None if request.user.is_superuser else request.user.practice
        return form

    def save_model(self, request, obj, form, change):
        saved = form.write()
        obj.pk, obj._state = saved.pk, saved._state
