"""Flags take JSON booleans only, and a record's id is an id or null: 0 for `include_narratives` or "" for a
`session_id` is a 400 naming the field and changes nothing (DRF alone reads 0 as false and "" as null;
`make fuzz` found both)."""

import pytest

from accounts.models import Patient
from reviews.models import ProgressReport
from treatment.models import GoalProgress, TherapySession

pytestmark = pytest.mark.django_db

NOT_A_BOOLEAN = ["Must be a valid boolean."]


@pytest.mark.parametrize("value", [0, 1, "true", "yes", None])
def test_a_reports_include_narratives_is_true_or_false(api, owner, plan, value):
    body = {"period_start": "2026-10-01", "period_end": "2026-10-31", "include_narratives": value}

    response = api.as_(owner).post(f"/api/v1/treatment-plans/{plan.pk}/progress-reports", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["include_narratives"]
    assert not ProgressReport.objects.exists()


def test_a_reports_include_narratives_false_is_taken(api, owner, plan):
    body = {"period_start": "2026-10-01", "period_end": "2026-10-31", "include_narratives": False}

    response = api.as_(owner).post(f"/api/v1/treatment-plans/{plan.pk}/progress-reports", body, format="json")

    assert response.status_code == 202
    assert ProgressReport.objects.get().include_narratives is False


def test_a_sessions_confirm_is_a_boolean(api, owner, plan, tree):
    body = {"session_date": "2026-11-20", "duration_minutes": 50, "plan_id": str(plan.pk), "confirm": 1}

    response = api.as_(owner).post(f"/api/v1/patients/{plan.patient_id}/sessions", body, format="json")

    assert response.status_code == 400
    assert response.json()["confirm"] == NOT_A_BOOLEAN
    assert not TherapySession.objects.exists()


def test_a_patients_confirm_duplicate_is_a_boolean(api, practice_admin):
    body = {"first_name": "Noah", "last_name": "Fischer", "date_of_birth": "1990-05-01", "confirm_duplicate": "on"}

    response = api.as_(practice_admin).post("/api/v1/patients", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"confirm_duplicate": NOT_A_BOOLEAN}
    assert not Patient.objects.filter(last_name="Fischer").exists()


def test_an_empty_string_for_a_session_id_is_a_400_not_null(api, owner, tree):
    goal = tree["objective"]
    body = {"session_id": "", "progress_note": "Practised twice.", "rating": 5}

    response = api.as_(owner).post(f"/api/v1/goals/{goal.pk}/progress", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"session_id": ["Send an id, or null for none: not an empty string."]}
    assert not GoalProgress.objects.filter(goal=goal).exists()

    with_null = api.as_(owner).post(f"/api/v1/goals/{goal.pk}/progress", {**body, "session_id": None}, format="json")
    assert with_null.status_code == 201
