"""The patients list, built from rows (`accounts.api.patient_rows`) and written by orjson (`accounts.api.renderers`),
answers byte for byte what `PatientSerializer` under DRF's JSON renderer answers, for the same query a bounded
number of times.

The reference is computed here from the serializer the schema comes from, over the patients the caller may view
with their primary therapist and care team loaded as the patient detail loads them. The practice holds a patient
without a primary therapist, one with no care team, one whose care team has two clinicians of the same name
(ordered by email then), and text needing JSON escapes.
"""

import datetime

import pytest
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from accounts.api.serializers import PatientSerializer
from accounts.models import AuditEvent, Patient
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

#: Characters JSON writes escaped (quotes, backslashes, control characters, JavaScript's line separators) and
#: characters it writes as they are (accents, emoji, U+007F).
AWKWARD = 'Say "no" \\ tab\there\nnew line \x01\x1f \u2028 \u2029 é ü 漢字 🙂 \x7f'


def _reference(client, url: str, viewer) -> bytes:
    """The list's page as the serializer writes it, under DRF's JSON renderer."""
    body = client.get(url).json()
    request = APIRequestFactory().get(url)
    patients = (
        Patient.objects.restrict(viewer, "view").select_related("primary_therapist").prefetch_related("care_team")
    )
    page = [patients.get(pk=row["id"]) for row in body["results"]]
    results = PatientSerializer(page, many=True, context={"request": request}).data
    return JSONRenderer().render({**body, "results": results})


@pytest.fixture
def practice_patients(practice, owner, colleague):
    twin_a = UserFactory(practice=practice, full_name="Alex Same", email="b-same@clinic.example")
    twin_b = UserFactory(practice=practice, full_name="Alex Same", email="a-same@clinic.example")
    awkward = PatientFactory(
        primary_therapist=owner,
        care_team=[colleague, twin_a, twin_b],
        first_name=f"Ann {AWKWARD}",
        last_name="Able",
        preferred_name=AWKWARD,
        address=AWKWARD,
        emergency_contact=AWKWARD,
        external_id="MRN-1",
        email="ann@example.org",
        phone="+1 555 0100",
        date_of_birth=datetime.date(1980, 2, 29),
    )
    alone = PatientFactory(primary_therapist=colleague, first_name="Ben", last_name="Baker", status="inactive")
    orphan = PatientFactory(practice=practice, primary_therapist=None, first_name="Cy", last_name="Cole")
    return [awkward, alone, orphan]


def test_the_list_is_the_serializers_answer_byte_for_byte(api, practice_admin, practice_patients):
    client = api.as_(practice_admin)
    for url in ["/api/v1/patients", "/api/v1/patients?page_size=2", "/api/v1/patients?page_size=2&page=2"]:
        response = client.get(url)
        assert response.status_code == 200
        assert response.content == _reference(client, url, practice_admin), url
    body = client.get("/api/v1/patients").json()
    assert [row["last_name"] for row in body["results"]] == ["Able", "Baker", "Cole"]
    # Two clinicians of one name come in the order of their emails (the others' names are the factory's, random).
    twins = [m["email"] for m in body["results"][0]["care_team"] if m["email"].endswith("-same@clinic.example")]
    assert twins == ["a-same@clinic.example", "b-same@clinic.example"]
    assert body["results"][2]["primary_therapist"] is None


def test_a_therapist_lists_only_their_patients_each_audited(api, owner, practice_patients):
    client = api.as_(owner)
    url = "/api/v1/patients"
    response = client.get(url)
    viewed = AuditEvent.objects.filter(user=owner, action=AuditEvent.Action.VIEW, object_type="accounts.patient")
    assert [event.patient_id for event in viewed] == [practice_patients[0].pk]
    assert [row["last_name"] for row in response.json()["results"]] == ["Able"]
    assert response.content == _reference(client, url, owner)


def test_the_list_costs_the_same_for_2_and_20_patients(
    api, practice, practice_admin, owner, colleague, django_assert_max_num_queries, django_assert_num_queries
):
    client = api.as_(practice_admin)
    for i in range(2):
        PatientFactory(primary_therapist=owner, care_team=[colleague], last_name=f"Small {i}")
    client.get("/api/v1/patients")  # warm the per-process caches (content types)

    # The count, the page (with primary therapists), the care teams, the audit append (the chain's end, the INSERT).
    with django_assert_max_num_queries(5) as small:
        assert client.get("/api/v1/patients").json()["count"] == 2

    for i in range(18):
        # Two therapists and care teams of two, so neither is one cached row.
        therapist, member = (owner, colleague) if i % 2 else (colleague, owner)
        PatientFactory(
            primary_therapist=therapist, care_team=[member, UserFactory(practice=practice)], last_name=f"L {i}"
        )
    with django_assert_num_queries(len(small.captured_queries)):
        body = client.get("/api/v1/patients?page_size=50").json()
    assert body["count"] == 20
    assert all(row["care_team"] for row in body["results"])
