"""The patient pages: the same permission matrix as the API, for a signed-in browser."""

import pytest

from accounts.models import Patient
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

# A successful edit redirects to the patient's page, so the "allowed" answer to POST is a 302.
PAGE_CASES = [
    ("owner", "detail", "GET", 200),
    ("colleague", "detail", "GET", 404),
    ("supervisor", "detail", "GET", 200),
    ("practice_admin", "detail", "GET", 200),
    ("outsider_admin", "detail", "GET", 404),
    ("owner", "edit", "GET", 200),
    ("colleague", "edit", "GET", 404),
    ("supervisor", "edit", "GET", 403),
    ("practice_admin", "edit", "GET", 200),
    ("outsider_admin", "edit", "GET", 404),
    ("owner", "edit", "POST", 302),
    ("colleague", "edit", "POST", 404),
    ("supervisor", "edit", "POST", 403),
    ("practice_admin", "edit", "POST", 302),
    ("outsider_admin", "edit", "POST", 404),
]

LIST_CASES = [
    ("owner", True),
    ("colleague", False),
    ("supervisor", True),
    ("practice_admin", True),
    ("outsider_admin", False),
]


def edit_form(**overrides):
    return {
        "first_name": "Emma",
        "last_name": "Carter",
        "preferred_name": "",
        "date_of_birth": "1991-04-12",
        "external_id": "",
        "email": "",
        "phone": "",
        "address": "",
        "emergency_contact": "",
        "status": "active",
        **overrides,
    }


def page_url(patient, page):
    return f"/patients/{patient.pk}/" if page == "detail" else f"/patients/{patient.pk}/edit/"


@pytest.mark.parametrize(("role", "page", "method", "expected"), PAGE_CASES)
def test_patient_page(client, cast, patient, role, page, method, expected):
    client.force_login(cast[role])
    url = page_url(patient, page)

    response = client.post(url, edit_form()) if method == "POST" else client.get(url)

    assert response.status_code == expected
    first_name = Patient.objects.get(pk=patient.pk).first_name
    assert first_name == ("Emma" if expected == 302 else "Emily")
    if expected == 200:
        assert b"Emily" in response.content
    if expected == 302:
        assert response["Location"] == f"/patients/{patient.pk}/"


@pytest.mark.parametrize(("role", "listed"), LIST_CASES)
def test_patient_list_page(client, cast, patient, role, listed):
    client.force_login(cast[role])

    response = client.get("/patients/")

    assert response.status_code == 200
    assert (patient in response.context["object_list"]) is listed
    assert (f"/patients/{patient.pk}/".encode() in response.content) is listed


@pytest.mark.parametrize("url", ["/patients/", "/patients/{id}/", "/patients/{id}/edit/", "/patients/new/", "/"])
def test_signed_out_visitors_are_sent_to_sign_in(client, patient, url):
    url = url.format(id=patient.pk)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_signed_out_post_changes_nothing(client, patient):
    response = client.post(f"/patients/{patient.pk}/edit/", edit_form())

    assert response.status_code == 302
    assert Patient.objects.get(pk=patient.pk).first_name == "Emily"


def test_the_edit_link_is_offered_only_to_who_may_change(client, owner, supervisor, patient):
    edit_link = f"/patients/{patient.pk}/edit/".encode()
    client.force_login(owner)
    assert edit_link in client.get(f"/patients/{patient.pk}/").content

    client.force_login(supervisor)
    assert edit_link not in client.get(f"/patients/{patient.pk}/").content


def test_an_invalid_edit_shows_the_errors_and_saves_nothing(client, owner, patient):
    client.force_login(owner)

    response = client.post(f"/patients/{patient.pk}/edit/", edit_form(date_of_birth="someday", first_name=""))

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"date_of_birth", "first_name"}
    assert Patient.objects.get(pk=patient.pk).first_name == "Emily"


def test_a_care_team_member_added_on_the_edit_page_gets_access_until_removed(client, owner, colleague, patient):
    client.force_login(owner)
    client.post(f"/patients/{patient.pk}/edit/", edit_form(care_team=[str(colleague.pk)]))

    client.force_login(colleague)
    assert client.get(f"/patients/{patient.pk}/").status_code == 200
    assert client.get(f"/patients/{patient.pk}/edit/").status_code == 200

    client.force_login(owner)
    client.post(f"/patients/{patient.pk}/edit/", edit_form())

    client.force_login(colleague)
    assert client.get(f"/patients/{patient.pk}/").status_code == 404


def test_the_care_team_choices_are_the_practices_clinicians(
    client, owner, colleague, supervisor, practice_admin, patient
):
    UserFactory(practice=practice_admin.practice, is_active=False)
    client.force_login(owner)

    choices = client.get(f"/patients/{patient.pk}/edit/").context["form"].fields["care_team"].queryset

    assert set(choices) == {colleague, supervisor}


def test_a_therapist_who_adds_a_patient_treats_them(client, owner, supervisor):
    client.force_login(owner)

    response = client.post("/patients/new/", edit_form(first_name="Noah"))

    patient = Patient.objects.get(first_name="Noah")
    assert response["Location"] == f"/patients/{patient.pk}/"
    assert patient.primary_therapist == owner
    client.force_login(supervisor)
    assert client.get(f"/patients/{patient.pk}/").status_code == 200


def test_a_practice_admin_adds_a_patient_for_a_therapist(client, practice_admin, colleague):
    client.force_login(practice_admin)

    client.post("/patients/new/", edit_form(first_name="Noah", primary_therapist=str(colleague.pk)))

    patient = Patient.objects.get(first_name="Noah")
    assert patient.primary_therapist == colleague
    client.force_login(colleague)
    assert client.get(f"/patients/{patient.pk}/").status_code == 200


def test_a_practice_admin_must_name_the_therapist(client, practice_admin):
    client.force_login(practice_admin)

    response = client.post("/patients/new/", edit_form(first_name="Noah"))

    assert response.status_code == 200
    assert "primary_therapist" in response.context["form"].errors
    assert not Patient.objects.exists()


def test_the_list_shows_active_patients_unless_asked(client, owner, patient):
    discharged = PatientFactory(primary_therapist=owner, first_name="Grace", status="discharged")
    client.force_login(owner)

    assert list(client.get("/patients/").context["object_list"]) == [patient]
    assert list(client.get("/patients/", {"status": "discharged"}).context["object_list"]) == [discharged]
