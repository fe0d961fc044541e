"""Every demo plan (`manage.py seed_demo`: months of sessions, achieved and discontinued goals, a plan on hold, a
completed one, signed and amended plans, measure-driven objectives) exports as a Bundle the R4B models parse, with
every reference resolving inside it."""

import io

import pytest
from django.core.management import call_command

from tests.treatment.fhir_support import check_bundle
from treatment.models import TreatmentPlan

pytestmark = pytest.mark.django_db


def test_every_demo_plan_exports_cleanly(api, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())
    plans = list(TreatmentPlan.objects.select_related("therapist"))
    assert len(plans) >= 7

    kinds: dict[str, int] = {}
    statuses = set()
    signed = []
    for plan in plans:
        response = api.as_(plan.therapist).get(f"/api/v1/treatment-plans/{plan.pk}/fhir")
        assert response.status_code == 200
        resources = check_bundle(response.json())
        careplan = resources[f"CarePlan/{plan.pk}"]
        statuses.add(careplan["status"])
        for extension in careplan.get("extension", []):
            parts = {
                part["url"]: next(v for k, v in part.items() if k.startswith("value"))
                for part in extension["extension"]
            }
            signed.append((parts["status"], len(parts.get("sha256", ""))))
        for key in resources:
            kinds[key.split("/")[0]] = kinds.get(key.split("/")[0], 0) + 1
    assert set(kinds) == {"CarePlan", "Patient", "Practitioner", "Condition", "Goal", "Observation"}
    assert {"active", "on-hold", "completed"} <= statuses
    # The signed demo plans carry their version's SHA-256 (64 hex digits), the amended one too.
    assert {"signed", "amended_unsigned"} <= {status for status, _ in signed}
    assert {length for _, length in signed} == {64}
