"""Every read that shows PHI writes an audit event, and so do refused attempts and changes to who may see what.

One test per read that wrote no event before (17 of them: counted against the views, the admin and the API),
each asserting exactly the events expected: one `view` of the record shown (or one per row of a list).
"""

from __future__ import annotations

import pytest

from accounts.audit import AuditContext
from accounts.models import AuditEvent, CareTeamMembership, PatientUserObjectPermission, Role
from accounts.services import staff_save
from reviews.models import Notification
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

CLIENT = {"REMOTE_ADDR": "203.0.113.9", "HTTP_USER_AGENT": "TrellisTest/1.0"}


@pytest.fixture
def new_events():
    """The events written after the fixtures' own (the chain's sequence says which are new)."""
    mark = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    def new() -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(seq__gt=mark).order_by("seq"))

    return new


def seen(events: list[AuditEvent]) -> list[tuple[str, str, str]]:
    return [(e.action, e.object_type, e.object_id) for e in events]


@pytest.fixture
def notification(owner, plan):
    return Notification.objects.create(
        recipient=owner, kind="review_due", title="Review due for E.C.", link=f"/plans/{plan.pk}/", plan=plan
    )


def test_the_new_plan_page_records_a_view_of_the_patient(client, owner, patient, new_events):
    client.force_login(owner)

    assert client.get(f"/patients/{patient.pk}/plans/new/", **CLIENT).status_code == 200

    (event,) = new_events()
    assert seen([event]) == [("view", "accounts.patient", str(patient.pk))]
    assert (event.user, event.patient, event.channel, event.ip_address) == (owner, patient, "web", "203.0.113.9")


def test_the_new_goal_page_records_a_view_of_the_plan(client, owner, plan, new_events):
    client.force_login(owner)

    assert client.get(f"/plans/{plan.pk}/goals/new/").status_code == 200

    assert seen(new_events()) == [("view", "treatment.treatmentplan", str(plan.pk))]
    assert new_events()[0].patient == plan.patient


def test_the_admin_patient_history_records_a_view(client, practice_admin, patient, new_events):
    client.force_login(practice_admin)

    assert client.get(f"/admin/accounts/patient/{patient.pk}/history/").status_code == 200

    assert seen(new_events()) == [("view", "accounts.patient", str(patient.pk))]
    assert new_events()[0].channel == "admin"


def test_the_admin_plan_history_records_a_view(client, practice_admin, plan, new_events):
    client.force_login(practice_admin)

    assert client.get(f"/admin/treatment/treatmentplan/{plan.pk}/history/").status_code == 200

    assert seen(new_events()) == [("view", "treatment.treatmentplan", str(plan.pk))]


def test_the_admin_audit_list_records_a_view_of_each_event_shown(client, practice_admin, patient, new_events):
    client.force_login(practice_admin)
    shown = [str(pk) for pk in AuditEvent.objects.filter(practice=patient.practice).values_list("pk", flat=True)]

    response = client.get("/admin/accounts/auditevent/")

    assert response.status_code == 200
    assert sorted(seen(new_events())) == sorted(("view", "accounts.auditevent", pk) for pk in shown)
    assert {e.patient for e in new_events()} == {patient}


def test_the_admin_audit_detail_records_a_view(client, practice_admin, patient, new_events):
    client.force_login(practice_admin)
    event = AuditEvent.objects.get(patient=patient, action="create")

    assert client.get(f"/admin/accounts/auditevent/{event.pk}/change/").status_code == 200

    assert seen(new_events()) == [("view", "accounts.auditevent", str(event.pk))]
    assert new_events()[0].patient == patient


def test_the_admin_care_team_list_records_a_view_of_each_row(client, practice_admin, patient, new_events):
    client.force_login(practice_admin)
    rows = [str(pk) for pk in CareTeamMembership.objects.filter(patient=patient).values_list("pk", flat=True)]

    assert client.get("/admin/accounts/careteammembership/").status_code == 200

    assert sorted(seen(new_events())) == sorted(("view", "accounts.careteammembership", pk) for pk in rows)
    assert {e.patient for e in new_events()} == {patient}


def test_the_admin_care_team_detail_records_a_view(client, practice_admin, patient, new_events):
    client.force_login(practice_admin)
    membership = CareTeamMembership.objects.filter(patient=patient).first()

    assert client.get(f"/admin/accounts/careteammembership/{membership.pk}/change/").status_code == 200

    assert seen(new_events()) == [("view", "accounts.careteammembership", str(membership.pk))]


def test_the_admin_permission_list_records_a_view_of_each_grant(client, practice_admin, patient, new_events):
    client.force_login(practice_admin)
    grants = [str(pk) for pk in PatientUserObjectPermission.objects.values_list("pk", flat=True)]
    assert grants

    assert client.get("/admin/accounts/patientuserobjectpermission/").status_code == 200

    label = "accounts.patientuserobjectpermission"
    assert sorted(seen(new_events())) == sorted(("view", label, pk) for pk in grants)
    assert {e.patient for e in new_events()} == {patient}


def test_the_admin_permission_detail_records_a_view(client, practice_admin, patient, new_events):
    client.force_login(practice_admin)
    grant = PatientUserObjectPermission.objects.first()

    assert client.get(f"/admin/accounts/patientuserobjectpermission/{grant.pk}/change/").status_code == 200

    assert seen(new_events()) == [("view", "accounts.patientuserobjectpermission", str(grant.pk))]


def test_the_notifications_api_list_records_a_view_of_each(api, owner, notification, new_events):
    assert api.as_(owner).get("/api/v1/notifications").json()["count"] == 1

    assert seen(new_events()) == [("view", "reviews.notification", str(notification.pk))]
    assert new_events()[0].patient == notification.plan.patient


def test_the_notifications_api_detail_records_a_view(api, owner, notification, new_events):
    assert api.as_(owner).get(f"/api/v1/notifications/{notification.pk}").status_code == 200

    assert seen(new_events()) == [("view", "reviews.notification", str(notification.pk))]


def test_the_notifications_page_records_a_view_of_each(client, owner, notification, new_events):
    client.force_login(owner)

    assert client.get("/notifications/").status_code == 200

    assert seen(new_events()) == [("view", "reviews.notification", str(notification.pk))]


def test_the_notifications_admin_list_records_a_view_of_each(client, practice_admin, notification, new_events):
    client.force_login(practice_admin)

    assert client.get("/admin/reviews/notification/").status_code == 200

    assert seen(new_events()) == [("view", "reviews.notification", str(notification.pk))]


def test_the_notifications_admin_detail_records_a_view(client, practice_admin, notification, new_events):
    client.force_login(practice_admin)

    assert client.get(f"/admin/reviews/notification/{notification.pk}/change/").status_code == 200

    assert seen(new_events()) == [("view", "reviews.notification", str(notification.pk))]


def test_the_audit_events_api_list_records_a_view_of_each(api, practice_admin, patient, new_events):
    body = api.as_(practice_admin).get("/api/v1/audit-events").json()

    assert body["count"] == 2  # the patient's creation and the grants it made
    assert sorted(seen(new_events())) == sorted(("view", "accounts.auditevent", row["id"]) for row in body["results"])


def test_the_audit_events_api_detail_records_a_view(api, practice_admin, patient, new_events):
    event = AuditEvent.objects.get(patient=patient, action="create")

    assert api.as_(practice_admin).get(f"/api/v1/audit-events/{event.pk}").status_code == 200

    assert seen(new_events()) == [("view", "accounts.auditevent", str(event.pk))]


# --- refused access --------------------------------------------------------------------------------


def assert_denied(events: list[AuditEvent], user, path: str, status: int, object_type: str, object_id: str) -> None:
    (event,) = events
    assert (event.action, event.user, event.user_email, event.path) == ("denied", user, user.email, path)
    assert (event.ip_address, event.user_agent) == ("203.0.113.9", "TrellisTest/1.0")
    assert (event.object_type, event.object_id, event.patient) == (object_type, object_id, None)
    assert event.changes["status"] == status


def test_a_refused_api_read_is_recorded(api, outsider_admin, patient, new_events):
    path = f"/api/v1/patients/{patient.pk}"

    assert api.as_(outsider_admin).get(path, **CLIENT).status_code == 404

    assert_denied(new_events(), outsider_admin, path, 404, "accounts.patient", str(patient.pk))
    assert new_events()[0].channel == "api"


def test_a_refused_api_write_is_recorded(api, supervisor, patient, new_events):
    path = f"/api/v1/patients/{patient.pk}"

    assert api.as_(supervisor).patch(path, {"first_name": "X"}, format="json", **CLIENT).status_code == 403

    assert_denied(new_events(), supervisor, path, 403, "accounts.patient", str(patient.pk))
    assert new_events()[0].changes == {"status": 403, "method": "PATCH"}


def test_a_refused_page_is_recorded(client, colleague, plan, new_events):
    client.force_login(colleague)
    path = f"/plans/{plan.pk}/"

    assert client.get(path, **CLIENT).status_code == 404

    assert_denied(new_events(), colleague, path, 404, "treatment.treatmentplan", str(plan.pk))
    assert new_events()[0].channel == "web"


def test_a_refused_page_write_is_recorded(client, supervisor, plan, new_events):
    client.force_login(supervisor)
    path = f"/plans/{plan.pk}/edit/"

    assert client.get(path, **CLIENT).status_code == 403

    assert_denied(new_events(), supervisor, path, 403, "treatment.treatmentplan", str(plan.pk))


def test_a_404_outside_patient_data_is_not_a_denied_event(client, owner, new_events):
    client.force_login(owner)

    assert client.get("/no-such-page/").status_code == 404
    assert client.get("/notifications/00000000-0000-0000-0000-000000000000/read/").status_code == 405

    assert new_events() == []


# --- staff and grants ------------------------------------------------------------------------------


def test_a_role_supervisor_and_activation_change_is_recorded_with_before_and_after(
    practice_admin, colleague, supervisor, new_events
):
    by = AuditContext.system("tests", user=practice_admin)

    staff_save(
        by=by,
        user=colleague,
        email=colleague.email,
        role=Role.SUPERVISOR,
        practice=colleague.practice,
        supervisor=supervisor,
        is_active=False,
    )

    (event,) = [e for e in new_events() if e.object_type == "accounts.user"]
    assert (event.action, event.object_id, event.user, event.practice) == (
        "update",
        str(colleague.pk),
        practice_admin,
        colleague.practice,
    )
    assert event.changes == {
        "role": ["therapist", "supervisor"],
        "supervisor": [None, str(supervisor.pk)],
        "is_active": [True, False],
    }


def test_a_new_account_is_recorded_without_its_password(practice_admin, practice, new_events, password):
    user, created = staff_save(
        by=AuditContext.system("tests", user=practice_admin),
        email="new@riverside.example",
        role=Role.THERAPIST,
        practice=practice,
        password=password,
        full_name="New Person",
    )

    (event,) = new_events()
    assert created and (event.action, event.object_id) == ("create", str(user.pk))
    assert event.changes["role"] == [None, "therapist"]
    assert event.changes["password"] == [None, "(set)"]
    assert password not in str(event.changes)


def test_a_supervisor_demoted_leaves_an_event_for_each_supervisee(practice_admin, supervisor, owner, new_events):
    staff_save(
        by=AuditContext.system("tests", user=practice_admin),
        user=supervisor,
        email=supervisor.email,
        role=Role.THERAPIST,
        practice=supervisor.practice,
    )

    supervisee_events = [e for e in new_events() if e.object_id == str(owner.pk)]
    assert [(e.action, e.changes) for e in supervisee_events] == [
        ("update", {"supervisor": [str(supervisor.pk), None]})
    ]


def test_a_grant_rewrite_is_recorded_with_the_grants_before_and_after(practice_admin, owner, patient, new_events):
    """Deactivating the therapist takes their grants (and their supervisor's) off the patient."""
    before = sorted(
        f"{user_id}:{codename}"
        for user_id, codename in PatientUserObjectPermission.objects.filter(content_object=patient).values_list(
            "user_id", "permission__codename"
        )
    )

    staff_save(
        by=AuditContext.system("tests", user=practice_admin),
        user=owner,
        email=owner.email,
        role=owner.role,
        practice=owner.practice,
        supervisor=owner.supervisor,
        is_active=False,
    )

    (event,) = [e for e in new_events() if e.object_type == "accounts.patientuserobjectpermission"]
    assert (event.action, event.object_id, event.patient, event.user) == (
        "update",
        str(patient.pk),
        patient,
        practice_admin,
    )
    assert event.changes == {"grants": [before, []]}


def test_a_care_team_change_records_the_new_grants(practice_admin, patient, practice, new_events):
    from accounts.services import care_team_set

    teammate = UserFactory(practice=practice)
    care_team_set(by=AuditContext.system("tests", user=practice_admin), patient=patient, members=[teammate])

    (event,) = [e for e in new_events() if e.object_type == "accounts.patientuserobjectpermission"]
    before, after = event.changes["grants"]
    assert sorted(set(after) - set(before)) == [f"{teammate.pk}:change_patient", f"{teammate.pk}:view_patient"]


def test_an_unchanged_grant_set_writes_no_grant_event(practice_admin, owner, new_events):
    PatientFactory(primary_therapist=owner)
    mark = len(new_events())

    staff_save(
        by=AuditContext.system("tests", user=practice_admin),
        user=owner,
        email=owner.email,
        role=owner.role,
        practice=owner.practice,
        supervisor=owner.supervisor,
        full_name="Renamed",
    )

    assert [e.object_type for e in new_events()[mark:]] == ["accounts.user"]
