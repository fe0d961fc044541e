"""GET /api/v1/staff and /api/v1/staff/me, and the published OpenAPI schema."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_staff_lists_the_callers_practice_only(api, cast):
    response = api.as_(cast["owner"]).get("/api/v1/staff")

    assert response.status_code == 200
    emails = {row["email"] for row in response.json()["results"]}
    assert emails == {
        "owner@riverside.example",
        "colleague@riverside.example",
        "supervisor@riverside.example",
        "admin@riverside.example",
    }


def test_staff_rows_carry_role_and_supervisor(api, owner, supervisor):
    rows = {row["email"]: row for row in api.as_(supervisor).get("/api/v1/staff").json()["results"]}

    assert rows[owner.email]["supervisor_id"] == str(supervisor.pk)
    assert rows[owner.email]["role"] == "therapist"
    assert rows[supervisor.email]["role"] == "supervisor"
    assert "password" not in rows[owner.email]


def test_staff_me_is_the_caller(api, owner):
    response = api.as_(owner).get("/api/v1/staff/me")

    assert response.status_code == 200
    assert response.json()["id"] == str(owner.pk)
    assert response.json()["practice_id"] == str(owner.practice_id)


def test_another_practices_staff_member_is_a_404(api, owner, outsider_admin):
    assert api.as_(owner).get(f"/api/v1/staff/{outsider_admin.pk}").status_code == 404
    assert api.as_(owner).get(f"/api/v1/staff/{owner.pk}").status_code == 200


def test_staff_is_read_only(api, practice_admin, owner):
    client = api.as_(practice_admin)

    assert client.post("/api/v1/staff", {"email": "x@y.z"}, format="json").status_code == 405
    assert client.patch(f"/api/v1/staff/{owner.pk}", {"role": "supervisor"}, format="json").status_code == 405


def test_staff_needs_authentication():
    assert APIClient().get("/api/v1/staff/me").status_code == 401


def test_openapi_schema_and_docs_are_served(db):
    schema = APIClient().get("/api/schema/")
    docs = APIClient().get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/patients/{patient_id}/transfer:" in schema.content
    assert b"/api/v1/auth/token" in schema.content
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
