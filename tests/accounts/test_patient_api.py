"""Creating, reading, listing and updating patients through /api/v1/patients."""

import uuid

import pytest

from accounts.models import AuditEvent, CareTeamMembership, Patient, PatientUserObjectPermission
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/patients"


def new_patient(**overrides):
    return {"first_name": "Noah", "last_name": "Fischer", "date_of_birth": "1988-02-14", **overrides}


def grants(patient_id):
    rows = PatientUserObjectPermission.objects.filter(content_object_id=patient_id)
    return set(rows.values_list("user__email", "permission__codename"))


def written():
    return (
        Patient.objects.count(),
        AuditEvent.objects.count(),
        CareTeamMembership.objects.count(),
        PatientUserObjectPermission.objects.count(),
    )


def test_a_therapist_who_creates_a_patient_becomes_primary_and_their_supervisor_can_view(
    api, owner, supervisor, colleague
):
    response = api.as_(owner).post(URL, new_patient(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    uuid.UUID(body["id"])
    assert body["primary_therapist"]["id"] == str(owner.pk)
    assert body["practice_id"] == str(owner.practice_id)
    assert grants(body["id"]) == {
        (owner.email, "view_patient"),
        (owner.email, "change_patient"),
        (supervisor.email, "view_patient"),
    }
    assert api.as_(supervisor).get(f"{URL}/{body['id']}").status_code == 200
    assert api.as_(colleague).get(f"{URL}/{body['id']}").status_code == 404


def test_a_therapist_may_name_themselves_as_primary(api, owner):
    response = api.as_(owner).post(URL, new_patient(primary_therapist_id=str(owner.pk)), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["primary_therapist"]["id"] == str(owner.pk)


def test_a_practice_admin_creates_a_patient_for_a_therapist(api, practice_admin, colleague):
    response = api.as_(practice_admin).post(URL, new_patient(primary_therapist_id=str(colleague.pk)), format="json")

    assert response.status_code == 201, response.content
    patient_id = response.json()["id"]
    assert Patient.objects.get(pk=patient_id).primary_therapist == colleague
    assert grants(patient_id) == {(colleague.email, "view_patient"), (colleague.email, "change_patient")}
    assert api.as_(colleague).get(f"{URL}/{patient_id}").status_code == 200


def test_a_therapist_cannot_assign_a_patient_to_someone_else(api, owner, colleague):
    before = written()

    response = api.as_(owner).post(URL, new_patient(primary_therapist_id=str(colleague.pk)), format="json")

    assert response.status_code == 400
    assert "primary_therapist_id" in response.json()
    assert written() == before


@pytest.fixture
def stranger(other_practice):
    return UserFactory(practice=other_practice, email="nguyen@harbor.example")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"first_name": None}, "first_name"),
        ({"first_name": ""}, "first_name"),
        ({"date_of_birth": "12/31/1990"}, "date_of_birth"),
        ({"date_of_birth": "1990-02-30"}, "date_of_birth"),
        ({"status": "deceased"}, "status"),
        ({"care_team_ids": ["UNKNOWN"]}, "care_team_ids"),
        ({"care_team_ids": ["STRANGER"]}, "care_team_ids"),
        ({"primary_therapist_id": "STRANGER"}, "primary_therapist_id"),
        ({"email": "not-an-email"}, "email"),
    ],
)
@pytest.mark.parametrize("role", ["owner", "practice_admin"])
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api, cast, stranger, role, overrides, field):
    ids = {"UNKNOWN": str(uuid.uuid4()), "STRANGER": str(stranger.pk)}
    body = new_patient()
    for key, value in overrides.items():
        if value is None:
            del body[key]
        elif isinstance(value, list):
            body[key] = [ids[v] for v in value]
        else:
            body[key] = ids.get(value, value)
    before = written()

    response = api.as_(cast[role]).post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert written() == before


def test_a_second_patient_with_the_same_mrn_is_a_400_on_external_id(api, owner, patient):
    Patient.objects.filter(pk=patient.pk).update(external_id="RCC-1")
    before = written()

    response = api.as_(owner).post(URL, new_patient(external_id="RCC-1"), format="json")

    assert response.status_code == 400
    assert "external_id" in response.json()
    assert written() == before


@pytest.mark.parametrize("field", ["care_team_ids", "primary_therapist_id"])
def test_a_practice_admin_cannot_treat_a_patient(api, practice_admin, field):
    value = str(practice_admin.pk)
    before = written()

    response = api.as_(practice_admin).post(
        URL, new_patient(**{field: [value] if field == "care_team_ids" else value}), format="json"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert written() == before


def test_retrieve_shows_the_care_team(api, owner, colleague):
    patient = PatientFactory(primary_therapist=owner, care_team=[colleague], external_id="RCC-7")

    body = api.as_(owner).get(f"{URL}/{patient.pk}/").json()

    assert body["external_id"] == "RCC-7"
    assert body["date_of_birth"] == "1990-05-17"
    assert {member["id"] for member in body["care_team"]} == {str(owner.pk), str(colleague.pk)}
    assert "care_team_ids" not in body
    assert "primary_therapist_id" not in body


def test_an_id_that_is_not_a_uuid_is_a_404(api, owner):
    assert api.as_(owner).get(f"{URL}/123").status_code == 404


def test_patch_changes_only_the_fields_sent(api, owner, patient):
    response = api.as_(owner).patch(f"{URL}/{patient.pk}", {"preferred_name": "Em"}, format="json")

    assert response.status_code == 200
    patient.refresh_from_db()
    assert (patient.first_name, patient.preferred_name) == ("Emily", "Em")
    assert response.json()["preferred_name"] == "Em"


def test_put_replaces_the_demographics(api, owner, patient):
    body = new_patient(status="discharged", phone="555-0100")

    response = api.as_(owner).put(f"{URL}/{patient.pk}/", body, format="json")

    assert response.status_code == 200, response.content
    patient.refresh_from_db()
    assert (patient.first_name, patient.status, patient.phone) == ("Noah", "discharged", "555-0100")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date_of_birth": "soon"}, "date_of_birth"),
        ({"status": "gone"}, "status"),
        ({"first_name": ""}, "first_name"),
        ({"care_team_ids": ["UNKNOWN"]}, "care_team_ids"),
    ],
)
def test_a_bad_patch_is_a_400_and_writes_nothing(api, owner, patient, body, field):
    body = {k: ([str(uuid.uuid4())] if v == ["UNKNOWN"] else v) for k, v in body.items()}
    before = written()

    response = api.as_(owner).patch(f"{URL}/{patient.pk}", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert written() == before
    patient.refresh_from_db()
    assert (patient.first_name, patient.status) == ("Emily", "active")


def test_the_primary_therapist_is_not_changed_by_patch(api, practice_admin, colleague, owner, patient):
    response = api.as_(practice_admin).patch(
        f"{URL}/{patient.pk}", {"primary_therapist_id": str(colleague.pk)}, format="json"
    )

    assert response.status_code == 400
    assert "primary_therapist_id" in response.json()
    patient.refresh_from_db()
    assert patient.primary_therapist == owner


def test_a_care_team_member_added_by_patch_can_view_and_change_until_removed(api, owner, colleague, patient):
    added = api.as_(owner).patch(f"{URL}/{patient.pk}", {"care_team_ids": [str(colleague.pk)]}, format="json")
    assert added.status_code == 200
    assert {m["id"] for m in added.json()["care_team"]} == {str(owner.pk), str(colleague.pk)}

    assert api.as_(colleague).get(f"{URL}/{patient.pk}").status_code == 200
    assert api.as_(colleague).patch(f"{URL}/{patient.pk}", {"phone": "555-0199"}, format="json").status_code == 200

    removed = api.as_(owner).patch(f"{URL}/{patient.pk}", {"care_team_ids": []}, format="json")
    assert removed.status_code == 200
    assert [m["id"] for m in removed.json()["care_team"]] == [str(owner.pk)]
    assert api.as_(colleague).get(f"{URL}/{patient.pk}").status_code == 404


def test_a_care_team_member_from_the_factory_can_view_and_change(api, owner, colleague):
    patient = PatientFactory(primary_therapist=owner, care_team=[colleague])

    assert api.as_(colleague).get(f"{URL}/{patient.pk}").status_code == 200
    assert api.as_(colleague).patch(f"{URL}/{patient.pk}", {"phone": "555"}, format="json").status_code == 200


def test_list_is_paginated_by_page_number(api, owner):
    for name in ("Adams", "Baker", "Clark"):
        PatientFactory(primary_therapist=owner, last_name=name)

    first = api.as_(owner).get(URL, {"page_size": 2}).json()
    second = api.as_(owner).get(first["next"]).json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 3
    assert first["previous"] is None
    assert [row["last_name"] for row in first["results"]] == ["Adams", "Baker"]
    assert "page=2" in first["next"]
    assert [row["last_name"] for row in second["results"]] == ["Clark"]
    assert second["next"] is None
    assert second["previous"] is not None


def test_list_filters_by_status_and_search(api, owner):
    PatientFactory(primary_therapist=owner, first_name="Grace", last_name="Okafor", status="discharged")
    PatientFactory(primary_therapist=owner, first_name="Daniel", last_name="Kim", external_id="RCC-1004")

    def names(**params):
        return [row["last_name"] for row in api.as_(owner).get(URL, params).json()["results"]]

    assert names(status="discharged") == ["Okafor"]
    assert names(search="rcc-1004") == ["Kim"]
    assert names(search="grace okafor") == ["Okafor"]
    assert names() == ["Kim", "Okafor"]
