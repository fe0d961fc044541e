"""Transfer of care and plan ownership: open plans follow the patient to the new therapist."""

import pytest

from accounts.models import AuditEvent
from tests.factories import PlanFactory, UserFactory
from treatment.models import TreatmentPlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_therapist(practice):
    return UserFactory(practice=practice, email="new@riverside.example")


def test_transfer_moves_open_plans_to_the_new_therapist(api, practice_admin, owner, patient, plan, new_therapist):
    closed = PlanFactory(patient=patient, title="Earlier plan")
    api.as_(practice_admin).patch(
        f"/api/v1/treatment-plans/{closed.pk}",
        {"status": "completed", "status_reason": "Closed in a test."},
        format="json",
    )

    response = api.as_(practice_admin).post(
        f"/api/v1/patients/{patient.pk}/transfer", {"therapist_id": str(new_therapist.pk)}, format="json"
    )

    assert response.status_code == 200, response.content
    assert TreatmentPlan.objects.get(pk=plan.pk).therapist == new_therapist
    # A closed plan keeps the therapist who held it: it is the record of who treated.
    assert TreatmentPlan.objects.get(pk=closed.pk).therapist == owner
    event = AuditEvent.objects.get(object_id=str(plan.pk), action="update", changes__has_key="therapist")
    assert event.changes["therapist"] == [str(owner.pk), str(new_therapist.pk)]
    assert api.as_(new_therapist).get(f"/api/v1/treatment-plans/{plan.pk}").status_code == 200
    assert api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}").status_code == 404


def test_only_a_practice_admin_hands_a_plan_to_another_therapist(api, owner, practice_admin, patient, plan, colleague):
    from accounts.audit import AuditContext
    from accounts.services import care_team_set

    care_team_set(by=AuditContext.system("tests"), patient=patient, members=[colleague])

    refused = api.as_(owner).patch(
        f"/api/v1/treatment-plans/{plan.pk}", {"therapist_id": str(colleague.pk)}, format="json"
    )
    assert refused.status_code == 400
    assert "therapist_id" in refused.json()
    assert TreatmentPlan.objects.get(pk=plan.pk).therapist == owner

    done = api.as_(practice_admin).patch(
        f"/api/v1/treatment-plans/{plan.pk}", {"therapist_id": str(colleague.pk)}, format="json"
    )
    assert done.status_code == 200, done.content
    assert done.json()["therapist"]["id"] == str(colleague.pk)


def test_a_plan_can_only_go_to_a_clinician_on_the_care_team(api, practice_admin, plan, new_therapist):
    response = api.as_(practice_admin).patch(
        f"/api/v1/treatment-plans/{plan.pk}", {"therapist_id": str(new_therapist.pk)}, format="json"
    )

    assert response.status_code == 400
    assert "care team" in response.json()["therapist_id"][0]
    assert TreatmentPlan.objects.get(pk=plan.pk).therapist != new_therapist
