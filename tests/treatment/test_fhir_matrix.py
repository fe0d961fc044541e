"""Who may read a plan as FHIR (the Bundle, the CarePlan read and search), what each refusal answers (an
OperationOutcome), what is audited, and what the export costs in queries."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from tests.factories import GoalFactory, PlanFactory, make_tree
from tests.treatment.fhir_support import check_bundle, signed_plan_world

pytestmark = pytest.mark.django_db

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]
READ = {"owner": 200, "colleague": 404, "supervisor": 200, "practice_admin": 200, "outsider_admin": 404}
NOT_FOUND = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "not-found", "diagnostics": "No TreatmentPlan matches the given query."}],
}
ROUTES = {"bundle": "/api/v1/treatment-plans/{id}/fhir", "read": "/api/v1/fhir/CarePlan/{id}"}


@pytest.fixture
def plan(patient):
    plan = PlanFactory(patient=patient)
    make_tree(plan)
    return plan


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES)
def test_bundle_and_read(api, cast, plan, route, role):
    user = cast[role]
    events = AuditEvent.objects.count()
    response = api.as_(user).get(ROUTES[route].format(id=plan.pk))

    assert response.status_code == READ[role]
    assert response["Content-Type"] == "application/fhir+json"
    new = list(AuditEvent.objects.order_by("seq")[events:].values_list("action", "object_id", "user_id"))
    if READ[role] == 200:
        assert response.json()["resourceType"] == ("Bundle" if route == "bundle" else "CarePlan")
        assert new == [("export", str(plan.pk), user.pk)]
    else:
        assert response.json() == NOT_FOUND
        assert new == [("denied", str(plan.pk), user.pk)]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("id_", ["not-a-plan", "12", "0b7e7d1c-3f0a-4f4e-9a57-5c1d2e3f4a5bx", "7" * 100])
def test_an_id_that_is_no_id_is_a_404_operation_outcome(api, owner, plan, route, id_):
    events = AuditEvent.objects.count()
    response = api.as_(owner).get(ROUTES[route].format(id=id_))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/fhir+json"
    assert response.json() == {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-found", "diagnostics": "Not found."}],
    }
    # A probe all the same: the trail keeps what was asked for, as far as the column holds it.
    new = list(AuditEvent.objects.order_by("seq")[events:].values_list("action", "object_id", "user_id"))
    assert new == [("denied", id_[:64], owner.pk)]


@pytest.mark.parametrize("role", ROLES)
def test_search_finds_only_what_the_caller_may_see(api, cast, plan, role):
    user = cast[role]
    events = AuditEvent.objects.count()
    response = api.as_(user).get(f"/api/v1/fhir/CarePlan?patient={plan.patient_id}")

    # A search answers what matched: nothing, for a caller who may not see the patient (its existence undisclosed).
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    body = response.json()
    assert (body["resourceType"], body["type"]) == ("Bundle", "searchset")
    visible = READ[role] == 200
    assert body["total"] == (1 if visible else 0)
    assert [e["fullUrl"] for e in body["entry"]] == (
        [f"http://testserver/api/v1/fhir/CarePlan/{plan.pk}"] if visible else []
    )
    new = list(AuditEvent.objects.order_by("seq")[events:].values_list("action", "object_id"))
    assert new == ([("export", str(plan.pk))] if visible else [])


@pytest.mark.parametrize("route", [*ROUTES.values(), "/api/v1/fhir/CarePlan?patient={id}"])
def test_unauthenticated_is_a_401_operation_outcome(plan, route):
    events = AuditEvent.objects.count()
    response = APIClient().get(route.format(id=plan.pk))

    assert response.status_code == 401
    assert response["Content-Type"] == "application/fhir+json"
    assert response.json() == {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "error", "code": "login", "diagnostics": "Authentication credentials were not provided."}
        ],
    }
    assert AuditEvent.objects.count() == events


def test_the_routes_are_read_only(api, owner, plan):
    response = api.as_(owner).post(f"/api/v1/treatment-plans/{plan.pk}/fhir", {}, format="json")

    assert response.status_code == 405
    assert response.json() == {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-supported", "diagnostics": 'Method "POST" not allowed.'}],
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [("", "Search CarePlans by patient: ?patient={id}."), ("?patient=12", "Not a patient id.")],
)
def test_search_without_a_patient_is_a_400_naming_it(api, owner, plan, query, message):
    events = AuditEvent.objects.count()
    response = api.as_(owner).get(f"/api/v1/fhir/CarePlan{query}")

    assert response.status_code == 400
    assert response.json() == {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid", "diagnostics": message, "expression": ["patient"]}],
    }
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("route", ["/api/v1/fhir/CarePlan", "/api/v1/treatment-plans/{id}/fhir"])
def test_a_nul_in_a_query_is_a_400_operation_outcome_before_the_view(api, owner, plan, route):
    events = AuditEvent.objects.count()
    response = api.as_(owner).get(route.format(id=plan.pk), {"patient": "a\x00b"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/fhir+json"
    assert response.json() == {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "invalid",
                "diagnostics": "Null characters are not allowed.",
                "expression": ["patient"],
            }
        ],
    }
    assert AuditEvent.objects.count() == events


def test_search_read_and_bundle_give_the_same_careplan(api, owner, patient):
    world = signed_plan_world(owner, patient)
    plan = world["plan"]
    older = PlanFactory(patient=patient, title="Earlier plan", start_date=plan.start_date.replace(year=2025))
    client = api.as_(owner)

    bundle = check_bundle(client.get(f"/api/v1/treatment-plans/{plan.pk}/fhir").json())
    read = client.get(f"/api/v1/fhir/CarePlan/{plan.pk}").json()
    search = client.get(f"/api/v1/fhir/CarePlan?patient=Patient/{patient.pk}").json()

    assert read == bundle[f"CarePlan/{plan.pk}"]
    assert search["total"] == 2
    assert search["link"] == [
        {"relation": "self", "url": f"http://testserver/api/v1/fhir/CarePlan?patient=Patient/{patient.pk}"}
    ]
    assert [(e["fullUrl"], e["search"]) for e in search["entry"]] == [
        (f"http://testserver/api/v1/fhir/CarePlan/{plan.pk}", {"mode": "match"}),
        (f"http://testserver/api/v1/fhir/CarePlan/{older.pk}", {"mode": "match"}),
    ]
    assert search["entry"][0]["resource"] == read


def test_an_unknown_plan_is_a_404_operation_outcome(api, owner):
    response = api.as_(owner).get(f"/api/v1/treatment-plans/{uuid.uuid4()}/fhir")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def grow(plan, n: int) -> None:
    """`n` more long-term goals, each with a short-term goal and an objective driven by the PHQ-9 (amendments of the
    signed plan)."""
    why = {"amendment_reason": "Goals agreed in session"}
    for _ in range(n):
        long_term = GoalFactory(plan=plan, **why)
        short_term = GoalFactory(parent_goal=long_term, goal_type="short_term", **why)
        GoalFactory(
            parent_goal=short_term, goal_type="objective", measure_instrument="phq9", measure_target_score=5, **why
        )


def queries(client, url: str) -> int:
    client.get(url)  # warm the per-process caches (content types, the session)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_export_costs_the_same_queries_for_1_and_10_goal_trees(api, owner, patient):
    world = signed_plan_world(owner, patient)
    client = api.as_(owner)
    url = f"/api/v1/treatment-plans/{world['plan'].pk}/fhir"

    small = queries(client, url)
    grow(world["plan"], 3)
    larger = queries(client, url)

    # The plan, its goals, their interventions, the progress entries, the patient's scores, the signed version's
    # hash; then the audit event (the chain's head, the event).
    assert (small, larger) == (8, 8)


def test_the_schema_documents_the_routes_as_fhir_json():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        "/api/v1/treatment-plans/{plan_id}/fhir": "treatment_plan_fhir_export",
        "/api/v1/fhir/CarePlan": "fhir_careplan_search",
        "/api/v1/fhir/CarePlan/{plan_id}": "fhir_careplan_read",
    }
    outcome = {"$ref": "#/components/schemas/OperationOutcome"}
    for path, operation_id in operations.items():
        operation = schema["paths"][path]["get"]
        assert operation["operationId"] == operation_id
        responses = operation["responses"]
        assert set(responses) == {"200", "400", "401", "403", "404", "429"}
        assert set(responses["200"]["content"]) == {"application/fhir+json"}
        for status in ("400", "401", "403", "404", "429"):
            assert responses[status]["content"] == {"application/fhir+json": {"schema": outcome}}, (path, status)
    search = schema["paths"]["/api/v1/fhir/CarePlan"]["get"]
    assert [(p["name"], p["in"], p["required"]) for p in search["parameters"]] == [("patient", "query", True)]
    assert sorted(schema["components"]["schemas"]["OperationOutcome"]["required"]) == ["issue", "resourceType"]


def test_the_capability_statement_is_public_and_valid(db):
    response = APIClient().get("/api/v1/fhir/metadata")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    body = response.json()
    CapabilityStatement.model_validate(body)
    assert (body["fhirVersion"], body["kind"], body["format"]) == ("4.0.1", "instance", ["application/fhir+json"])
    assert body["implementation"]["url"] == "http://testserver/api/v1/fhir"
    (careplan,) = body["rest"][0]["resource"]
    assert careplan["type"] == "CarePlan"
    assert careplan["interaction"] == [{"code": "read"}, {"code": "search-type"}]
    assert [p["name"] for p in careplan["searchParam"]] == ["patient"]
