"""Every record kept as written refuses, in the ORM, to be saved again, deleted, or updated or deleted in bulk:
one rule (`accounts.models.AppendOnlyModel` and `AppendOnlyQuerySet`), each model with its own words. (PostgreSQL's
triggers refuse raw SQL too: each model's own immutability tests.)"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import models

from accounts.audit import AuditContext
from accounts.models import AuditCheckpoint, AuditEvent
from reviews.models import PlanSignature
from tests.factories import mark_signed
from tests.reviews.test_signing import sign_staff
from treatment.models import Measurement, PlanAmendment, SafetyAssessment, SessionAddendum
from treatment.services import plan_update, session_record
from treatment.services.addenda import session_addendum_add
from treatment.services.measures import measurement_record, safety_assessment_record

pytestmark = pytest.mark.django_db

PHQ9_WITH_ITEM_9 = [1, 1, 1, 1, 1, 1, 1, 1, 1]


def amendment(by, plan):
    mark_signed(plan)
    plan_update(by=by, plan=plan, notes="x", amendment_reason="Why")
    return PlanAmendment.objects.get(), "reason", "Rewritten"


def addendum(by, plan):
    session = session_record(
        by=by, patient=plan.patient, plan=plan, session_date=datetime.date(2026, 9, 2), duration_minutes=50
    )
    return session_addendum_add(by=by, session=session, text="Original correction."), "text", "Rewritten"


def signature(by, plan):
    return sign_staff(by.user, plan), "reason", "edited"


def measurement(by, plan):
    return measurement_record(by=by, patient=plan.patient, instrument="phq9", answers=[0] * 9), "total_score", 1


def assessment(by, plan):
    measurement_record(by=by, patient=plan.patient, instrument="phq9", answers=PHQ9_WITH_ITEM_9)
    return safety_assessment_record(by=by, patient=plan.patient, note="No plan or intent."), "note", "Rewritten"


def event(by, plan):
    return AuditEvent.objects.filter(patient=plan.patient).earliest("seq"), "action", "view"


def checkpoint(by, plan):
    return AuditCheckpoint.objects.create(seq=1, mac="0" * 64, events_checked=1), "events_checked", 2


MAKERS: dict[type[models.Model], Callable] = {
    PlanAmendment: amendment,
    SessionAddendum: addendum,
    PlanSignature: signature,
    Measurement: measurement,
    SafetyAssessment: assessment,
    AuditEvent: event,
    AuditCheckpoint: checkpoint,
}


@pytest.mark.parametrize("model", list(MAKERS), ids=lambda model: model.__name__)
def test_the_orm_refuses_to_change_or_remove_it(model, owner, plan, tree):
    record, field, value = MAKERS[model](AuditContext(user=owner), plan)
    kept = getattr(model.objects.get(pk=record.pk), field)
    refusal = model.append_only_refusal
    assert "append-only" in refusal

    setattr(record, field, value)
    with pytest.raises(PermissionError) as saved:
        record.save()
    with pytest.raises(PermissionError) as deleted:
        record.delete()
    with pytest.raises(PermissionError) as updated:
        model.objects.filter(pk=record.pk).update(**{field: value})
    with pytest.raises(PermissionError) as bulk_deleted:
        model.objects.filter(pk=record.pk).delete()

    assert [str(e.value) for e in (saved, deleted, updated, bulk_deleted)] == [refusal] * 4
    assert getattr(model.objects.get(pk=record.pk), field) == kept


def test_every_append_only_model_is_here():
    from django.apps import apps

    from accounts.models import AppendOnlyModel

    assert {m for m in apps.get_models() if issubclass(m, AppendOnlyModel)} == set(MAKERS)
