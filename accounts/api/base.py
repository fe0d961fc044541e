"""The API's access enforcement, in one base class every patient-data viewset derives from.

Concrete viewsets declare `queryset` (a model whose manager has `restrict(user, action)`) and
nothing else about access: reads are narrowed to what the caller may view, so anything else is a
404; a write on a visible object the caller may not change is a 403. Reads and writes are audited.
Paths under a parent record (`/patients/{patient_id}/sessions`) look the parent up the same way (`NestedMixin`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.db import models
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import mixins, permissions, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import Action as AccessAction
from accounts.access import can, patient_of
from accounts.audit import Action, AuditContext, audit_record, audit_record_many
from accounts.models import Patient


class AuditedReadMixin(viewsets.GenericViewSet):
    """`list` and `retrieve` that write a view event for every record they answer with.

    `PatientDataViewSet` is built on it; a viewset of records that show PHI but are not narrowed by `restrict()`
    (the caller's notifications, the audit trail itself) lists it first among its bases.
    """

    @property
    def audit(self) -> AuditContext:
        return AuditContext.from_request(self.request)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        audit_record_many(self.audit, Action.VIEW, rows)
        body = self.list_body(rows)
        if page is not None:
            return self.get_paginated_response(body)
        return Response(body)

    def list_body(self, rows: Sequence[Any]) -> Any:
        """The listed records as the answer writes them: the serializer's representation of each (a viewset whose
        list is built from its rows instead says so here)."""
        return self.get_serializer(rows, many=True).data

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        audit_record(self.audit, Action.VIEW, instance)
        return Response(self.get_serializer(instance).data)


class PatientDataViewSet(AuditedReadMixin):
    """Base for every endpoint that reads or writes patient data.

    It provides the audited `list` and `retrieve` itself; subclasses list it FIRST among their bases
    and add DRF's Create/Update mixins for writes (never DRF's List/Retrieve mixins, which would
    shadow the audited ones).
    """

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, "view")

    #: The patient whose `change` right this request confirmed; the services are not asked again.
    change_confirmed: Patient | None = None

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        if request.method not in permissions.SAFE_METHODS:
            self.require_change(obj)

    def require_change(self, obj: models.Model) -> None:
        """The caller must hold `change` on the record's patient (403 otherwise); asked once per request."""
        patient = patient_of(obj)
        if self.change_confirmed is not None and patient == self.change_confirmed:
            return
        if not can(self.request.user, "change", patient):
            raise PermissionDenied("You can read this record but not change it.")
        self.change_confirmed = patient

    @property
    def audit(self) -> AuditContext:
        return AuditContext.from_request(self.request).confirming(self.change_confirmed)


class _Restricts(Protocol):
    """The default manager of a patient-data model (`accounts.access`): narrowed to what a user may do."""

    def restrict(self, user: Any, action: AccessAction = ...) -> QuerySet[Any]: ...


if TYPE_CHECKING:  # What the mixins are listed before: a patient-data viewset (that creates).

    class _NestedReadBase(viewsets.GenericViewSet):
        def require_change(self, obj: models.Model) -> None: ...

    class _NestedBase(mixins.CreateModelMixin, _NestedReadBase): ...
else:
    _NestedReadBase = _NestedBase = object


class NestedReadMixin(_NestedReadBase):
    """For paths under a parent record (`parent_model`, looked up by `parent_kwarg`), listed before
    `PatientDataViewSet`: the parent is looked up among those the caller may view (else 404)."""

    parent_model: type[models.Model]
    parent_kwarg = ""
    parent_select: tuple[str, ...] = ()

    def parent(self) -> Any:
        if not hasattr(self, "_parent"):
            manager = cast(_Restricts, self.parent_model._default_manager)  # its `objects`
            parents = manager.restrict(self.request.user, "view").select_related(*self.parent_select)
            self._parent = get_object_or_404(parents, pk=self.kwargs[self.parent_kwarg])
        return self._parent


class NestedMixin(NestedReadMixin, _NestedBase):
    """`NestedReadMixin` for paths that create under their parent: creating needs `change` on it (else 403),
    decided before the body is read."""

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Access is decided before the body is read: 404/403 come before any 400.
        self.require_change(self.parent())
        return super().create(request, *args, **kwargs)
