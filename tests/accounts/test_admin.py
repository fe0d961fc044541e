"""Django admin for practice admins: their own practice only, no deletes, writes through the services."""

import pytest

from accounts.models import AuditEvent, Patient, PatientUserObjectPermission, Role, User
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger(other_practice):
    """A clinician of the other practice, with a name to look for in pages."""
    return UserFactory(practice=other_practice, full_name="Zebulon Farfield", email="zebulon@harbor.example")


@pytest.fixture
def their_patient(stranger):
    return PatientFactory(primary_therapist=stranger, first_name="Quentin", last_name="Elsewhere")


@pytest.fixture
def admin_client(client, practice_admin):
    client.force_login(practice_admin)
    return client


def patient_form(**overrides):
    return {
        "first_name": "Noah",
        "last_name": "Fischer",
        "preferred_name": "",
        "date_of_birth": "1988-02-14",
        "external_id": "",
        "email": "",
        "phone": "",
        "address": "",
        "emergency_contact": "",
        "status": "active",
        "primary_therapist": "",
        **overrides,
    }


def staff_form(**overrides):
    return {
        "email": "New@Riverside.example",
        "full_name": "New Person",
        "credentials": "LPC",
        "license_number": "",
        "role": Role.THERAPIST,
        "supervisor": "",
        "is_active": "on",
        "password1": "a-brand-new-secret-7",
        **overrides,
    }


def test_the_patient_changelist_shows_only_the_own_practice(admin_client, patient, their_patient):
    response = admin_client.get("/admin/accounts/patient/")

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [patient]
    assert b"Elsewhere" not in response.content


def test_the_staff_changelist_shows_only_the_own_practice(admin_client, cast, stranger):
    response = admin_client.get("/admin/accounts/user/")

    shown = set(response.context["cl"].result_list)
    assert shown == {cast[r] for r in ("owner", "colleague", "supervisor", "practice_admin")}
    assert b"zebulon@harbor.example" not in response.content


def test_the_patient_changelist_filters_name_no_other_practices_staff(admin_client, patient, stranger):
    response = admin_client.get("/admin/accounts/patient/")

    assert b"Zebulon" not in response.content


@pytest.mark.parametrize("page", ["change", "history", "delete"])
def test_another_practices_patient_is_not_found(admin_client, their_patient, page):
    response = admin_client.get(f"/admin/accounts/patient/{their_patient.pk}/{page}/")

    assert response.status_code in (302, 403, 404)
    assert b"Quentin" not in response.content
    if response.status_code == 302:
        assert response["Location"] == "/admin/"


def test_a_practice_admin_opens_their_own_patient(admin_client, patient):
    response = admin_client.get(f"/admin/accounts/patient/{patient.pk}/change/")

    assert response.status_code == 200
    assert b"Emily" in response.content


@pytest.mark.parametrize("model", ["patient", "user"])
def test_nothing_can_be_deleted(admin_client, patient, owner, model):
    obj = patient if model == "patient" else owner

    assert admin_client.get(f"/admin/accounts/{model}/{obj.pk}/delete/").status_code == 403
    assert admin_client.post(f"/admin/accounts/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists()
    assert User.objects.filter(pk=owner.pk).exists()


@pytest.mark.parametrize("role", ["owner", "supervisor"])
def test_clinicians_cannot_reach_the_admin(client, cast, role):
    client.force_login(cast[role])

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_practice_admin_adds_a_patient_and_the_therapist_gets_access(admin_client, practice, owner, supervisor):
    response = admin_client.post("/admin/accounts/patient/add/", patient_form(primary_therapist=str(owner.pk)))

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    patient = Patient.objects.get(first_name="Noah")
    assert patient.practice == practice
    assert patient.primary_therapist == owner
    rows = PatientUserObjectPermission.objects.filter(content_object=patient)
    assert set(rows.values_list("user__email", "permission__codename")) == {
        (owner.email, "view_patient"),
        (owner.email, "change_patient"),
        (supervisor.email, "view_patient"),
    }
    event = AuditEvent.objects.get(patient=patient, object_type="accounts.patient")
    assert (event.action, event.channel) == ("create", "admin")


def test_a_care_team_member_added_in_the_admin_gets_access(admin_client, owner, colleague):
    admin_client.post(
        "/admin/accounts/patient/add/",
        patient_form(primary_therapist=str(owner.pk), care_team_members=[str(colleague.pk)]),
    )

    patient = Patient.objects.get(first_name="Noah")
    assert set(patient.care_team.all()) == {owner, colleague}
    assert Patient.objects.visible_to(colleague).get() == patient


def test_the_admin_refuses_a_duplicate_mrn_with_a_form_error(admin_client, owner, patient):
    Patient.objects.filter(pk=patient.pk).update(external_id="RCC-1")

    response = admin_client.post(
        "/admin/accounts/patient/add/", patient_form(primary_therapist=str(owner.pk), external_id="RCC-1")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Patient.objects.count() == 1


def test_the_admin_offers_only_the_own_practices_clinicians_for_the_care_team(client, practice_admin, owner, stranger):
    client.force_login(practice_admin)
    client.raise_request_exception = False

    page = client.get("/admin/accounts/patient/add/")
    response = client.post(
        "/admin/accounts/patient/add/",
        patient_form(primary_therapist=str(owner.pk), care_team_members=[str(stranger.pk)]),
    )

    assert b"Zebulon" not in page.content
    assert response.status_code == 200
    assert "care_team_members" in response.context["adminform"].form.errors
    assert not Patient.objects.exists()


def test_the_therapist_choices_are_the_own_practices_clinicians(admin_client, cast, stranger):
    response = admin_client.get("/admin/accounts/patient/add/")

    choices = set(response.context["adminform"].form.fields["primary_therapist"].queryset)
    assert choices == {cast["owner"], cast["colleague"], cast["supervisor"]}


def test_a_practice_admin_cannot_take_over_another_practices_account(admin_client, practice_admin, outsider_admin):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        staff_form(email="ADMIN@Harbor.example", full_name="Taken Over", role=Role.PRACTICE_ADMIN),
    )

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    outsider_admin.refresh_from_db()
    assert (outsider_admin.practice.name, outsider_admin.full_name) != (practice_admin.practice.name, "Taken Over")


def test_a_practice_admin_adds_staff_to_their_own_practice(admin_client, practice):
    response = admin_client.post("/admin/accounts/user/add/", staff_form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new@riverside.example")
    assert (user.practice, user.role, user.is_superuser) == (practice, Role.THERAPIST, False)


def test_a_practice_admin_adds_a_therapist_with_a_supervisor(admin_client, practice, supervisor):
    response = admin_client.post("/admin/accounts/user/add/", staff_form(supervisor=str(supervisor.pk)))

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new@riverside.example")
    assert (user.practice, user.supervisor) == (practice, supervisor)


def test_a_practice_admin_assigns_a_supervisor_to_existing_staff(admin_client, colleague, supervisor):
    form = staff_form(email=colleague.email, full_name=colleague.full_name, supervisor=str(supervisor.pk), password1="")

    response = admin_client.post(f"/admin/accounts/user/{colleague.pk}/change/", form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    colleague.refresh_from_db()
    assert colleague.supervisor == supervisor


def test_a_staff_password_is_held_to_the_validators(admin_client):
    response = admin_client.post("/admin/accounts/user/add/", staff_form(password1="short-pw-11"))

    assert response.status_code == 200
    assert "password1" in response.context["adminform"].form.errors
    assert not User.objects.filter(email="new@riverside.example").exists()


def test_a_practice_admin_cannot_add_a_practice(admin_client, practice, other_practice):
    assert admin_client.get("/admin/accounts/practice/add/").status_code == 403
    response = admin_client.get("/admin/accounts/practice/")
    assert list(response.context["cl"].result_list) == [practice]


def test_a_practice_admin_sets_the_review_reminder_lead_days(admin_client, practice):
    url = f"/admin/accounts/practice/{practice.pk}/change/"
    form = {
        "name": practice.name,
        "time_zone": practice.time_zone,
        "default_review_frequency_days": "90",
        "review_reminder_lead_days": "14",
        "review_reminder_hour": "7",
        "signature_reminder_days": "7",
        "document_paper_size": "letter",
        "measure_every_sessions": "4",
        "measure_every_days": "30",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content[:500]
    practice.refresh_from_db()
    assert practice.review_reminder_lead_days == 14

    response = admin_client.post(url, {**form, "review_reminder_lead_days": "0"})
    assert response.status_code == 200
    assert b"Ensure this value is greater than or equal to 1" in response.content
    practice.refresh_from_db()
    assert practice.review_reminder_lead_days == 14


def test_a_practice_admin_sets_the_hour_reminders_go_out(admin_client, practice):
    url = f"/admin/accounts/practice/{practice.pk}/change/"
    form = {
        "name": practice.name,
        "time_zone": practice.time_zone,
        "default_review_frequency_days": "90",
        "review_reminder_lead_days": "7",
        "review_reminder_hour": "9",
        "signature_reminder_days": "7",
        "document_paper_size": "letter",
        "measure_every_sessions": "4",
        "measure_every_days": "30",
    }
    assert admin_client.post(url, form).status_code == 302
    practice.refresh_from_db()
    assert practice.review_reminder_hour == 9

    response = admin_client.post(url, {**form, "review_reminder_hour": "24"})
    assert response.status_code == 200
    assert b"Ensure this value is less than or equal to 23" in response.content
    practice.refresh_from_db()
    assert practice.review_reminder_hour == 9


def test_the_deployments_schedule_is_the_operators(admin_client):
    """Periodic tasks run for every practice at once: only a superuser may change them."""
    assert admin_client.get("/admin/django_celery_beat/periodictask/").status_code == 403
