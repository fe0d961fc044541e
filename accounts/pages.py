"""The pages' access enforcement, in one base every page about patient data derives from: the HTML twin of
`accounts.api.base.PatientDataViewSet`.

Signing in is already the default (`LoginRequiredMiddleware`). A page declares the record it is about
(`model`, found by the URL's `lookup_kwarg`) and what it does with it (`required_action`); the base looks
the record up once, before any handler runs, among what the user may view (anything else is a 404), and
the same query says whether the user may change it (`can_change`). A page that writes refuses a user who
may only read (403) before any form is read, and `check_writable` lets a base for records under a plan add
its one answer for a closed plan (409, `treatment.views.base.PlanPage`). The handler finds the record on
`self.object` and passes `self.audit` to the services, which then take the change right as confirmed
rather than asking again.

A page without a record (a list, or a form that creates one) leaves `lookup_kwarg` out of its URL:
`get_queryset()` is then the restricted list, and `practice_required` refuses an account with no practice.
`RecordPage` is the same lookup for records that are not patient data (the intervention library).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404
from django.views import View

from accounts.access import CHANGE_RIGHT, patient_of
from accounts.access import Action as AccessAction
from accounts.audit import Action, AuditContext, audit_record, audit_record_many

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

READ_ONLY = "You can read this record but not change it."
NO_PRACTICE = "Your account does not belong to a practice."


class RecordPage(View):
    """The one `dispatch` of the pages: the record is looked up and the user's right to it decided before
    any handler runs. Subclasses say how to find the record (`load`) and who may change it (`require_change`);
    list it FIRST among a view's bases."""

    model: type[models.Model] | None = None
    #: The URL keyword that names the record; a URL without it makes a page about no single record.
    lookup_kwarg = "pk"
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[Any, ...] = ()
    #: "view" for pages that read; "change" for pages that write (their GET form included).
    required_action: AccessAction = "view"
    #: For pages that create a record for the user's practice.
    practice_required = False

    object: Any = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if self.practice_required and request.user.practice_id is None:  # type: ignore[union-attr]
            raise PermissionDenied(NO_PRACTICE)
        if self.lookup_kwarg in kwargs:
            self.object = self.load(kwargs[self.lookup_kwarg])
            if self.required_action == "change":
                self.require_change(self.object)
        return super().dispatch(request, *args, **kwargs)

    def records(self) -> models.QuerySet:
        """What the page may find its record among (and what a list page lists)."""
        raise NotImplementedError(f"{type(self).__name__} says where its records come from")

    def load(self, pk: Any) -> Any:
        """The record if the user may see it, else 404."""
        return get_object_or_404(self.records(), pk=pk)

    def require_change(self, record: Any) -> None:
        """Refuse (403, or 409 for a closed record) a user who may not change `record`."""
        raise NotImplementedError(f"{type(self).__name__} says who may change its records")

    # Django's generic views ask for these; the record is already loaded.
    def get_queryset(self) -> models.QuerySet:
        return self.records()

    def get_object(self, queryset: models.QuerySet | None = None) -> Any:
        return self.object


class PatientDataPage(RecordPage):
    """Base for every page that shows or changes patient data (the records `restrict()` narrows)."""

    #: Whether the user may change the record (decided with the lookup, in the same query).
    can_change = False

    def records(self) -> models.QuerySet:
        """What the user may view of `model`, with the page's related rows."""
        assert self.model is not None, f"{type(self).__name__} names no model"
        manager: Any = self.model._default_manager  # a patient-data manager (`accounts.access`)
        queryset = manager.restrict(self.request.user, "view")
        return queryset.select_related(*self.select_related).prefetch_related(*self.prefetch_related)

    def load(self, pk: Any) -> Any:
        """The record if the user may view it (else 404), with whether they may change it."""
        records: Any = self.records()
        record = get_object_or_404(records.with_change_right(self.request.user), pk=pk)
        self.can_change = bool(getattr(record, CHANGE_RIGHT))
        return record

    def require_change(self, record: Any) -> None:
        if not self.can_change:
            raise PermissionDenied(READ_ONLY)
        self.check_writable(record)

    def check_writable(self, record: Any) -> None:
        """Refuse a write to a record that takes none any more (a base for a kind of record fills this in)."""

    @property
    def audit(self) -> AuditContext:
        """Who acts, for the services and the audit trail (with the change right, once it is confirmed)."""
        context = AuditContext.from_request(self.request)
        return context.confirming(patient_of(self.object)) if self.can_change else context


class AuditedDetailMixin:
    """Records a view event for the object a detail page shows."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)  # type: ignore[misc]
        audit_record(self.audit, Action.VIEW, self.object)  # type: ignore[attr-defined]
        return response


class AuditedListMixin:
    """Records a view event for every row a list page shows."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        audit_record_many(self.audit, Action.VIEW, context["object_list"])  # type: ignore[attr-defined]
        return context
