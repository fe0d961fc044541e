"""The permission matrix of the patient API: every endpoint x every member of the cast, one test per cell.

Not visible -> 404 (the record's existence is not disclosed); visible but not allowed -> 403.
"""

import pytest
from rest_framework.test import APIClient

from accounts.models import Patient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]

DETAIL_CASES = [
    ("owner", "GET", 200),
    ("colleague", "GET", 404),
    ("supervisor", "GET", 200),
    ("practice_admin", "GET", 200),
    ("outsider_admin", "GET", 404),
    ("owner", "PUT", 200),
    ("colleague", "PUT", 404),
    ("supervisor", "PUT", 403),
    ("practice_admin", "PUT", 200),
    ("outsider_admin", "PUT", 404),
    ("owner", "PATCH", 200),
    ("colleague", "PATCH", 404),
    ("supervisor", "PATCH", 403),
    ("practice_admin", "PATCH", 200),
    ("outsider_admin", "PATCH", 404),
]

TRANSFER_CASES = [
    ("owner", 403),
    ("colleague", 404),
    ("supervisor", 403),
    ("practice_admin", 200),
    ("outsider_admin", 404),
]

LIST_CASES = [
    ("owner", True),
    ("colleague", False),
    ("supervisor", True),
    ("practice_admin", True),
    ("outsider_admin", False),
]


UNAUTHENTICATED_CASES = [
    ("GET", ""),
    ("POST", ""),
    ("GET", "{id}"),
    ("PUT", "{id}"),
    ("PATCH", "{id}"),
    ("POST", "{id}/transfer"),
]


def make_new_therapist(practice):
    return UserFactory(practice=practice, email="new@riverside.example")


@pytest.fixture
def new_therapist(practice):
    return make_new_therapist(practice)


def body_for(method):
    if method == "PUT":
        return {"first_name": "Emma", "last_name": "Carter", "date_of_birth": "1991-04-12", "status": "active"}
    if method == "PATCH":
        return {"first_name": "Emma"}
    return None


def check_patient_detail(api, cast, patient, role, method, expected):
    client = api.as_(cast[role])
    response = getattr(client, method.lower())(f"/api/v1/patients/{patient.pk}", body_for(method), format="json")

    assert response.status_code == expected, response.content
    first_name = Patient.objects.get(pk=patient.pk).first_name
    if method != "GET":
        assert first_name == ("Emma" if expected == 200 else "Emily")
    if expected == 200:
        assert response.json()["id"] == str(patient.pk)


@pytest.mark.parametrize(("role", "method", "expected"), [case for case in DETAIL_CASES if case[1] != "GET"])
def test_patient_detail(api, cast, patient, role, method, expected):
    check_patient_detail(api, cast, patient, role, method, expected)


@pytest.mark.parametrize(("role", "expected"), TRANSFER_CASES)
def test_patient_transfer(api, cast, patient, new_therapist, role, expected):
    response = api.as_(cast[role]).post(
        f"/api/v1/patients/{patient.pk}/transfer", {"therapist_id": str(new_therapist.pk)}, format="json"
    )

    assert response.status_code == expected, response.content
    therapist = Patient.objects.get(pk=patient.pk).primary_therapist
    assert therapist == (new_therapist if expected == 200 else cast["owner"])


def check_unauthenticated(patient, new_therapist, method, suffix):
    body = {
        "first_name": "Emma",
        "last_name": "X",
        "date_of_birth": "1990-01-01",
        "therapist_id": str(new_therapist.pk),
    }
    url = "/api/v1/patients/" + suffix.format(id=patient.pk)

    response = getattr(APIClient(), method.lower())(url, body, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert list(Patient.objects.values_list("first_name", "primary_therapist")) == [
        ("Emily", patient.primary_therapist_id)
    ]


@pytest.mark.parametrize(("method", "suffix"), [case for case in UNAUTHENTICATED_CASES if case[0] != "GET"])
def test_unauthenticated_gets_401_and_changes_nothing(patient, new_therapist, method, suffix):
    check_unauthenticated(patient, new_therapist, method, suffix)


class TestReads:
    """The cells that only read, on one cast built once for them all (`shared_cast`, tests/conftest.py), each in a
    savepoint of the class's transaction."""

    @pytest.fixture(scope="class")
    @classmethod
    def shared_data(cls, shared_cast):
        c = shared_cast
        return {"cast": c["cast"], "patient": c["patient"], "new_therapist": make_new_therapist(c["practice"])}

    @pytest.fixture
    def cast(self, shared):
        return shared["cast"]

    @pytest.fixture
    def patient(self, shared):
        return shared["patient"]

    @pytest.fixture
    def new_therapist(self, shared):
        return shared["new_therapist"]

    @pytest.mark.parametrize(("role", "method", "expected"), [case for case in DETAIL_CASES if case[1] == "GET"])
    def test_patient_detail(self, api, cast, patient, role, method, expected):
        check_patient_detail(api, cast, patient, role, method, expected)

    @pytest.mark.parametrize(("role", "listed"), LIST_CASES)
    def test_patient_list(self, api, cast, patient, role, listed):
        response = api.as_(cast[role]).get("/api/v1/patients")

        assert response.status_code == 200
        ids = [row["id"] for row in response.json()["results"]]
        assert (str(patient.pk) in ids) is listed

    @pytest.mark.parametrize(("method", "suffix"), [case for case in UNAUTHENTICATED_CASES if case[0] == "GET"])
    def test_unauthenticated_gets_401_and_changes_nothing(self, patient, new_therapist, method, suffix):
        check_unauthenticated(patient, new_therapist, method, suffix)
