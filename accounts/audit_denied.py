"""Refused access to patient data is an audit event too (action `denied`): probing for records shows in the trail.

One mechanism for both channels: a middleware that looks at every 403 and 404 answered by a view that serves
patient data, which is decided by the view's class, the same classes that enforce access: the pages'
`PatientDataPage` and the API's `PatientDataViewSet`. A 404 for a URL no view matches is not recorded (there
is no record behind it to probe), nor a refusal from a view that serves no patient data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponseBase

from accounts.api.base import PatientDataViewSet
from accounts.audit import AuditContext, audit_denied
from accounts.errors import view_class
from accounts.models import AuditEvent
from accounts.pages import PatientDataPage

DENIED_STATUSES = frozenset({403, 404})


def _patient_data_view(request: HttpRequest) -> type[Any] | None:
    """The class of the view that answered, if it is one that serves patient data."""
    found = view_class(request.resolver_match)
    if found is not None and issubclass(found, (PatientDataPage, PatientDataViewSet)):
        return found
    return None


def _object_type(view_class: type[Any]) -> str:
    model = getattr(view_class, "model", None)
    if model is None:
        queryset = getattr(view_class, "queryset", None)
        model = getattr(queryset, "model", None)
    return model._meta.label_lower if model is not None else ""


class DeniedAccessAuditMiddleware:
    """Writes a `denied` event for every 403/404 of a patient-data page or endpoint."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code in DENIED_STATUSES:
            view_class = _patient_data_view(request)
            if view_class is not None:
                kwargs = request.resolver_match.kwargs if request.resolver_match else {}
                # A route may take any id segment (the FHIR ones do): what was probed is kept as far as it fits.
                asked = str(next(iter(kwargs.values()), ""))[: AuditEvent._meta.get_field("object_id").max_length]
                audit_denied(
                    AuditContext.from_request(request),
                    object_type=_object_type(view_class),
                    object_id=asked,
                    status=response.status_code,
                    method=request.method or "",
                )
        return response
