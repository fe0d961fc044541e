"""Text fields take JSON strings only: a number where text belongs is a 400 naming the field and changes nothing
(DRF's CharField alone would store 0 as "0"; `make fuzz` found it on a goal intervention's notes)."""

import pytest

from accounts.models import Patient
from tests.factories import intervention
from treatment.models import GoalIntervention, TreatmentPlan

pytestmark = pytest.mark.django_db

NOT_A_STRING = ["Not a valid string."]


def test_a_number_for_a_links_notes_is_a_400_and_links_nothing(api, owner, tree):
    goal = tree["long_term"]
    body = {"intervention_id": str(intervention("Deep Breathing").pk), "notes": 0, "effectiveness_rating": 1}

    response = api.as_(owner).post(f"/api/v1/goals/{goal.pk}/interventions", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"notes": NOT_A_STRING}
    assert not GoalIntervention.objects.filter(goal=goal).exists()


@pytest.mark.parametrize("value", [0, 1.5, True, ["Anxiety Management Plan"], {"text": "plan"}])
def test_anything_but_a_string_for_a_plan_title_is_a_400(api, owner, patient, value):
    body = {"title": value, "start_date": "2026-09-01", "review_frequency_days": 90}

    response = api.as_(owner).post(f"/api/v1/patients/{patient.pk}/treatment-plans", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"title": NOT_A_STRING}
    assert not TreatmentPlan.objects.exists()


def test_a_number_for_a_patients_name_is_a_400(api, practice_admin):
    body = {"first_name": 42, "last_name": "Carter", "date_of_birth": "1990-05-01"}

    response = api.as_(practice_admin).post("/api/v1/patients", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"first_name": NOT_A_STRING}
    assert not Patient.objects.exists()


def test_a_string_is_still_taken(api, owner, tree):
    goal = tree["long_term"]
    body = {"intervention_id": str(intervention("Deep Breathing").pk), "notes": "Daily at home"}

    response = api.as_(owner).post(f"/api/v1/goals/{goal.pk}/interventions", body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["notes"] == "Daily at home"
