"""`Practice.require_signed_plan_for_progress`: off by default (the spec's v1 flows record progress on any open
plan); on, progress and sessions are recorded only against a plan with a fully signed version in force: a 400
naming the plan in the API, a message on the session page, and nothing written."""

from __future__ import annotations

import pytest

from accounts.audit import AuditContext
from tests.reviews.test_signing import sign_staff
from treatment.models import GoalProgress, TherapySession

pytestmark = pytest.mark.django_db

NOT_SIGNED = (
    "The plan \u201cAnxiety Management Plan\u201d has not been signed yet: your practice records progress and "
    "sessions only against a signed plan. Sign it (clinician, client and any co-signature) first."
)


@pytest.fixture
def required(practice):
    practice.require_signed_plan_for_progress = True
    practice.save(update_fields=["require_signed_plan_for_progress"])
    return practice


def progress(api, user, objective):
    body = {"progress_note": "Used breathing twice.", "progress_value": "1 technique", "rating": 6}
    return api.as_(user).post(f"/api/v1/goals/{objective.pk}/progress", body, format="json")


def session(api, user, patient, plan, objective, today):
    body = {
        "plan_id": str(plan.pk),
        "session_date": today.isoformat(),
        "duration_minutes": 50,
        "notes": "Breathing practice.",
        "goal_ids": [str(objective.pk)],
        "progress": [{"goal_id": str(objective.pk), "progress_note": "Better.", "rating": 7}],
    }
    return api.as_(user).post(f"/api/v1/patients/{patient.pk}/sessions", body, format="json")


def test_off_by_default_progress_and_sessions_go_on_an_unsigned_plan(api, owner, practice, patient, plan, tree):
    assert practice.require_signed_plan_for_progress is False
    assert progress(api, owner, tree["objective"]).status_code == 201
    assert session(api, owner, patient, plan, tree["objective"], practice.today()).status_code == 201


def test_on_an_unsigned_plan_is_refused_naming_the_plan(api, owner, required, patient, plan, tree):
    response = progress(api, owner, tree["objective"])
    assert response.status_code == 400
    assert response.json() == {"plan": [NOT_SIGNED]}
    response = session(api, owner, patient, plan, tree["objective"], required.today())
    assert response.status_code == 400
    assert response.json() == {"plan": [NOT_SIGNED]}
    assert GoalProgress.objects.count() == 0
    assert TherapySession.objects.count() == 0


def test_on_a_plan_signed_only_by_the_clinician_is_still_refused(api, owner, required, plan, tree):
    sign_staff(owner, plan)  # the client's signature is still awaited: no version is in force
    assert progress(api, owner, tree["objective"]).status_code == 400


def test_on_a_fully_signed_plan_is_recorded_and_stays_so_after_an_amendment(api, owner, required, patient, plan, tree):
    from treatment.models import TreatmentPlan
    from treatment.services.signature_state import plan_signature_state_set, status_after_amendment

    required.require_client_signature = False
    required.save(update_fields=["require_client_signature"])
    sign_staff(owner, plan)
    assert progress(api, owner, tree["objective"]).status_code == 201
    locked = TreatmentPlan.objects.get(pk=plan.pk)
    plan_signature_state_set(by=AuditContext(user=owner), plan=locked, status=status_after_amendment(locked))
    # Amended since: the signed version 1 is still in force.
    assert session(api, owner, patient, plan, tree["objective"], required.today()).status_code == 201


def test_the_session_page_shows_the_message_and_keeps_what_was_typed(client, owner, required, plan, tree):
    from treatment.session_forms import goal_field

    client.force_login(owner)
    objective = tree["objective"]
    data = {
        "session_date": required.today().isoformat(),
        "duration_minutes": "50",
        "notes": "Typed notes that must survive.",
        goal_field(objective): "on",
        goal_field(objective, "note"): "Practised deep breathing.",
        goal_field(objective, "rating"): "7",
        "record": "1",
    }
    response = client.post(f"/plans/{plan.pk}/sessions/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "has not been signed yet" in page
    assert "Typed notes that must survive." in page
    assert TherapySession.objects.count() == 0
