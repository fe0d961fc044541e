"""Recording the audit trail. Every read or write of patient data calls one of these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from axes.helpers import get_client_ip_address
from django.db import models
from django.http import HttpRequest
from rest_framework.request import Request

from accounts.access import patient_of
from accounts.models import AuditEvent, Patient, User

Action = AuditEvent.Action
Channel = AuditEvent.Channel


@dataclass(frozen=True)
class AuditContext:
    """Who is acting, and from where: built once per request (or command) and passed to services."""

    user: User | None
    channel: str = Channel.SYSTEM
    ip_address: str | None = None
    user_agent: str = ""
    path: str = ""
    #: The patients whose `change` right the request's access base (a page's or the API's) has already
    #: confirmed for `user`: the services' own check (`require_change`) takes its word for these.
    change_confirmed: frozenset[UUID] = frozenset()

    @classmethod
    def from_request(cls, request: HttpRequest | Request, channel: str | None = None) -> AuditContext:
        path = request.path
        if channel is None:
            if path.startswith("/api/"):
                channel = Channel.API
            elif path.startswith("/admin/"):
                channel = Channel.ADMIN
            else:
                channel = Channel.WEB
        user = getattr(request, "user", None)
        return cls(
            user=user if isinstance(user, User) and user.is_authenticated else None,
            channel=channel,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
            path=path[:500],
        )

    @classmethod
    def system(cls, what: str, user: User | None = None) -> AuditContext:
        """For management commands and Celery tasks: `what` names the command or task."""
        return cls(user=user, channel=Channel.SYSTEM, user_agent=what[:500])

    def confirming(self, patient: Patient | None) -> AuditContext:
        """The same context, saying the access base found that `user` may change `patient`."""
        if patient is None:
            return self
        return replace(self, change_confirmed=self.change_confirmed | {patient.pk})


def client_ip(request: HttpRequest | Request) -> str | None:
    """The caller's address as the lockout resolves it (axes, PROXY_COUNT-aware): the audit trail and the rate
    limits name the same address behind proxies."""
    return get_client_ip_address(getattr(request, "_request", request)) or None


def _event(
    ctx: AuditContext,
    action: str,
    obj: models.Model,
    patient: Patient | None = None,
    changes: dict[str, Any] | None = None,
    object_type: str | None = None,
) -> AuditEvent:
    user = ctx.user
    patient = patient if patient is not None else patient_of(obj)
    # A staff member's own record belongs to their practice, whoever changed it (a command, a superuser).
    practice_id = (
        getattr(patient, "practice_id", None)
        or (obj.practice_id if isinstance(obj, User) else None)
        or (user.practice_id if user is not None else None)
    )
    return AuditEvent(
        user=user,
        user_email=(user.email if user is not None else "") or "",
        practice_id=practice_id,
        action=action,
        channel=ctx.channel,
        object_type=object_type or obj._meta.label_lower,
        object_id=str(obj.pk),
        patient=patient,
        ip_address=ctx.ip_address,
        user_agent=ctx.user_agent,
        path=ctx.path,
        changes=changes or {},
    )


def audit_record(
    ctx: AuditContext,
    action: str,
    obj: models.Model,
    *,
    patient: Patient | None = None,
    changes: dict[str, Any] | None = None,
    object_type: str | None = None,
) -> AuditEvent:
    """Record one event about `obj` (the patient is taken from `obj` unless given; `object_type` names what was
    touched when it is not `obj` itself, e.g. the grants on a patient).

    Audit last: on PostgreSQL the append holds the chain's lock until the transaction ends, so take every row
    lock the transaction could wait for (`lock_plan`, `select_for_update`, an UPDATE or DELETE of a row another
    transaction may hold) before its first event, or it can deadlock with a writer holding that row.
    """
    event = _event(ctx, action, obj, patient=patient, changes=changes, object_type=object_type)
    event.save()
    return event


def audit_record_many(ctx: AuditContext, action: str, objs: Iterable[models.Model]) -> list[AuditEvent]:
    """Record one event per object in a single INSERT: a list page shows many patients' data."""
    return AuditEvent.objects.bulk_create([_event(ctx, action, obj) for obj in objs])


def _about_no_record(
    ctx: AuditContext, action: str, *, object_type: str, object_id: str, changes: dict[str, Any]
) -> AuditEvent:
    """An event that names no patient (a refusal, a report export): the acting user's practice."""
    user = ctx.user
    return AuditEvent.objects.create(
        user=user,
        user_email=(user.email if user is not None else "") or "",
        practice_id=user.practice_id if user is not None else None,
        action=action,
        channel=ctx.channel,
        object_type=object_type,
        object_id=object_id[:64],
        ip_address=ctx.ip_address,
        user_agent=ctx.user_agent,
        path=ctx.path,
        changes=changes,
    )


def audit_denied(ctx: AuditContext, *, object_type: str, object_id: str, status: int, method: str) -> AuditEvent:
    """Record a refused read or write of patient data (a 403 or 404): who tried, from where, on what path.

    The event names no patient: the record may not exist, and if it does the user may not know whose it is.
    """
    changes = {"status": status, "method": method}
    return _about_no_record(ctx, Action.DENIED, object_type=object_type, object_id=object_id, changes=changes)


def audit_report_export(ctx: AuditContext, *, rows: int, query: str) -> AuditEvent:
    """Record an export of audit events (the report a practice admin downloads): how many rows, which filters."""
    changes = {"rows": rows, "query": query[:500]}
    return _about_no_record(ctx, Action.EXPORT, object_type=AuditEvent._meta.label_lower, object_id="", changes=changes)


def audit_aggregate(ctx: AuditContext, action: str, *, object_type: str, changes: dict[str, Any]) -> AuditEvent:
    """Record a read (`view`) or an export of figures aggregated over many patients (the outcomes by
    intervention): it names no patient, since no figure belongs to one; `changes` says what was asked for (the
    scope, the period, how many rows), never a person."""
    return _about_no_record(ctx, action, object_type=object_type, object_id="", changes=changes)


def jsonable(value: object) -> object:
    """A field's value as JSON can hold it: dates as ISO text, ids as strings, records by their id."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields` (FKs by id), to diff before and after a write."""
    values = {}
    for name in fields:
        f = obj._meta.get_field(name)
        attname = f.attname if isinstance(f, models.Field) and f.many_to_one else name
        values[name] = jsonable(getattr(obj, attname))
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field whose value changed."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}
