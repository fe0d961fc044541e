"""Measurements, safety flags and assessments in Django admin: read-only, the admin's own practice only, reads
audited, nothing added, changed or deleted; an objective's measure is set through goal_update."""

import datetime

import pytest

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from tests.factories import PatientFactory, UserFactory
from treatment.models import TreatmentGoal
from treatment.services import measurement_record, safety_assessment_record

pytestmark = pytest.mark.django_db

MODELS = ["measurement", "safetyflag", "safetyassessment"]


def record_all(owner, patient):
    by = AuditContext(user=owner)
    m = measurement_record(
        by=by, patient=patient, instrument="phq9", answers=[1] * 9, administered_on=datetime.date(2026, 10, 1)
    )
    a = safety_assessment_record(by=by, patient=patient, note="Assessed; safe.")
    return {"measurement": m, "safetyflag": m.safety_flag_record, "safetyassessment": a}


@pytest.mark.parametrize("model", MODELS)
def test_read_only_and_audited(client, owner, patient, practice_admin, model):
    obj = record_all(owner, patient)[model]
    client.force_login(practice_admin)
    listed = client.get(f"/admin/treatment/{model}/")
    assert listed.status_code == 200
    page = client.get(f"/admin/treatment/{model}/{obj.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.get(f"/admin/treatment/{model}/add/").status_code == 403
    assert client.post(f"/admin/treatment/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(object_id=str(obj.pk), action="view", user=practice_admin).count() == 2


@pytest.mark.parametrize("model", MODELS)
def test_another_practices_records_are_not_found(client, practice_admin, other_practice, model):
    therapist = UserFactory(practice=other_practice, email="zed@harbor.example")
    theirs = PatientFactory(primary_therapist=therapist, first_name="Quinn", last_name="Elsewhere")
    obj = record_all(therapist, theirs)[model]
    client.force_login(practice_admin)
    # Django admin answers a row outside the queryset by redirecting to the index, as for a missing one.
    assert client.get(f"/admin/treatment/{model}/{obj.pk}/change/").status_code == 302
    assert client.get(f"/admin/treatment/{model}/").context["cl"].result_count == 0


def test_an_objectives_measure_is_set_in_admin_through_the_service(client, practice_admin, tree):
    objective = tree["objective"]
    client.force_login(practice_admin)
    page = client.get(f"/admin/treatment/treatmentgoal/{objective.pk}/change/")
    assert b'name="measure_instrument"' in page.content
    form = page.context["adminform"].form
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
    data.update({"measure_instrument": "gad7", "measure_target_score": "4", "smart": "{}"})
    response = client.post(f"/admin/treatment/treatmentgoal/{objective.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    goal = TreatmentGoal.objects.get(pk=objective.pk)
    assert (goal.measure_instrument, goal.measure_target_score) == ("gad7", 4)
    assert AuditEvent.objects.filter(object_id=str(goal.pk), action="update").latest("occurred_at").changes[
        "measure_instrument"
    ] == ["", "gad7"]
