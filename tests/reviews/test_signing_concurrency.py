"""Two signatures of one plan at once, on real PostgreSQL connections: the plan's lock serialises them, so the
second sees the first (one version sealed, one clinician signature, the other refused with a 409's conflict)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from reviews.models import PlanSignature, PlanVersion
from reviews.services import signatures
from reviews.services.signatures import SigningConflict
from tests.reviews.test_signing import sign_staff
from treatment.models import TreatmentPlan

pytestmark = pytest.mark.django_db(transaction=True)


def sign_at_once(owner, plan) -> tuple[list, list]:
    start = threading.Barrier(2)
    results: list = []
    errors: list = []

    def worker():
        try:
            start.wait(timeout=10)
            results.append(sign_staff(owner, plan))
        except Exception as error:  # surfaced by the caller
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


def test_two_clinician_signatures_at_once_make_one(owner, plan):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; this race is run on PostgreSQL (CI)")
    for _ in range(3):
        results, errors = sign_at_once(owner, plan)
        assert len(results) == 1
        assert [type(e) for e in errors] == [SigningConflict]
        # The next round changes the plan, so there is something new to sign again.
        TreatmentPlan.objects.filter(pk=plan.pk).update(notes=f"round {PlanSignature.objects.count()}")
    assert PlanSignature.objects.filter(plan=plan).count() == 3
    assert list(PlanVersion.objects.filter(plan=plan).order_by("number").values_list("number", flat=True)) == [1, 2, 3]


def test_without_the_plan_lock_the_race_is_lost(owner, plan, monkeypatch):
    """The check that the test above tests the lock: with a plain read in its place, both signers see no
    signature and both seal version 1 (the unique constraint refuses one, or both sign different versions)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; this race is run on PostgreSQL (CI)")

    def read_without_lock(plan_id):
        import time

        found = TreatmentPlan.objects.select_related("patient__practice", "therapist").get(pk=plan_id)
        time.sleep(0.3)  # both read before either writes
        return found

    monkeypatch.setattr(signatures, "lock_plan", read_without_lock)
    results, errors = sign_at_once(owner, plan)
    assert not (len(results) == 1 and [type(e) for e in errors] == [SigningConflict])
