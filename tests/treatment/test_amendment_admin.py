"""The admin amends a signed plan only with a reason, through the same services (issue 13), and shows the
amendments read-only: no add, change or delete."""

import pytest

from tests.factories import make_tree, mark_signed
from tests.treatment.test_admin import edit, goal_row, url
from treatment.models import PlanAmendment, TreatmentGoal, TreatmentPlan
from treatment.services.amendments import REASON_REQUIRED

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, practice_admin):
    client.force_login(practice_admin)
    return client


@pytest.fixture
def goals(plan):
    goals = make_tree(plan)
    mark_signed(plan)
    return goals


def test_the_plan_form_requires_the_reason_on_a_signed_plan(admin_client, plan, goals):
    refused = edit(admin_client, plan, title="Renamed")
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["amendment_reason"] == [REASON_REQUIRED]
    assert TreatmentPlan.objects.get(pk=plan.pk).title == "Anxiety Management Plan"
    assert PlanAmendment.objects.count() == 0

    saved = edit(admin_client, plan, title="Renamed", amendment_reason="Title corrected at audit")
    assert saved.status_code == 302
    amendment = PlanAmendment.objects.get()
    assert (amendment.reason, amendment.changes[0]["fields"]) == ("Title corrected at audit", ["title"])
    assert TreatmentPlan.objects.get(pk=plan.pk).signature_status == "amended_unsigned"


def test_an_inline_goal_change_takes_the_plan_forms_reason(admin_client, plan, goals):
    goal = goals["long_term"]
    page = admin_client.get(url("treatmentplan", plan))
    row = goal_row(page, goal)
    refused = edit(admin_client, plan, **{f"goals-{row}-description": "Changed"})
    assert refused.status_code == 200
    assert TreatmentGoal.objects.get(pk=goal.pk).description != "Changed"

    saved = edit(admin_client, plan, **{f"goals-{row}-description": "Changed", "amendment_reason": "Client's words"})
    assert saved.status_code == 302
    assert TreatmentGoal.objects.get(pk=goal.pk).description == "Changed"
    assert PlanAmendment.objects.get().reason == "Client's words"


def test_the_goal_form_requires_the_reason_on_a_signed_plan(admin_client, goals):
    goal = goals["objective"]
    refused = edit(admin_client, goal, model="treatmentgoal", description="Breathe daily")
    assert refused.context["adminform"].form.errors["amendment_reason"] == [REASON_REQUIRED]
    assert TreatmentGoal.objects.get(pk=goal.pk).description == "Practice deep breathing daily"
    saved = edit(admin_client, goal, model="treatmentgoal", description="Breathe daily", amendment_reason="Reworded")
    assert saved.status_code == 302
    assert PlanAmendment.objects.get().changes[0]["fields"] == ["description"]


def test_amendments_are_read_only_in_the_admin(admin_client, plan, goals):
    edit(admin_client, plan, notes="More", amendment_reason="Why")
    amendment = PlanAmendment.objects.get()
    base = "/admin/treatment/planamendment/"
    assert admin_client.get(base).status_code == 200
    assert "Why" in admin_client.get(f"{base}{amendment.pk}/change/").content.decode()
    assert admin_client.post(f"{base}{amendment.pk}/change/", {"reason": "Rewritten"}).status_code == 403
    assert admin_client.get(f"{base}{amendment.pk}/delete/").status_code == 403
    assert admin_client.get(f"{base}add/").status_code == 403
    assert PlanAmendment.objects.get().reason == "Why"
    plan_page = admin_client.get(url("treatmentplan", plan)).content.decode()
    assert "Why" in plan_page
