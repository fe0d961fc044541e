"""What every Trellis ModelAdmin shares: practice scoping, no deletes, audited reads of patient data,
and service refusals shown as form errors."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models, transaction

from accounts.audit import Action, AuditContext, audit_record, audit_record_many
from accounts.concurrency import RecordClosed
from accounts.forms import BoundedJSONField, add_service_error
from accounts.models import Patient, Practice, User


class PracticeScopedAdmin(admin.ModelAdmin):
    """A practice admin sees and picks only their own practice's rows; a superuser sees all.

    `practice_lookup` is the path from the model to its practice. Models that carry patient data set
    `audit_reads = True` so opening their list or change page writes view events.
    """

    practice_lookup = "practice"
    audit_reads = False
    formfield_overrides = {models.JSONField: {"form_class": BoundedJSONField}}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.practice_lookup: request.user.practice_id})

    def has_delete_permission(self, request, obj=None):
        # Clinical and staff records are deactivated, discharged or discontinued, never deleted.
        return False

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if not request.user.is_superuser:
            filters = [f for f in filters if f != self.practice_lookup]
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._scope_choices(field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return self._scope_choices(field, request)

    def _scope_choices(self, field, request):
        if field is None or request.user.is_superuser or not hasattr(field, "queryset"):
            return field
        model = field.queryset.model
        if model is User or model is Patient:
            field.queryset = field.queryset.filter(practice_id=request.user.practice_id)
        elif model is Practice:
            field.queryset = field.queryset.filter(pk=request.user.practice_id)
        return field

    def audit_context(self, request) -> AuditContext:
        return AuditContext.from_request(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(response, "context_data", {}).get("original")
        if self.audit_reads and request.method == "GET" and obj is not None:
            audit_record(self.audit_context(request), Action.VIEW, obj)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        obj = getattr(response, "context_data", {}).get("object")
        if self.audit_reads and obj is not None:
            audit_record(self.audit_context(request), Action.VIEW, obj)
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if self.audit_reads and changelist is not None:
            audit_record_many(self.audit_context(request), Action.VIEW, changelist.result_list)
        return response


class ReadOnlyInline(admin.TabularInline):
    """Related rows shown on a page for reading; they are written elsewhere (the app, the API)."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(PracticeScopedAdmin):
    """For derived or append-only records: listed and inspected, never written through the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class _Rehearsal(Exception):
    """Raised at the end of a rehearsed write to roll it back."""


def rehearse(write: Callable[[], object]) -> ValidationError | None:
    """Run `write` in a savepoint that is always rolled back; return the ValidationError it raised, if any."""
    try:
        with transaction.atomic():
            write()
            raise _Rehearsal
    except _Rehearsal:
        return None
    except ValidationError as error:
        return error
    except RecordClosed as closed:
        return ValidationError(closed.message)


class ServiceModelForm(forms.ModelForm):
    """An admin form whose save is a service call: it validates by rehearsing `write()`, that very call.

    A refusal becomes a form error on the field the service names (`field_aliases` maps the names the
    services use, as the API does, to the form's) and nothing is written; the admin's `save_model` then
    makes the call for real. Subclasses implement `write()`.
    """

    #: The service's field names that the form calls otherwise ({"therapist_id": "therapist"}).
    field_aliases: dict[str, str] = {}

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors and (self.instance._state.adding or self.has_changed()):
            error = rehearse(self.write)
            if error is not None:
                add_service_error(self, error, self.field_aliases)
        return cleaned

    def write(self) -> models.Model:
        raise NotImplementedError(f"{type(self).__name__} names the service call it stands for in write().")

    def changes(self, allowed) -> dict:
        """What the user changed, of the fields the service takes."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name in allowed}
