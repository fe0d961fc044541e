"""The API's access enforcement, in one base class every patient-data viewset derives from.

Concrete viewsets declare `queryset` (a model whose manager has `restrict(user, action)`) and
nothing else about access: reads are narrowed to what the caller may view, so anything else is a
404; a write on a visible object the caller may not change is a 403. Reads and writes are audited.
"""

from rest_framework import permissions, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.access import can, patient_of
from accounts.audit import Action, AuditContext, audit_record, audit_record_many


class PatientDataViewSet(viewsets.GenericViewSet):
    """Base for every endpoint that reads or writes patient data.

    It provides the audited `list` and `retrieve` itself; subclasses list it FIRST among their bases
    and add DRF's Create/Update mixins for writes (never DRF's List/Retrieve mixins, which would
    shadow the audited ones).
    """

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, "view")

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        if request.method not in permissions.SAFE_METHODS and not can(request.user, "change", patient_of(obj)):
            raise PermissionDenied("You can read this record but not change it.")

    @property
    def audit(self) -> AuditContext:
        return AuditContext.from_request(self.request)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        audit_record_many(self.audit, Action.VIEW, rows)
        serializer = self.get_serializer(rows, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        audit_record(self.audit, Action.VIEW, instance)
        return Response(self.get_serializer(instance).data)
