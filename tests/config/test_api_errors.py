"""Every API error is JSON in the API's error shape, 500 included; pages keep their HTML error pages (issue 10).

Bodies too deep or too large are refused before any view runs, on every endpoint, the unauthenticated token
endpoint included; an exception nobody caught is a 500 with `{"detail": ...}` on /api/ (no traceback, nothing
from the request); unknown API URLs are a JSON 404. The schema documents the errors each operation answers.
"""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from drf_spectacular.generators import SchemaGenerator

from accounts import errors, middleware
from accounts.api.views import StaffViewSet
from accounts.views import PatientListView
from treatment.models import TreatmentPlan

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
TOO_DEEP = {"detail": "JSON parse error - nested deeper than 32 levels."}
SERVER_ERROR = {"detail": "A server error occurred."}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def is_json(response) -> bool:
    return response["Content-Type"] == "application/json"


def plans_url(patient):
    return f"/api/v1/patients/{patient.pk}/treatment-plans"


@pytest.fixture
def unraised(client):
    """A test client that answers a view's exception as the server would (the 500 handler), not re-raising it."""
    client.raise_request_exception = False
    return client


# --- bodies refused before any view ------------------------------------------------------------------


def test_a_body_nested_100000_deep_on_the_token_endpoint_is_a_json_400(client):
    response = client.post(TOKEN_URL, nested(100_000), content_type="application/json")

    assert response.status_code == 400
    assert is_json(response)
    assert response.json() == TOO_DEEP


def test_a_body_nested_100000_deep_on_a_plan_endpoint_is_a_json_400(api, owner, patient):
    response = api.as_(owner).post(plans_url(patient), nested(100_000), content_type="application/json")

    assert response.status_code == 400
    assert response.json() == TOO_DEEP
    assert not TreatmentPlan.objects.exists()


def test_33_levels_are_too_deep_and_32_are_parsed(client):
    too_deep = client.post(TOKEN_URL, nested(33), content_type="application/json")
    deepest = client.post(TOKEN_URL, nested(32), content_type="application/json")

    assert too_deep.status_code == 400
    assert too_deep.json() == TOO_DEEP
    assert deepest.status_code == 400
    assert deepest.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_brackets_inside_a_string_are_not_depth(client):
    body = json.dumps({"email": "[" * 1000, "password": "x"})

    response = client.post(TOKEN_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"email": ["Enter a valid email address."]}


def test_a_body_larger_than_the_limit_is_a_json_400_on_the_api(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"email": "a@b.example", "password": "x" * 2000})

    response = client.post(TOKEN_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert is_json(response)
    assert response.json() == {"detail": "The request body is larger than 1024 bytes."}


def test_a_page_body_larger_than_the_limit_is_the_html_400(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = client.post("/accounts/login/", {"username": "a@b.example", "password": "x" * 2000})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_body_that_is_not_json_is_a_json_415(api, owner, patient):
    response = api.as_(owner).post(plans_url(patient), "title=x", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json() == {"detail": 'Unsupported media type "application/x-www-form-urlencoded" in request.'}


def test_json_that_does_not_parse_is_a_json_400(client):
    response = client.post(TOKEN_URL, '{"email": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - Expecting value: line 1 column 11 (char 10)"}


def test_too_many_query_parameters_are_a_json_400(api, owner, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5

    response = api.as_(owner).get("/api/v1/patients?" + "&".join(f"p{n}=1" for n in range(10)))

    assert response.status_code == 400
    assert response.json() == {"detail": "The request sends too many parameters."}


# --- 500s and 404s ---------------------------------------------------------------------------------


def test_an_exception_in_an_api_view_is_a_json_500(unraised, owner, monkeypatch):
    def broken(self, request):
        raise RuntimeError("Emily Carter's note")

    monkeypatch.setattr(StaffViewSet, "me", broken)
    unraised.force_login(owner)

    response = unraised.get("/api/v1/staff/me")

    assert response.status_code == 500
    assert is_json(response)
    assert response.json() == SERVER_ERROR


def test_an_exception_outside_any_view_on_an_api_path_is_a_json_500(unraised, monkeypatch):
    def broken(request):
        raise RuntimeError("in a middleware")

    monkeypatch.setattr(middleware, "_body_refusal", broken)

    response = unraised.post(TOKEN_URL, "{}", content_type="application/json")

    assert response.status_code == 500
    assert response.json() == SERVER_ERROR


def test_an_exception_in_a_page_is_the_html_500_page(unraised, owner, monkeypatch):
    def broken(self):
        raise RuntimeError("Emily Carter's note")

    monkeypatch.setattr(PatientListView, "get_queryset", broken)
    unraised.force_login(owner)

    response = unraised.get("/patients/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "<h1>Something went wrong</h1>" in response.content.decode()
    assert "Emily Carter" not in response.content.decode()


def test_an_unknown_api_url_is_a_json_404(api, owner):
    signed_out = Client().get("/api/v1/nope")
    signed_in = api.as_(owner).post("/api/v1/nope/deeper", {"x": 1}, format="json")

    assert signed_out.status_code == 404
    assert is_json(signed_out)
    assert signed_out.json() == {"detail": "Not found."}
    assert signed_in.status_code == 404
    assert signed_in.json() == {"detail": "Not found."}


def test_an_unknown_page_is_the_html_404_page(client, owner):
    client.force_login(owner)

    response = client.get("/nope/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "<h1>Not found</h1>" in response.content.decode()


def test_a_403_outside_drf_is_json_on_the_api_and_the_page_elsewhere(owner):
    api_request = RequestFactory().get("/api/v1/patients")
    page_request = RequestFactory().get("/patients/")
    page_request.user = owner

    api = errors.permission_denied(api_request, PermissionDenied("Emily Carter"))
    page = errors.permission_denied(page_request, PermissionDenied("Emily Carter"))

    assert api.status_code == 403
    assert json.loads(api.content) == {"detail": "You do not have permission to perform this action."}
    assert page.status_code == 403
    assert page["Content-Type"].startswith("text/html")


# --- the schema says so ----------------------------------------------------------------------------


def test_every_operation_documents_its_errors_in_the_error_shape():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 50
    for path, method, operation in operations:
        responses = operation["responses"]
        if {} not in operation.get("security", [{}]):  # signing in and the FHIR capability statement are public
            assert {"401", "403", "429"} <= set(responses), (path, method)
        assert "429" in responses, (path, method)
        if "{" in path:
            content = responses["404"]["content"]
            if "application/fhir+json" in content:  # the FHIR routes answer OperationOutcome
                assert content["application/fhir+json"]["schema"] == {"$ref": "#/components/schemas/OperationOutcome"}
            else:
                assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        if method in ("post", "put", "patch"):
            assert "400" in responses, (path, method)
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                assert parameter["allowEmptyValue"] is True, (path, method, parameter["name"])
    assert "detail" in schema["components"]["schemas"]["Error"]["properties"]
    token = schema["paths"]["/api/v1/auth/token"]["post"]
    assert set(token["requestBody"]["content"]) == {"application/json"}
    assert {"415", "429"} <= set(token["responses"])
