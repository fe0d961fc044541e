"""The intervention library in Django admin: the system entries read-only, a practice's own written by the services.

Admin forms validate before they save, while the library's rules (a name unique in the practice's library, the
system entries fixed) live in `interventions.services`. So each form *rehearses* the very service call its admin
will make, in a savepoint that is always rolled back: a refusal becomes a form error (never a 500) and nothing is
written; `save_model` then makes the call for real. (`ServiceModelForm`, the base of such forms, lives in
`accounts.admin_base`, shared by every app's admin.)
"""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_base import PracticeScopedAdmin, ServiceModelForm
from interventions import services
from interventions.models import Intervention


class InterventionForm(ServiceModelForm):
    #: Set per request by InterventionAdmin.get_form: who acts, and the practice a new entry belongs to.
    user = None
    own_practice = None

    class Meta:
        model = Intervention
        fields = list(services.EDITABLE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.own_practice is not None and self.instance._state.adding:
            # The model's own validation (system xor practice, name unique per practice) needs the practice.
            self.instance.practice = self.own_practice

    def write(self) -> Intervention:
        """Make the service call this form stands for: create the entry, or update what changed."""
        data = {name: self.cleaned_data[name] for name in services.EDITABLE_FIELDS if name in self.cleaned_data}
        if self.instance._state.adding:
            practice = self.cleaned_data.get("practice") or self.own_practice
            return services.intervention_create(practice=practice, created_by=self.user, **data)
        changed = self.changes(data)
        if not changed:
            return self.instance
        current = Intervention.objects.get(pk=self.instance.pk)
        return services.intervention_update(user=self.user, intervention=current, **changed)


class SuperuserInterventionForm(InterventionForm):
    """A superuser belongs to no practice, so they name the one a new custom entry is for."""

    class Meta(InterventionForm.Meta):
        fields = ["practice", *InterventionForm.Meta.fields]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practice"].required = True


@admin.register(Intervention)
class InterventionAdmin(PracticeScopedAdmin):
    """The system library plus the admin's own practice's entries; only the practice's own are editable."""

    list_display = ["name", "modality", "category", "evidence_level", "is_system", "is_active", "practice"]
    list_filter = ["modality", "category", "evidence_level", "is_system", "is_active"]
    search_fields = ["name", "description"]
    list_select_related = ["practice"]
    record_fields = ["is_system", "practice", "created_by", "created_at", "updated_at"]

    def get_queryset(self, request):
        # Not the practice filter of PracticeScopedAdmin: the system library has no practice and everyone sees it.
        return super(PracticeScopedAdmin, self).get_queryset(request).available_to(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_system:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.record_fields

    def get_fieldsets(self, request, obj=None):
        fields = list(self._form_class(request, obj).base_fields)
        if obj is None:
            return [(None, {"fields": fields})]
        return [(None, {"fields": fields}), ("Record", {"fields": self.record_fields})]

    def _form_class(self, request, obj):
        return SuperuserInterventionForm if request.user.is_superuser and obj is None else InterventionForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = self._form_class(request, obj)
        form = super().get_form(request, obj, change, **kwargs)
        form.user = request.user
        form.own_practice = None if request.user.is_superuser else request.user.practice
        return form

    def save_model(self, request, obj, form, change):
        saved = form.write()
        obj.pk, obj._state = saved.pk, saved._state
