"""Every read and write of patient data leaves an audit event: who, when, what, which patient, from where."""

import pytest

from accounts.models import AuditEvent
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

CLIENT = {"REMOTE_ADDR": "203.0.113.9", "HTTP_USER_AGENT": "TrellisTest/1.0"}


@pytest.fixture
def events(patient):
    """Only events recorded after the fixtures' own writes (the factory's create event)."""
    already = set(AuditEvent.objects.values_list("pk", flat=True))

    def new():
        return list(AuditEvent.objects.exclude(pk__in=already).order_by("occurred_at"))

    return new


def assert_view_of(event, user, patient, channel, path):
    assert event.user == user
    assert event.user_email == user.email
    assert event.action == "view"
    assert event.channel == channel
    assert event.object_type == "accounts.patient"
    assert event.object_id == str(patient.pk)
    assert event.patient == patient
    assert event.practice == patient.practice
    assert event.ip_address == "203.0.113.9"
    assert event.user_agent == "TrellisTest/1.0"
    assert event.path == path
    assert event.occurred_at is not None


def test_api_retrieve_records_a_view(api, owner, patient, events):
    url = f"/api/v1/patients/{patient.pk}"
    api.as_(owner).get(url, **CLIENT)

    [event] = events()
    assert_view_of(event, owner, patient, "api", url)


def test_api_list_records_one_view_per_listed_patient(api, owner, patient, events):
    others = [PatientFactory(primary_therapist=owner, last_name=name) for name in ("Adams", "Zorn")]
    already_listed = {str(p.pk) for p in [patient, *others]}
    events_before = events()

    api.as_(owner).get("/api/v1/patients", **CLIENT)

    new = [e for e in events() if e not in events_before]
    assert sorted(e.object_id for e in new) == sorted(already_listed)
    assert {(e.action, e.channel, e.user_id, e.ip_address) for e in new} == {("view", "api", owner.pk, "203.0.113.9")}


def test_api_list_records_only_the_page_shown(api, owner, patient, events):
    PatientFactory(primary_therapist=owner, last_name="Adams")
    before = len(events())

    response = api.as_(owner).get("/api/v1/patients", {"page_size": 1})

    [shown] = response.json()["results"]
    new = events()[before:]
    assert [e.object_id for e in new] == [shown["id"]]


def test_api_create_records_a_create_with_the_values(api, owner):
    response = api.as_(owner).post(
        "/api/v1/patients", {"first_name": "Noah", "last_name": "Fischer", "date_of_birth": "1988-02-14"}, **CLIENT
    )

    event = AuditEvent.objects.get(action="create")
    assert event.object_id == response.json()["id"]
    assert event.channel == "api"
    assert event.user == owner
    assert event.ip_address == "203.0.113.9"
    assert event.changes["first_name"] == [None, "Noah"]
    assert event.changes["date_of_birth"] == [None, "1988-02-14"]


def test_api_patch_records_old_and_new_values(api, owner, patient, events):
    api.as_(owner).patch(f"/api/v1/patients/{patient.pk}", {"first_name": "Emma", "phone": "555"}, **CLIENT)

    [event] = events()
    assert (event.action, event.channel, event.user, event.patient) == ("update", "api", owner, patient)
    assert event.changes == {"first_name": ["Emily", "Emma"], "phone": ["", "555"]}
    assert event.user_agent == "TrellisTest/1.0"


def test_a_patch_that_changes_nothing_records_no_update(api, owner, patient, events):
    api.as_(owner).patch(f"/api/v1/patients/{patient.pk}", {"first_name": "Emily"})

    assert [e.action for e in events()] == []


def test_a_refused_request_records_only_the_refusal(api, colleague, supervisor, patient, events):
    api.as_(colleague).get(f"/api/v1/patients/{patient.pk}")
    api.as_(supervisor).patch(f"/api/v1/patients/{patient.pk}", {"first_name": "Emma"})

    assert [(e.action, e.user, e.changes["status"]) for e in events()] == [
        ("denied", colleague, 404),
        ("denied", supervisor, 403),
    ]


def test_page_detail_records_a_web_view(client, owner, patient, events):
    client.force_login(owner)
    url = f"/patients/{patient.pk}/"

    client.get(url, **CLIENT)

    [event] = events()
    assert_view_of(event, owner, patient, "web", url)


def test_page_list_records_a_view_per_row(client, supervisor, patient, events):
    other = PatientFactory(primary_therapist=patient.primary_therapist)
    before = len(events())
    client.force_login(supervisor)

    client.get("/patients/", **CLIENT)

    new = events()[before:]
    assert sorted(e.object_id for e in new) == sorted([str(patient.pk), str(other.pk)])
    assert {(e.channel, e.user_id) for e in new} == {("web", supervisor.pk)}


def test_page_edit_records_an_update(client, owner, patient, events):
    client.force_login(owner)
    form = {"first_name": "Emma", "last_name": "Carter", "date_of_birth": "1990-05-17", "status": "active"}

    client.post(f"/patients/{patient.pk}/edit/", form, **CLIENT)

    [event] = events()
    assert (event.action, event.channel, event.ip_address) == ("update", "web", "203.0.113.9")
    assert event.changes == {"first_name": ["Emily", "Emma"]}


def test_page_edit_form_records_a_view(client, owner, patient, events):
    client.force_login(owner)
    url = f"/patients/{patient.pk}/edit/"

    client.get(url, **CLIENT)

    [event] = events()
    assert_view_of(event, owner, patient, "web", url)


def test_admin_change_page_records_an_admin_view(client, practice_admin, patient, events):
    client.force_login(practice_admin)
    url = f"/admin/accounts/patient/{patient.pk}/change/"

    response = client.get(url, **CLIENT)

    assert response.status_code == 200
    [event] = events()
    assert_view_of(event, practice_admin, patient, "admin", url)


def test_admin_changelist_records_an_admin_view_per_row(client, practice_admin, patient, events):
    client.force_login(practice_admin)

    client.get("/admin/accounts/patient/", **CLIENT)

    [event] = events()
    assert_view_of(event, practice_admin, patient, "admin", "/admin/accounts/patient/")


def test_a_transfer_records_who_moved_the_patient(api, practice_admin, colleague, patient, events):
    api.as_(practice_admin).post(f"/api/v1/patients/{patient.pk}/transfer", {"therapist_id": str(colleague.pk)})

    [event] = [e for e in events() if e.object_type == "accounts.patient"]
    assert (event.action, event.user, event.patient) == ("update", practice_admin, patient)
    assert event.changes == {"primary_therapist": [str(patient.primary_therapist_id), str(colleague.pk)]}


def test_the_recorded_address_is_not_taken_from_a_forwarded_for_header(api, owner, patient, events):
    """With no trusted proxy (PROXY_COUNT=0) a client could otherwise write any address into the trail."""
    api.as_(owner).get(f"/api/v1/patients/{patient.pk}", HTTP_X_FORWARDED_FOR="198.51.100.77", **CLIENT)

    [event] = events()
    assert event.ip_address == "203.0.113.9"
