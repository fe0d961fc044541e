"""POST /api/v1/patients/{id}/transfer: transfer of care, by a practice admin only."""

import uuid

import pytest

from accounts.models import AuditEvent, Patient, PatientUserObjectPermission, Role
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_supervisor(practice):
    return UserFactory(practice=practice, role=Role.SUPERVISOR, email="supervisor2@riverside.example")


@pytest.fixture
def new_therapist(practice, new_supervisor):
    return UserFactory(practice=practice, supervisor=new_supervisor, email="new@riverside.example")


def transfer(api, user, patient, therapist_id):
    return api.as_(user).post(f"/api/v1/patients/{patient.pk}/transfer", {"therapist_id": therapist_id}, format="json")


def test_transfer_hands_the_patient_to_the_new_therapist(
    api, practice_admin, owner, supervisor, new_therapist, new_supervisor, patient
):
    response = transfer(api, practice_admin, patient, str(new_therapist.pk))

    assert response.status_code == 200, response.content
    assert response.json()["primary_therapist"]["id"] == str(new_therapist.pk)
    assert {m["id"] for m in response.json()["care_team"]} == {str(new_therapist.pk)}
    assert api.as_(owner).get(f"/api/v1/patients/{patient.pk}").status_code == 404
    assert api.as_(supervisor).get(f"/api/v1/patients/{patient.pk}").status_code == 404
    assert api.as_(new_therapist).get(f"/api/v1/patients/{patient.pk}").status_code == 200
    assert (
        api.as_(new_therapist).patch(f"/api/v1/patients/{patient.pk}", {"phone": "1"}, format="json").status_code == 200
    )
    assert api.as_(new_supervisor).get(f"/api/v1/patients/{patient.pk}").status_code == 200
    rows = PatientUserObjectPermission.objects.filter(content_object=patient)
    assert set(rows.values_list("user__email", "permission__codename")) == {
        (new_therapist.email, "view_patient"),
        (new_therapist.email, "change_patient"),
        (new_supervisor.email, "view_patient"),
    }


def test_transfer_keeps_other_care_team_members(api, practice_admin, owner, colleague, new_therapist):
    patient = PatientFactory(primary_therapist=owner, care_team=[colleague])

    transfer(api, practice_admin, patient, str(new_therapist.pk))

    assert set(patient.care_team.all()) == {colleague, new_therapist}
    assert api.as_(colleague).get(f"/api/v1/patients/{patient.pk}").status_code == 200


def test_transfer_is_audited_with_old_and_new_therapist(api, practice_admin, owner, new_therapist, patient):
    transfer(api, practice_admin, patient, str(new_therapist.pk))

    event = AuditEvent.objects.get(action="update", patient=patient, object_type="accounts.patient")
    assert event.user == practice_admin
    assert event.channel == "api"
    assert event.changes == {"primary_therapist": [str(owner.pk), str(new_therapist.pk)]}


@pytest.fixture
def stranger(other_practice):
    return UserFactory(practice=other_practice)


@pytest.mark.parametrize("target", ["unknown", "not-a-uuid", "missing", "stranger", "admin", "owner", "inactive"])
def test_a_bad_therapist_id_is_a_400_and_changes_nothing(
    api, practice, practice_admin, owner, stranger, patient, target
):
    therapist_id = {
        "unknown": str(uuid.uuid4()),
        "not-a-uuid": "nobody",
        "missing": None,
        "stranger": str(stranger.pk),
        "admin": str(practice_admin.pk),
        "owner": str(owner.pk),
        "inactive": str(UserFactory(practice=practice, is_active=False).pk),
    }[target]
    body = {} if therapist_id is None else {"therapist_id": therapist_id}
    grants_before = set(PatientUserObjectPermission.objects.values_list("pk", flat=True))
    events_before = AuditEvent.objects.count()

    response = api.as_(practice_admin).post(f"/api/v1/patients/{patient.pk}/transfer/", body, format="json")

    assert response.status_code == 400
    assert "therapist_id" in response.json()
    assert Patient.objects.get(pk=patient.pk).primary_therapist == owner
    assert set(PatientUserObjectPermission.objects.values_list("pk", flat=True)) == grants_before
    assert AuditEvent.objects.count() == events_before


def test_an_outsider_admin_cannot_transfer_to_their_own_therapist(api, outsider_admin, stranger, owner, patient):
    response = transfer(api, outsider_admin, patient, str(stranger.pk))

    assert response.status_code == 404
    assert Patient.objects.get(pk=patient.pk).primary_therapist == owner


def test_transfer_of_an_unknown_patient_is_a_404(api, practice_admin, new_therapist):
    response = api.as_(practice_admin).post(
        f"/api/v1/patients/{uuid.uuid4()}/transfer", {"therapist_id": str(new_therapist.pk)}, format="json"
    )

    assert response.status_code == 404


def test_transfer_only_answers_post(api, practice_admin, patient):
    assert api.as_(practice_admin).get(f"/api/v1/patients/{patient.pk}/transfer").status_code == 405
