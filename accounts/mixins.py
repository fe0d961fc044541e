"""The HTML views' access enforcement: the same rule as the API's base viewset, for pages.

A page view declares `model` (or `queryset`); the object is looked up only among what the user may
view (anything else is a 404), and views that change data also require the `change` grant (403).
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from accounts.access import can, patient_of
from accounts.audit import Action, AuditContext, audit_record, audit_record_many


class PatientDataMixin(LoginRequiredMixin):
    """For every page that shows or changes patient data."""

    #: "view" for pages that read; "change" for pages that write.
    required_action = "view"

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, "view")

    @property
    def audit(self) -> AuditContext:
        return AuditContext.from_request(self.request)

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if self.required_action != "view" and not can(self.request.user, self.required_action, patient_of(obj)):
            raise PermissionDenied("You can read this record but not change it.")
        return obj


class AuditedDetailMixin:
    """Records a view event for the object a detail page shows."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        audit_record(self.audit, Action.VIEW, self.object)
        return response


class AuditedListMixin:
    """Records a view event for every row a list page shows."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        audit_record_many(self.audit, Action.VIEW, context["object_list"])
        return context
