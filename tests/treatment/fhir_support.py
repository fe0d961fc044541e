"""A plan that exercises every part of the FHIR export, and the checks every FHIR test makes of a Bundle."""

from __future__ import annotations

import datetime
from typing import Any

from django.test import RequestFactory
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from accounts.audit import AuditContext
from reviews.services.signatures import plan_sign
from tests.factories import PASSWORD, GoalFactory, PlanFactory, make_tree
from treatment.models import TreatmentGoal
from treatment.services import progress_record
from treatment.services.measures import measurement_record

DIAGNOSES = [
    {"code": "F41.1", "description": "Generalized anxiety disorder"},
    {"code": "F32.1", "description": "Major depressive disorder, single episode, moderate"},
]


def signed_plan_world(owner, patient) -> dict[str, Any]:
    """A plan with two diagnoses, a goal of every status, an objective driven by the PHQ-9 with two scores, two
    progress entries, and a clinician's signature on version 1 (the practice asks for no client signature)."""
    practice = patient.practice
    practice.require_client_signature = False
    practice.save(update_fields=["require_client_signature"])
    plan = PlanFactory(
        patient=patient,
        title="Anxiety <& mood> plan",
        diagnosis_codes=DIAGNOSES,
        target_end_date=datetime.date(2027, 3, 1),
    )
    tree = make_tree(plan)
    prom = GoalFactory(
        parent_goal=tree["short_term"],
        goal_type="objective",
        description="PHQ-9 below 5",
        measure_instrument="phq9",
        measure_target_score=5,
        target_date=datetime.date(2026, 12, 1),
    )
    dropped = GoalFactory(plan=plan, description="Return to full-time work", priority=4)
    by = AuditContext.system("tests", user=owner)
    request = RequestFactory().post("/api/v1/treatment-plans/x/signatures", REMOTE_ADDR="10.0.0.9")
    request.user = owner
    signature = plan_sign(
        by=AuditContext.from_request(request), plan=plan, role="clinician", password=PASSWORD, request=request
    )
    today = practice.today()
    scores = [
        measurement_record(
            by=by, patient=patient, instrument="phq9", answers=[2] * 9, administered_on=today - datetime.timedelta(14)
        ),
        measurement_record(
            by=by, patient=patient, instrument="phq9", answers=[1] * 9, administered_on=today - datetime.timedelta(7)
        ),
    ]
    entries = [
        progress_record(
            by=by, goal=tree["objective"], progress_note="Practised on 4 days", progress_value="4 days", rating=6
        ),
        progress_record(by=by, goal=tree["long_term"], progress_note="Worry is less constant"),
    ]
    statuses = {
        tree["long_term"]: "in_progress",
        tree["short_term"]: "modified",
        tree["objective"]: "achieved",
        prom: "not_started",
        dropped: "discontinued",
    }
    for goal, status in statuses.items():
        TreatmentGoal.objects.filter(pk=goal.pk).update(status=status)
    return {
        "plan": plan,
        **tree,
        "prom": prom,
        "dropped": dropped,
        "scores": scores,
        "entries": entries,
        "signature": signature,
    }


def references(value: Any) -> list[str]:
    """Every `reference` anywhere in a resource (or Bundle)."""
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [ref for item in value.values() for ref in references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in references(item)]
    return []


def check_bundle(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Parse the Bundle and each of its resources with the R4B models (extra or mistyped elements fail), check every
    reference resolves to an entry, and return the resources by `Type/id`."""
    Bundle.model_validate(body)
    for entry in body["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    full_urls = [entry["fullUrl"] for entry in body["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    base = full_urls[0].rsplit("/", 2)[0]
    for entry in body["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"{base}/{resource['resourceType']}/{resource['id']}"
    for ref in references(body):
        assert f"{base}/{ref}" in full_urls, ref
    return {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"] for e in body["entry"]}
