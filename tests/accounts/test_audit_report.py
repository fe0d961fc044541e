"""The admin's audit report (ONC 170.315(d)(3)): filter by user, patient, action, channel and period, sort, and
export as CSV (streamed, and itself an audit event); a practice admin sees their own practice's events only."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/admin/accounts/auditevent/"


@pytest.fixture
def trail(api, owner, colleague, patient, other_practice):
    """Views by two people of two patients, a refusal, and an event in another practice."""
    second = PatientFactory(primary_therapist=colleague, last_name="Second")
    api.as_(owner).get(f"/api/v1/patients/{patient.pk}")
    api.as_(colleague).get(f"/api/v1/patients/{second.pk}")
    api.as_(colleague).get(f"/api/v1/patients/{patient.pk}")  # a 404: denied
    PatientFactory(primary_therapist=UserFactory(practice=other_practice), last_name="Elsewhere")
    return {"patient": patient, "second": second}


def listed(client, query: dict | None = None) -> list[AuditEvent]:
    response = client.get(URL, query or {})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.fixture
def signed_in(client, practice_admin):
    client.force_login(practice_admin)
    return client


def test_a_practice_admin_lists_only_their_practices_events(signed_in, practice, trail):
    ours = set(AuditEvent.objects.filter(practice=practice).values_list("pk", flat=True))

    assert {e.pk for e in listed(signed_in)} == ours


def test_filter_by_user(signed_in, colleague, trail):
    rows = listed(signed_in, {"user__id__exact": str(colleague.pk)})

    assert sorted(e.action for e in rows) == ["denied", "view"]


def test_filter_by_patient(signed_in, trail):
    rows = listed(signed_in, {"patient__id__exact": str(trail["second"].pk)})

    assert {e.patient for e in rows} == {trail["second"]}
    assert sorted(e.action for e in rows) == ["create", "update", "view"]  # created, its grants, viewed


def test_filter_by_action_and_channel(signed_in, colleague, trail):
    assert [e.user for e in listed(signed_in, {"action__exact": "denied"})] == [colleague]
    assert {e.channel for e in listed(signed_in, {"channel__exact": "api"})} == {"api"}
    assert len(listed(signed_in, {"channel__exact": "api", "action__exact": "view"})) == 2


def test_filter_by_period(signed_in, practice, trail):
    # As the admin's own period links write them: aware midnights.
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = today + datetime.timedelta(days=1)
    ours = AuditEvent.objects.filter(practice=practice).count()

    assert (
        len(listed(signed_in, {"occurred_at__gte": today.isoformat(), "occurred_at__lt": tomorrow.isoformat()})) == ours
    )
    assert listed(signed_in, {"occurred_at__gte": tomorrow.isoformat()}) == []


def test_sorted_by_any_column(signed_in, trail):
    by_seq = [e.seq for e in listed(signed_in)]
    by_action = [e.action for e in listed(signed_in, {"o": "4"})]  # the fourth column: action

    assert by_seq == sorted(by_seq, reverse=True)
    assert by_action == sorted(by_action)


def test_the_filters_offer_the_practices_people_and_patients_only(signed_in, owner, colleague, trail):
    response = signed_in.get(URL)
    filters = {spec.title: spec for spec in response.context["cl"].filter_specs}

    users = {label for _, label in filters["user"].lookup_choices}
    patients = {label for _, label in filters["patient"].lookup_choices}
    assert users == {str(owner), str(colleague)}
    assert "Elsewhere" not in " ".join(patients)
    assert "practice" not in filters


def export(client, events: list[AuditEvent], query: str = ""):
    return client.post(
        URL + query, {"action": "export_csv", "_selected_action": [str(e.pk) for e in events], "index": "0"}
    )


def test_the_export_streams_the_selected_events_as_csv(signed_in, practice, trail):
    events = list(AuditEvent.objects.filter(practice=practice).order_by("seq"))

    response = export(signed_in, events)

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-events-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "seq",
        "occurred_at",
        "user_email",
        "action",
        "channel",
        "object_type",
        "object_id",
        "patient_id",
        "ip_address",
        "user_agent",
        "path",
        "changes",
    ]
    assert [int(row[0]) for row in rows[1:]] == [e.seq for e in events]
    assert [row[3] for row in rows[1:]] == [e.action for e in events]


def test_the_export_is_itself_audited(signed_in, practice_admin, practice, trail):
    events = list(AuditEvent.objects.filter(practice=practice, action="view"))

    b"".join(export(signed_in, events, "?action__exact=view").streaming_content)

    exported = AuditEvent.objects.get(action="export")
    assert (exported.user, exported.channel, exported.object_type) == (practice_admin, "admin", "accounts.auditevent")
    assert exported.changes == {"rows": len(events), "query": "action__exact=view"}


def test_another_practices_events_cannot_be_exported(client, outsider_admin, practice, trail):
    client.force_login(outsider_admin)
    ours = list(AuditEvent.objects.filter(practice=practice))

    response = export(client, ours)

    body = b"".join(response.streaming_content).decode() if response.streaming else ""
    assert list(csv.reader(io.StringIO(body)))[1:] == []
