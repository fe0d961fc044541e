"""The FHIR R4 export of a plan (`/treatment-plans/{plan_id}/fhir`): every resource parses with the R4B models,
every reference resolves inside the Bundle, and the codes, systems, statuses and links are the ones the README's
mapping table states, for a signed plan with a goal of every status and an objective driven by the PHQ-9."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from accounts.models import AuditEvent
from tests.factories import PlanFactory, make_tree
from tests.treatment.fhir_support import check_bundle, signed_plan_world
from treatment.fhir.refs import condition_id
from treatment.models import TreatmentPlan

pytestmark = pytest.mark.django_db

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
LOINC = "http://loinc.org"


@pytest.fixture
def world(owner, patient):
    return signed_plan_world(owner, patient)


def export(api, user, plan, **extra):
    response = api.as_(user).get(f"/api/v1/treatment-plans/{plan.pk}/fhir", **extra)
    assert response.status_code == 200
    return response


def test_the_bundle_is_a_collection_of_valid_r4_resources_whose_references_resolve(api, owner, world):
    response = export(api, owner, world["plan"])

    assert response["Content-Type"] == "application/fhir+json"
    body = response.json()
    assert body["resourceType"] == "Bundle"
    assert body["type"] == "collection"
    resources = check_bundle(body)
    kinds = [entry["resource"]["resourceType"] for entry in body["entry"]]
    assert kinds == ["CarePlan", "Patient", "Practitioner"] + ["Condition"] * 2 + ["Goal"] * 5 + ["Observation"] * 4
    plan = world["plan"]
    assert body["entry"][0]["fullUrl"] == f"http://testserver/api/v1/fhir/CarePlan/{plan.pk}"
    assert f"Patient/{plan.patient_id}" in resources
    assert f"Practitioner/{plan.therapist_id}" in resources


def test_fhir_json_whatever_the_client_accepts(api, owner, world):
    response = export(api, owner, world["plan"], HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "application/fhir+json"


def test_resource_ids_are_the_records_ids_in_every_export(api, owner, world):
    first = [entry["fullUrl"] for entry in export(api, owner, world["plan"]).json()["entry"]]
    again = [entry["fullUrl"] for entry in export(api, owner, world["plan"]).json()["entry"]]
    assert first == again
    ids = {url.rsplit("/", 1)[1] for url in first}
    records = [world[name].pk for name in ("plan", "long_term", "short_term", "objective", "prom", "dropped")]
    assert {str(pk) for pk in records} <= ids
    assert {str(score.pk) for score in world["scores"]} | {str(entry.pk) for entry in world["entries"]} <= ids


def test_the_careplan(api, owner, world):
    plan, signature = world["plan"], world["signature"]
    resources = check_bundle(export(api, owner, plan).json())
    careplan = resources[f"CarePlan/{plan.pk}"]

    assert careplan["meta"]["profile"] == [US_CORE + "us-core-careplan"]
    assert careplan["status"] == "active"
    assert careplan["intent"] == "plan"
    assert careplan["category"] == [
        {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/us/core/CodeSystem/careplan-category",
                    "code": "assess-plan",
                    "display": "Assessment and Plan of Treatment",
                }
            ]
        }
    ]
    assert careplan["title"] == "Anxiety <& mood> plan"
    assert careplan["subject"] == {"reference": f"Patient/{plan.patient_id}"}
    assert careplan["period"] == {"start": "2026-09-01", "end": "2027-03-01"}
    assert careplan["author"] == {"reference": f"Practitioner/{plan.therapist_id}"}
    assert careplan["addresses"] == [
        {"reference": f"Condition/{condition_id(plan.pk, 'F41.1')}"},
        {"reference": f"Condition/{condition_id(plan.pk, 'F32.1')}"},
    ]
    # The long-term goals, by priority.
    assert careplan["goal"] == [
        {"reference": f"Goal/{world['long_term'].pk}"},
        {"reference": f"Goal/{world['dropped'].pk}"},
    ]
    assert careplan["activity"] == [
        {
            "detail": {
                "code": {"text": "Deep Breathing"},
                "goal": [{"reference": f"Goal/{world['objective'].pk}"}],
                "status": "completed",  # the objective it serves is achieved
                "performer": [{"reference": f"Practitioner/{plan.therapist_id}"}],
                "description": careplan["activity"][0]["detail"]["description"],
                "scheduledString": "every session",
            }
        }
    ]
    assert careplan["activity"][0]["detail"]["description"].startswith("Modality: Behavioral. Category: Relaxation.")
    assert careplan["extension"] == [
        {
            "url": "urn:trellis:fhir:StructureDefinition:signed-version",
            "extension": [
                {"url": "version", "valueInteger": 1},
                {"url": "status", "valueCode": "signed"},
                {"url": "sha256", "valueString": signature.content_hash},
                {"url": "signedAt", "valueDateTime": signature.signed_at.isoformat()},
            ],
        }
    ]


def test_the_narrative_is_escaped_xhtml(api, owner, world):
    careplan = export(api, owner, world["plan"]).json()["entry"][0]["resource"]

    assert careplan["text"]["status"] == "generated"
    div = careplan["text"]["div"]
    assert "<p><b>Anxiety &lt;&amp; mood&gt; plan</b></p>" in div
    root = ET.fromstring(div)  # well-formed
    assert root.tag == "{http://www.w3.org/1999/xhtml}div"
    items = [li.text for li in root.iter("{http://www.w3.org/1999/xhtml}li")]
    assert items[:2] == [
        "F41.1 Generalized anxiety disorder",
        "F32.1 Major depressive disorder, single episode, moderate",
    ]


def test_one_condition_per_diagnosis_coded_in_icd10cm(api, owner, world):
    plan = world["plan"]
    resources = check_bundle(export(api, owner, plan).json())
    condition = resources[f"Condition/{condition_id(plan.pk, 'F41.1')}"]

    assert condition["meta"]["profile"] == [US_CORE + "us-core-condition-problems-health-concerns"]
    assert condition["code"] == {
        "coding": [
            {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F41.1", "display": "Generalized anxiety disorder"}
        ],
        "text": "Generalized anxiety disorder",
    }
    assert condition["category"] == [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                    "code": "problem-list-item",
                    "display": "Problem List Item",
                }
            ]
        }
    ]
    assert condition["clinicalStatus"]["coding"][0]["code"] == "active"
    assert condition["subject"] == {"reference": f"Patient/{plan.patient_id}"}


def test_the_patient_and_the_practitioner_with_credentials(api, owner, world):
    plan = world["plan"]
    resources = check_bundle(export(api, owner, plan).json())

    patient = resources[f"Patient/{plan.patient_id}"]
    assert patient["meta"]["profile"] == [US_CORE + "us-core-patient"]
    assert patient["name"][0] == {"use": "official", "family": "Carter", "given": ["Emily"], "text": "Emily Carter"}
    assert patient["identifier"] == [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{plan.patient_id}"}]
    practitioner = resources[f"Practitioner/{plan.therapist_id}"]
    assert practitioner["qualification"] == [{"code": {"text": owner.credentials}}]
    assert owner.credentials == "LCSW"


GOAL_STATUSES = {
    # name: (lifecycleStatus, achievementStatus)
    "long_term": ("active", "improving"),  # in progress, its progress above 0
    "short_term": ("active", "improving"),  # modified: still pursued
    "objective": ("completed", "achieved"),
    # Not started on the record, but its scores say how it goes: the PHQ-9 fell from 18 to 9 (a reliable change).
    "prom": ("planned", "improving"),
    "dropped": ("cancelled", "not-achieved"),
}


def test_each_goal_status_maps_to_its_lifecycle_and_achievement(api, owner, world):
    resources = check_bundle(export(api, owner, world["plan"]).json())

    for name, (lifecycle, achievement) in GOAL_STATUSES.items():
        goal = resources[f"Goal/{world[name].pk}"]
        assert goal["meta"]["profile"][0] == US_CORE + "us-core-goal"
        assert goal["lifecycleStatus"] == lifecycle, name
        coding = goal["achievementStatus"]["coding"][0]
        assert (coding["system"], coding["code"]) == (
            "http://terminology.hl7.org/CodeSystem/goal-achievement",
            achievement,
        )
        assert goal["subject"] == {"reference": f"Patient/{world['plan'].patient_id}"}
        assert goal["description"] == {"text": world[name].description}


def test_sub_goals_are_milestones_of_their_parent(api, owner, world):
    resources = check_bundle(export(api, owner, world["plan"]).json())

    def milestones(name):
        goal = resources[f"Goal/{world[name].pk}"]
        found = []
        for extension in goal.get("extension", []):
            assert extension["url"] == "http://hl7.org/fhir/StructureDefinition/goal-relationship"
            kind, target = extension["extension"]
            assert kind["url"] == "type"
            assert kind["valueCodeableConcept"]["coding"][0]["system"] == (
                "http://terminology.hl7.org/CodeSystem/goal-relationship-type"
            )
            assert kind["valueCodeableConcept"]["coding"][0]["code"] == "milestone"
            assert target["url"] == "target"
            found.append(target["valueReference"]["reference"])
        return found

    assert milestones("long_term") == [f"Goal/{world['short_term'].pk}"]
    assert milestones("short_term") == [f"Goal/{world['objective'].pk}", f"Goal/{world['prom'].pk}"]
    assert milestones("objective") == []
    assert milestones("dropped") == []


def test_an_objective_driven_by_a_measure_is_a_pco_prom_goal(api, owner, world):
    resources = check_bundle(export(api, owner, world["plan"]).json())
    goal = resources[f"Goal/{world['prom'].pk}"]

    assert goal["meta"]["profile"] == [
        US_CORE + "us-core-goal",
        "http://hl7.org/fhir/us/pco/StructureDefinition/pco-prom-goal-profile",
    ]
    assert goal["target"] == [
        {
            "measure": {
                "text": "PHQ-9 total score",
                "coding": [{"system": LOINC, "code": "44261-6", "display": "PHQ-9 total score"}],
            },
            "detailInteger": 5,
            "dueDate": "2026-12-01",
        }
    ]
    assert goal["category"][1]["coding"][0] == {
        "system": "http://hl7.org/fhir/us/pco/CodeSystem/pco-concepts-temporary",
        "code": "person-centered",
        "display": "Person-Centered",
    }
    assert goal["outcomeReference"] == [{"reference": f"Observation/{score.pk}"} for score in world["scores"]]


def test_observations_of_progress_and_of_scores(api, owner, world):
    resources = check_bundle(export(api, owner, world["plan"]).json())
    entry = world["entries"][0]

    objective = resources[f"Goal/{world['objective'].pk}"]
    assert objective["outcomeReference"] == [{"reference": f"Observation/{entry.pk}"}]
    progress = resources[f"Observation/{entry.pk}"]
    assert progress["status"] == "final"
    assert progress["focus"] == [{"reference": f"Goal/{world['objective'].pk}"}]
    assert progress["valueInteger"] == 6
    assert progress["component"] == [{"code": {"text": "Progress value"}, "valueString": "4 days"}]
    assert progress["note"] == [{"text": "Practised on 4 days"}]
    assert progress["effectiveDateTime"] == entry.recorded_at.isoformat()
    note_only = resources[f"Observation/{world['entries'][1].pk}"]
    assert "valueInteger" not in note_only
    assert note_only["focus"] == [{"reference": f"Goal/{world['long_term'].pk}"}]

    first, second = (resources[f"Observation/{score.pk}"] for score in world["scores"])
    for observation, score in ((first, world["scores"][0]), (second, world["scores"][1])):
        assert observation["meta"]["profile"] == [US_CORE + "us-core-observation-screening-assessment"]
        assert observation["code"]["coding"] == [{"system": LOINC, "code": "44261-6", "display": "PHQ-9 total score"}]
        assert observation["category"][0]["coding"][0]["code"] == "survey"
        assert observation["valueInteger"] == score.total_score
        assert observation["effectiveDateTime"] == score.administered_on.isoformat()
        assert observation["focus"] == [{"reference": f"Goal/{world['prom'].pk}"}]
        assert observation["interpretation"] == [{"text": score.severity}]
    assert (first["valueInteger"], second["valueInteger"]) == (18, 9)


@pytest.mark.parametrize(
    ("status", "careplan_status", "clinical"),
    [("on_hold", "on-hold", "active"), ("completed", "completed", "inactive"), ("discontinued", "revoked", "inactive")],
)
def test_the_plans_status_maps_to_the_careplans(api, owner, patient, status, careplan_status, clinical):
    plan = PlanFactory(patient=patient)
    make_tree(plan)
    TreatmentPlan.objects.filter(pk=plan.pk).update(status=status)

    resources = check_bundle(export(api, owner, plan).json())
    careplan = resources[f"CarePlan/{plan.pk}"]
    assert careplan["status"] == careplan_status
    assert "extension" not in careplan  # never signed
    condition = resources[f"Condition/{condition_id(plan.pk, 'F41.1')}"]
    assert condition["clinicalStatus"]["coding"][0]["code"] == clinical
    activity_status = {"on_hold": "on-hold", "completed": "completed", "discontinued": "stopped"}[status]
    assert careplan["activity"][0]["detail"]["status"] == activity_status


def test_the_export_is_audited(api, owner, world):
    plan = world["plan"]
    before = AuditEvent.objects.count()
    export(api, owner, plan)

    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [(e.action, e.object_type, e.object_id, e.user_id, e.channel) for e in events] == [
        ("export", "treatment.treatmentplan", str(plan.pk), owner.pk, "api")
    ]
    assert events[0].patient_id == plan.patient_id
