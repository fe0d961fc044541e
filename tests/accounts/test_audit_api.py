"""GET /api/v1/audit-events: the practice's audit trail, for its practice admins, read-only."""

import pytest

from accounts.models import AuditEvent
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit-events"


@pytest.fixture
def trail(api, owner, colleague, patient, other_practice):
    """Views of two patients by two people, and an event in another practice."""
    second = PatientFactory(primary_therapist=colleague, last_name="Second")
    api.as_(owner).get(f"/api/v1/patients/{patient.pk}")
    api.as_(colleague).get(f"/api/v1/patients/{second.pk}")
    PatientFactory(primary_therapist=UserFactory(practice=other_practice), last_name="Elsewhere")
    return {"patient": patient, "second": second}


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_a_practice_admin_reads_their_practices_trail(api, practice_admin, practice, trail):
    expected = {str(pk) for pk in AuditEvent.objects.filter(practice=practice).values_list("pk", flat=True)}

    response = api.as_(practice_admin).get(URL)

    assert response.status_code == 200
    assert ids(response) == expected
    assert response.json()["count"] == 6  # two creates, the grants each made, and two views


def test_rows_say_who_did_what_to_which_patient(api, practice_admin, owner, trail):
    rows = api.as_(practice_admin).get(URL, {"user": str(owner.pk)}).json()["results"]

    [row] = rows
    assert row["user_email"] == owner.email
    assert row["action"] == "view"
    assert row["channel"] == "api"
    assert row["object_type"] == "accounts.patient"
    assert row["object_id"] == row["patient_id"] == str(trail["patient"].pk)


def test_another_practices_admin_sees_none_of_it(api, outsider_admin, practice, trail):
    response = api.as_(outsider_admin).get(URL)

    ours = {str(pk) for pk in AuditEvent.objects.filter(practice=practice).values_list("pk", flat=True)}
    assert response.status_code == 200
    assert response.json()["count"] == 2  # their patient's creation and its grants
    assert not ids(response) & ours


def test_another_practices_event_is_a_404(api, outsider_admin, trail):
    event = AuditEvent.objects.filter(patient=trail["patient"]).first()

    assert api.as_(outsider_admin).get(f"{URL}/{event.pk}").status_code == 404


@pytest.mark.parametrize("role", ["owner", "supervisor", "colleague"])
def test_clinicians_may_not_read_the_trail(api, cast, trail, role):
    assert api.as_(cast[role]).get(URL).status_code == 403


def test_the_trail_needs_authentication(trail):
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code == 401


def test_filter_by_patient(api, practice_admin, trail):
    response = api.as_(practice_admin).get(URL, {"patient": str(trail["second"].pk)})

    assert {row["patient_id"] for row in response.json()["results"]} == {str(trail["second"].pk)}
    assert response.json()["count"] == 3  # created, its grants, viewed


def test_filter_by_user(api, practice_admin, colleague, trail):
    response = api.as_(practice_admin).get(URL, {"user": str(colleague.pk)})

    assert [row["user_email"] for row in response.json()["results"]] == [colleague.email]


def test_filter_since(api, practice_admin, practice, trail):
    events = list(AuditEvent.objects.filter(practice=practice).order_by("occurred_at"))
    cut = events[2].occurred_at

    response = api.as_(practice_admin).get(URL, {"since": cut.isoformat()})

    assert ids(response) == {str(e.pk) for e in events if e.occurred_at >= cut}
    assert 0 < response.json()["count"] < len(events)


def test_a_malformed_filter_is_a_400(api, practice_admin, trail):
    assert api.as_(practice_admin).get(URL, {"since": "last week"}).status_code == 400
    assert api.as_(practice_admin).get(URL, {"patient": "someone"}).status_code == 400


@pytest.mark.parametrize(("method", "detail"), [("post", False), ("put", True), ("patch", True), ("delete", True)])
def test_the_trail_cannot_be_written(api, practice_admin, trail, method, detail):
    event = AuditEvent.objects.filter(practice=practice_admin.practice).first()
    url = f"{URL}/{event.pk}" if detail else URL

    response = getattr(api.as_(practice_admin), method)(url, {"action": "delete"}, format="json")

    assert response.status_code == 405
    event.refresh_from_db()
    assert event.action != "delete"
    assert AuditEvent.objects.filter(pk=event.pk).exists()
