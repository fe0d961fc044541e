"""The OpenAPI schema is one a generated client can use as it is (issue 18): JSON bodies only, one error model
declared by what each operation is, null typed where a value may be null, each path once with its parameters
named as the spec names them, stable operationIds. tests/client/run.sh generates the client itself; every
response the suite receives is checked against this schema (tests/schema_check.py)."""

import re
from types import SimpleNamespace

import pytest
from django.http import JsonResponse
from drf_spectacular.generators import SchemaGenerator
from rest_framework import viewsets

from accounts.api.routers import OptionalSlashRouter
from accounts.models import Patient
from tests import schema_check

METHODS = ("get", "post", "put", "patch", "delete")
OPERATION_ID = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
#: Path parameters that are not a record's id: an ICD-10-CM code, an instrument's code, a version's number.
NOT_IDS = {"code", "number"}
SPEC_PATHS = {
    "/api/v1/patients/{patient_id}/treatment-plans": {"get", "post"},
    "/api/v1/treatment-plans/{plan_id}": {"get", "put"},
    "/api/v1/treatment-plans/{plan_id}/review": {"post"},
    "/api/v1/treatment-plans/{plan_id}/goals": {"post"},
    "/api/v1/goals/{goal_id}": {"put"},
    "/api/v1/goals/{goal_id}/progress": {"post"},
    "/api/v1/goals/{goal_id}/history": {"get"},
    "/api/v1/interventions": {"get", "post"},
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_schema_is_openapi_3_1_with_null_as_a_type(schema):
    assert schema["openapi"] == "3.1.0"
    assert "'nullable'" not in str(schema)


def test_the_cases_the_issue_names_are_typed_right(schema):
    components = schema["components"]["schemas"]

    assert components["Staff"]["properties"]["supervisor_id"]["type"] == ["string", "null"]
    assert components["Patient"]["properties"]["email"]["anyOf"] == [
        {"type": "string", "format": "email", "maxLength": 254},
        {"type": "string", "maxLength": 0},
    ]
    assert components["PlanReview"]["properties"]["cosigned_by"]["oneOf"] == [
        {"$ref": "#/components/schemas/StaffName"},
        {"type": "null"},
    ]
    for name in ("Plan", "PlanDetail"):
        assert components[name]["properties"]["presenting_problems"]["type"] == "array"
        assert components[name]["properties"]["presenting_problems"]["items"] == {"type": "string"}
        assert components[name]["properties"]["measure_instruments"]["items"] == {"type": "string"}
    for name in ("PaginatedPlanList", "PaginatedStaffList"):
        assert components[name]["properties"]["next"]["type"] == ["string", "null"]


def test_every_request_body_is_json_only(schema):
    bodies = [(path, method, op["requestBody"]) for path, method, op in operations(schema) if "requestBody" in op]

    assert len(bodies) > 25
    for path, method, body in bodies:
        assert set(body["content"]) == {"application/json"}, (path, method)


def test_each_path_is_listed_once_without_its_trailing_slash(schema):
    paths = list(schema["paths"])

    assert all(not path.endswith("/") for path in paths)
    assert len({path.lower() for path in paths}) == len(paths)


def test_path_parameters_are_named_as_the_spec_names_them(schema):
    for path, method in {(p, m) for p, ms in SPEC_PATHS.items() for m in ms}:
        assert method in schema["paths"][path], (path, method)
    for path, method, operation in operations(schema):
        in_path = re.findall(r"\{([^}]+)\}", path)
        declared = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        assert sorted(in_path) == sorted(declared), (path, method)
        for name in in_path:
            assert name.endswith("_id") or name in NOT_IDS, (path, name)


def test_a_viewset_without_its_own_lookup_name_gets_its_basename_id():
    class TemplateViewSet(viewsets.ReadOnlyModelViewSet):
        queryset = Patient.objects.none()

    class NamedViewSet(viewsets.ReadOnlyModelViewSet):
        queryset = Patient.objects.none()
        lookup_url_kwarg = "patient_id"

    router = OptionalSlashRouter()
    router.register("plan-templates", TemplateViewSet, basename="plan-template")
    router.register("named", NamedViewSet, basename="named")

    patterns = [str(url.pattern) for url in router.urls]
    assert TemplateViewSet.lookup_url_kwarg == "plan_template_id"
    assert "^plan-templates/(?P<plan_template_id>[^/.]+)/?$" in patterns
    assert "^named/(?P<patient_id>[^/.]+)/?$" in patterns


def test_operation_ids_are_unique_and_readable(schema):
    ids = [operation["operationId"] for _, _, operation in operations(schema)]

    assert len(ids) == len(set(ids))
    assert all(OPERATION_ID.fullmatch(operation_id) for operation_id in ids), ids
    by_path = {(path, method): op["operationId"] for path, method, op in operations(schema)}
    assert by_path[("/api/v1/treatment-plans/{plan_id}", "get")] == "treatment_plans_retrieve"
    assert by_path[("/api/v1/patients/{patient_id}/treatment-plans", "post")] == "patients_treatment_plans_create"
    assert by_path[("/api/v1/goals/{goal_id}/progress", "post")] == "goals_progress_create"


def test_errors_are_declared_by_what_each_operation_is(schema):
    error = {"$ref": "#/components/schemas/Error"}
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        where = (path, method)
        if "{" in path:
            content = responses["404"]["content"]
            if "application/fhir+json" in content:  # the FHIR routes answer an OperationOutcome
                assert content["application/fhir+json"]["schema"] == {"$ref": "#/components/schemas/OperationOutcome"}
            else:
                assert content["application/json"]["schema"] == error, where
        if method in ("post", "put", "patch"):
            assert responses["400"]["content"]["application/json"]["schema"] == error, where
        if "requestBody" in operation:
            assert "415" in responses, where
        if any(p["in"] == "header" and p["name"] == "If-Match" for p in operation.get("parameters", [])):
            assert responses["412"]["content"]["application/json"]["schema"] == error, where
        assert "Retry-After" in responses["429"]["headers"], where
        if operation.get("security") and {} not in operation["security"]:
            assert {"401", "403"} <= set(responses), where
    plan = schema["paths"]["/api/v1/treatment-plans/{plan_id}"]
    assert set(plan["put"]["responses"]) == {"200", "400", "401", "403", "404", "409", "412", "415", "429"}
    assert set(plan["get"]["responses"]) == {"200", "401", "403", "404", "429"}
    assert set(schema["paths"]["/api/v1/staff/me"]["get"]["responses"]) == {"200", "401", "403", "429"}
    assert set(schema["paths"]["/api/v1/auth/token"]["post"]["responses"]) == {"200", "400", "401", "403", "415", "429"}


def test_the_error_model_holds_the_field_errors_and_the_detail(schema):
    error = schema["components"]["schemas"]["Error"]

    assert set(error["properties"]) == {"detail", "code", "non_field_errors"}
    assert "required" not in error
    assert "additionalProperties" in error


# --- the check every API response of the suite goes through ------------------------------------------------


def test_the_response_check_refuses_a_status_the_operation_does_not_declare(db):
    with pytest.raises(schema_check.SchemaDrift, match=r"declares only \['200', '401', '403', '429'\]"):
        schema_check.check("GET", "/api/v1/staff/me", JsonResponse({"detail": "x"}, status=404))


def test_the_response_check_refuses_a_body_that_does_not_match(db):
    body = JsonResponse({"id": "not-a-uuid", "email": 3}, status=200)

    with pytest.raises(schema_check.SchemaDrift, match="the body does not match the schema"):
        schema_check.check("GET", "/api/v1/staff/me", body)


def test_the_response_check_wants_the_error_shape_where_no_operation_is(db):
    schema_check.check("GET", "/api/v1/no-such-thing", JsonResponse({"detail": "Not found."}, status=404))
    with pytest.raises(schema_check.SchemaDrift, match="no operation DELETE"):
        schema_check.check("DELETE", "/api/v1/staff/me", JsonResponse({"detail": ["not a string"]}, status=405))


def test_the_response_check_leaves_pages_alone(db):
    schema_check.check("GET", "/patients/", SimpleNamespace(status_code=599))


def test_a_multipart_body_to_the_api_is_a_415_in_the_error_shape(api, owner, patient):
    response = api.as_(owner).post(f"/api/v1/patients/{patient.pk}/treatment-plans", {"title": "x"}, format="multipart")

    assert response.status_code == 415
    assert response.json()["detail"].startswith('Unsupported media type "multipart/form-data; boundary=')
