"""The pages' access base (`accounts.pages`): one lookup decides visibility and the change right, and the
services take the change right as confirmed only for the patient the base confirmed it for."""

import pytest
from django.core.exceptions import PermissionDenied

from accounts.audit import AuditContext
from tests.factories import PatientFactory, PlanFactory
from treatment.models import TreatmentPlan
from treatment.services import plan_update
from treatment.services.common import require_change

pytestmark = pytest.mark.django_db


def test_a_confirmed_change_right_covers_that_patient_only(owner, colleague, patient):
    others = PatientFactory(primary_therapist=colleague)
    confirmed = AuditContext.system("tests", user=owner).confirming(patient)

    require_change(confirmed, patient)  # taken as confirmed: no question asked
    with pytest.raises(PermissionDenied):
        require_change(confirmed, others)


def test_a_service_refuses_a_plan_of_a_patient_the_context_was_not_confirmed_for(owner, colleague, patient):
    others_plan = PlanFactory(patient=PatientFactory(primary_therapist=colleague), title="Colleague's plan")
    by = AuditContext.system("tests", user=owner).confirming(patient)

    with pytest.raises(PermissionDenied):
        plan_update(by=by, plan=others_plan, title="Renamed")
    assert TreatmentPlan.objects.get(pk=others_plan.pk).title == "Colleague's plan"


def test_one_query_answers_both_access_questions(owner, supervisor, practice_admin, outsider_admin, plan):
    """The annotation gives the answer `can(user, "change", patient)` gives, for every role that can see it."""
    for user, may_change in [(owner, True), (supervisor, False), (practice_admin, True)]:
        found = TreatmentPlan.objects.restrict(user, "view").with_change_right(user).get(pk=plan.pk)
        assert found.user_may_change is may_change, user.role
    assert not TreatmentPlan.objects.restrict(outsider_admin, "view").with_change_right(outsider_admin).exists()


def test_a_pages_own_refusal_says_what_was_wrong(client, owner, plan, tree):
    client.force_login(owner)

    response = client.get(f"/plans/{plan.pk}/goals/new/", {"parent": tree["objective"].pk})

    assert response.status_code == 400
    assert "An objective has no goals under it." in response.content.decode()
