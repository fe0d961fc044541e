"""A possible duplicate patient (the same name and date of birth in the practice, case aside) is shown before
saving, with an explicit "register anyway"; the practice's patients the user may not see count too, but only a
record the user may view is linked or described. The API answers 400 on `confirm_duplicate` unless it is true.
"""

import datetime

import pytest
from django.urls import reverse

from accounts.audit import AuditContext
from accounts.models import Patient
from accounts.services import PossibleDuplicate, patient_create

pytestmark = pytest.mark.django_db

# The cast's patient is Emily Carter, born 1990-05-17 (tests/factories.py), treated by the owner.
TYPED = {"first_name": "emily ", "last_name": "CARTER", "date_of_birth": "1990-05-17", "status": "active"}
HIDDEN = "A patient with this name and date of birth is already registered in the practice."


def emilys(practice) -> int:
    return Patient.objects.filter(practice=practice, first_name__iexact="emily", last_name__iexact="carter").count()


# --- the service --------------------------------------------------------------------------------------


def test_the_same_name_and_birthday_is_refused_whatever_the_case(owner, patient):
    with pytest.raises(PossibleDuplicate) as refused:
        patient_create(
            by=AuditContext.system("tests", user=owner),
            practice=owner.practice,
            primary_therapist=owner,
            first_name="EMILY",
            last_name="carter",
            date_of_birth=patient.date_of_birth,
        )

    assert (refused.value.visible, refused.value.hidden) == ([patient], 0)
    assert list(refused.value.message_dict) == ["confirm_duplicate"]
    assert emilys(owner.practice) == 1


def test_confirming_registers_the_different_person(owner, patient):
    created = patient_create(
        by=AuditContext.system("tests", user=owner),
        practice=owner.practice,
        primary_therapist=owner,
        first_name="Emily",
        last_name="Carter",
        date_of_birth=patient.date_of_birth,
        confirm_duplicate=True,
    )

    assert created.pk != patient.pk
    assert emilys(owner.practice) == 2


@pytest.mark.parametrize(
    "other",
    [
        {"first_name": "Emily", "last_name": "Carter", "date_of_birth": datetime.date(1990, 5, 18)},
        {"first_name": "Emilia", "last_name": "Carter", "date_of_birth": datetime.date(1990, 5, 17)},
    ],
    ids=["another birthday", "another name"],
)
def test_another_birthday_or_name_is_no_duplicate(owner, patient, other):
    patient_create(
        by=AuditContext.system("tests", user=owner), practice=owner.practice, primary_therapist=owner, **other
    )

    assert Patient.objects.filter(practice=owner.practice).count() == 2


def test_another_practices_patient_is_no_duplicate(outsider_admin, other_practice, patient):
    created = patient_create(
        by=AuditContext.system("tests", user=outsider_admin),
        practice=other_practice,
        primary_therapist=None,
        first_name="Emily",
        last_name="Carter",
        date_of_birth=patient.date_of_birth,
    )

    assert created.practice == other_practice


# --- the page: who sees what --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "practice_admin"])
def test_someone_who_may_view_the_existing_record_gets_a_link_to_it(client, cast, patient, role):
    client.force_login(cast[role])
    data = {**TYPED, "primary_therapist": str(cast["owner"].pk)} if role == "practice_admin" else TYPED

    response = client.post(reverse("patient-create"), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Possible duplicate" in body
    assert f'<a href="{patient.get_absolute_url()}">Emily Carter</a>, born 17 May 1990' in body
    assert '<a href="#id_confirm_duplicate">This is a different person: register them anyway</a>' in body
    # Everything typed is kept.
    assert 'value="emily "' in body and 'value="CARTER"' in body and 'value="1990-05-17"' in body
    assert emilys(patient.practice) == 1


def test_a_colleague_is_told_a_record_exists_but_not_shown_it(client, colleague, patient):
    client.force_login(colleague)

    response = client.post(reverse("patient-create"), TYPED)

    body = response.content.decode()
    assert response.status_code == 200
    assert "A record with this name and date of birth exists in the practice, which you cannot open" in body
    assert patient.get_absolute_url() not in body
    assert str(patient.pk) not in body
    assert "This may be a patient already registered" not in body
    assert emilys(patient.practice) == 1


def test_ticking_register_anyway_saves_the_second_patient(client, colleague, patient):
    client.force_login(colleague)
    client.post(reverse("patient-create"), TYPED)

    response = client.post(reverse("patient-create"), {**TYPED, "confirm_duplicate": "on"})

    assert response.status_code == 302
    assert emilys(patient.practice) == 2
    created = Patient.objects.exclude(pk=patient.pk).get(last_name__iexact="carter")
    assert created.primary_therapist == colleague


def test_a_duplicate_and_another_error_show_together_once_the_form_is_valid(client, owner, patient):
    client.force_login(owner)

    response = client.post(reverse("patient-create"), {**TYPED, "email": "nope"})

    body = response.content.decode()
    assert 'href="#id_email"' in body
    assert "Possible duplicate" not in body  # the service is asked once the form parses


def test_editing_a_patient_offers_no_register_anyway(client, owner, patient):
    client.force_login(owner)

    body = client.get(reverse("patient-update", args=[patient.pk])).content.decode()

    assert "confirm_duplicate" not in body


# --- the API ------------------------------------------------------------------------------------------


def body(**extra):
    return {"first_name": "Emily", "last_name": "carter", "date_of_birth": "1990-05-17", **extra}


def test_the_api_refuses_a_possible_duplicate_naming_the_record_the_caller_may_view(api, owner, patient):
    response = api.as_(owner).post("/api/v1/patients", body(), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["confirm_duplicate"]
    assert str(patient.pk) in response.json()["confirm_duplicate"][0]
    assert emilys(patient.practice) == 1


def test_the_api_tells_a_colleague_only_that_a_record_exists(api, colleague, patient):
    response = api.as_(colleague).post("/api/v1/patients", body(), format="json")

    assert response.status_code == 400
    assert response.json() == {
        "confirm_duplicate": [f"{HIDDEN} If this is a different person, confirm to register them anyway."]
    }


def test_the_api_registers_the_duplicate_when_confirmed(api, colleague, patient):
    response = api.as_(colleague).post("/api/v1/patients", body(confirm_duplicate=True), format="json")

    assert response.status_code == 201, response.content
    assert "confirm_duplicate" not in response.json()
    assert emilys(patient.practice) == 2


def test_the_api_refuses_a_date_of_birth_in_the_future(api, owner, patient):
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()

    response = api.as_(owner).post(
        "/api/v1/patients", {"first_name": "Noah", "last_name": "Fischer", "date_of_birth": tomorrow}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["date_of_birth"]


# --- the admin ----------------------------------------------------------------------------------------


def test_the_admin_refuses_a_possible_duplicate_unless_ticked(client, practice_admin, owner, patient):
    client.force_login(practice_admin)
    data = {**TYPED, "primary_therapist": str(owner.pk)}

    refused = client.post("/admin/accounts/patient/add/", data)

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["confirm_duplicate"] == [
        f"{HIDDEN} If this is a different person, confirm to register them anyway."
    ]
    assert emilys(patient.practice) == 1

    saved = client.post("/admin/accounts/patient/add/", {**data, "confirm_duplicate": "on"})

    assert saved.status_code == 302
    assert emilys(patient.practice) == 2
