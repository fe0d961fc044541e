"""The Bundles: a plan's `collection` (every resource it names), and the `searchset` of CarePlans."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from treatment.fhir.careplan import careplan_resource
from treatment.fhir.codes import CAREPLAN_PROFILE
from treatment.fhir.conditions import condition_resources
from treatment.fhir.goals import goal_resources
from treatment.fhir.observations import observation_resources
from treatment.fhir.people import patient_resource, practitioner_resource
from treatment.fhir.read import PlanExport
from treatment.fhir.refs import instant

#: When what the FHIR base serves last changed (CapabilityStatement.date).
CAPABILITY_DATE = "2026-12-01"


def _entry(base: str, resource: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": resource, **extra}


def plan_resources(export: PlanExport) -> list[dict[str, Any]]:
    """The CarePlan first, then who it is for and by, the diagnoses, the goals and the observations."""
    plan = export.plan
    return [
        careplan_resource(plan, export.tree, export.signed),
        patient_resource(plan.patient),
        practitioner_resource(plan.therapist),
        *condition_resources(plan),
        *goal_resources(export),
        *observation_resources(export),
    ]


def collection_bundle(export: PlanExport, base: str) -> dict[str, Any]:
    """Every resource of the plan's export; each relative reference (`Goal/{id}`) resolves to an entry's `fullUrl`
    (`{base}/Goal/{id}`). The Bundle's id is new each time: it is a document of the moment, not a record."""
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant(timezone.now())},
        "type": "collection",
        "timestamp": instant(timezone.now()),
        "entry": [_entry(base, resource) for resource in plan_resources(export)],
    }


def searchset_bundle(careplans: Sequence[dict[str, Any]], base: str, self_url: str) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant(timezone.now())},
        "type": "searchset",
        "total": len(careplans),
        "link": [{"relation": "self", "url": self_url}],
        "entry": [_entry(base, resource, search={"mode": "match"}) for resource in careplans],
    }


def capability_statement(base: str) -> dict[str, Any]:
    """What the FHIR base serves: CarePlan read and search by patient (the plan's whole Bundle is the plan's
    `/fhir` route of the API, not a FHIR operation)."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CAPABILITY_DATE,
        "kind": "instance",
        "software": {"name": "Trellis"},
        "implementation": {"description": "Trellis treatment plans, read-only", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "A plan's whole record (CarePlan, Patient, Practitioner, Conditions, Goals, Observations) is a "
                    "collection Bundle at /api/v1/treatment-plans/{plan_id}/fhir."
                ),
                "security": {
                    "description": "Send Authorization: Token <token> (POST /api/v1/auth/token, or a personal token)."
                },
                "resource": [
                    {
                        "type": "CarePlan",
                        "supportedProfile": [CAREPLAN_PROFILE],
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [{"name": "patient", "type": "reference", "documentation": "The patient's id."}],
                    }
                ],
            }
        ],
    }
