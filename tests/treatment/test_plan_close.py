"""Closing a plan asks first: completing or discontinuing takes a reason (the service requires it, for the pages,
the API and the admin alike) and, on the pages, a confirmation step; on hold and back to active stay one click.
The reason is kept on the plan, in the audit event and in the final version that closing seals.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.models import PlanVersion
from treatment.models import TreatmentPlan
from treatment.services import plan_update

pytestmark = pytest.mark.django_db

REASON = "Goals met: GAD-7 under 5 for eight weeks; client and therapist agree to end."


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def by(user):
    return AuditContext.system("tests", user=user)


def text(response) -> str:
    return response.content.decode()


def close_url(plan, **query) -> str:
    url = reverse("plan-close", args=[plan.pk])
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def state(plan):
    fresh = TreatmentPlan.objects.get(pk=plan.pk)
    return (fresh.status, fresh.status_reason, fresh.actual_end_date, fresh.updated_at)


# --- the service --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["completed", "discontinued"])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_closing_without_a_reason_is_refused_and_changes_nothing(owner, plan, status, reason):
    before = state(plan)

    with pytest.raises(ValidationError) as refused:
        plan_update(by=by(owner), plan=plan, status=status, status_reason=reason)

    assert refused.value.message_dict == {
        "status_reason": ["Say why the plan is being closed: a completed or discontinued plan is final."]
    }
    assert state(plan) == before
    assert not PlanVersion.objects.filter(plan=plan).exists()


def test_closing_without_a_reason_is_refused_beside_the_other_errors(owner, plan):
    with pytest.raises(ValidationError) as refused:
        plan_update(by=by(owner), plan=plan, status="completed", title="", diagnosis_codes=[{"code": "F41"}])

    assert sorted(refused.value.message_dict) == ["diagnosis_codes", "status_reason", "title"]
    assert TreatmentPlan.objects.get(pk=plan.pk).status == "active"


def test_closing_keeps_the_reason_audits_it_and_seals_the_final_version(owner, plan, tree):
    version = plan.version

    closed = plan_update(by=by(owner), plan=plan, status="completed", status_reason=f"  {REASON} ")

    fresh = TreatmentPlan.objects.get(pk=plan.pk)
    assert (fresh.status, fresh.status_reason) == ("completed", REASON)
    assert fresh.version == version == closed.version
    event = AuditEvent.objects.get(action="update", object_id=str(plan.pk))
    assert event.changes["status"] == ["active", "completed"]
    assert event.changes["status_reason"] == ["", REASON]
    sealed = PlanVersion.objects.get(plan=plan)
    assert (sealed.number, sealed.review, sealed.created_by) == (version, None, owner)
    assert sealed.snapshot["plan"]["status"] == "completed"
    assert sealed.snapshot["plan"]["status_reason"] == REASON
    assert [g["id"] for g in sealed.snapshot["goals"]] == [str(g.pk) for g in tree.values()]
    assert AuditEvent.objects.filter(action="create", object_id=str(sealed.pk), changes={"number": [None, 1]}).exists()


@pytest.mark.parametrize("status", ["on_hold", "active"])
def test_pausing_and_resuming_take_no_reason(owner, plan, status):
    if status == "active":
        plan_update(by=by(owner), plan=plan, status="on_hold")

    plan_update(by=by(owner), plan=plan, status=status)

    assert TreatmentPlan.objects.get(pk=plan.pk).status == status
    assert not PlanVersion.objects.filter(plan=plan).exists()


@pytest.mark.parametrize("status", [None, "on_hold"])
def test_a_reason_without_closing_is_refused(owner, plan, status):
    before = state(plan)
    fields = {"status": status} if status else {}

    with pytest.raises(ValidationError) as refused:
        plan_update(by=by(owner), plan=plan, status_reason="Because", **fields)

    assert refused.value.message_dict == {
        "status_reason": ["A reason is recorded only when the plan is completed or discontinued."]
    }
    assert state(plan) == before


# --- the pages ----------------------------------------------------------------------------------------


def test_on_hold_stays_one_click(owner_client, plan):
    response = owner_client.post(reverse("plan-status", args=[plan.pk]), {"status": "on_hold", "etag": plan.etag})

    assert response.status_code == 302
    assert TreatmentPlan.objects.get(pk=plan.pk).status == "on_hold"


@pytest.mark.parametrize("status", ["completed", "discontinued"])
def test_choosing_to_close_goes_to_the_confirmation_step_and_changes_nothing(owner_client, plan, status):
    before = state(plan)

    response = owner_client.post(reverse("plan-status", args=[plan.pk]), {"status": status, "etag": plan.etag})

    assert response.status_code == 302
    assert response["Location"] == close_url(plan, status=status, etag=plan.etag.replace('"', "%22"))
    assert state(plan) == before


def test_the_confirmation_step_says_what_closing_means_and_asks_for_a_reason(owner_client, plan, tree):
    response = owner_client.get(close_url(plan, status="discontinued"))

    body = text(response)
    assert response.status_code == 200
    assert "Close this plan?" in body
    assert "It is final." in body and "cannot be reopened" in body
    assert "The plan becomes read-only:" in body
    assert "3 goals are neither achieved nor discontinued" in body
    assert 'name="status" value="discontinued"' in body
    assert 'value="discontinued" id="id_status_1" required checked' in body
    assert '<textarea name="status_reason"' in body
    assert "Close the plan for good" in body
    assert f'href="{plan.get_absolute_url()}">Cancel, keep it open' in body
    assert TreatmentPlan.objects.get(pk=plan.pk).status == "active"


def test_confirming_without_a_reason_shows_the_error_and_closes_nothing(owner_client, plan):
    before = state(plan)

    response = owner_client.post(close_url(plan), {"status": "completed", "status_reason": "", "etag": plan.etag})

    body = text(response)
    assert response.status_code == 200
    assert "The plan was not closed" in body
    assert '<a href="#id_status_reason">Reason</a>' in body
    assert 'id="id_status_reason_error">Say why the plan is being closed' in body
    assert state(plan) == before


def test_an_error_keeps_the_reason_typed(owner_client, plan):
    response = owner_client.post(close_url(plan), {"status": "", "status_reason": REASON, "etag": plan.etag})

    body = text(response)
    assert response.status_code == 200
    assert '<a href="#id_status_0">Close the plan as</a>' in body
    assert f">\n{REASON}</textarea>" in body
    assert TreatmentPlan.objects.get(pk=plan.pk).status == "active"


def test_a_plan_changed_meanwhile_is_a_conflict_that_keeps_the_reason(owner_client, owner, plan):
    stale = plan.etag
    plan_update(by=by(owner), plan=plan, notes="Changed meanwhile")
    before = state(plan)

    response = owner_client.post(close_url(plan), {"status": "completed", "status_reason": REASON, "etag": stale})

    body = text(response)
    assert response.status_code == 200
    assert "Someone else saved this plan first, so it was not closed." in body
    assert f">\n{REASON}</textarea>" in body
    assert TreatmentPlan.objects.get(pk=plan.pk).etag in body.replace("&quot;", '"')
    assert state(plan) == before


def test_confirming_closes_the_plan_and_the_pages_show_the_reason(owner_client, plan):
    response = owner_client.post(close_url(plan), {"status": "completed", "status_reason": REASON, "etag": plan.etag})

    assert response.status_code == 302
    assert response["Location"] == plan.get_absolute_url()
    assert state(plan)[:2] == ("completed", REASON)
    page = text(owner_client.get(plan.get_absolute_url()))
    assert f"<dt>Reason completed</dt><dd>{REASON}</dd>" in page
    assert "Change status" not in page
    versions = text(owner_client.get(reverse("plan-versions", args=[plan.pk])))
    assert f"Sealed when the plan was completed: {REASON}" in versions
    detail = text(owner_client.get(reverse("plan-version", args=[plan.pk, plan.version])))
    assert f"<dt>Reason closed</dt><dd>{REASON}</dd>" in detail
    assert "read-only record of the plan as closed" in detail


def test_a_closed_plan_has_no_confirmation_step(owner_client, owner, plan):
    plan_update(by=by(owner), plan=plan, status="discontinued", status_reason="Moved away.")

    assert owner_client.get(close_url(plan)).status_code == 409
    response = owner_client.post(close_url(plan), {"status": "completed", "status_reason": REASON})
    assert response.status_code == 409
    assert state(plan)[:2] == ("discontinued", "Moved away.")


def test_the_confirmation_step_costs_the_same_for_3_and_30_goals(owner_client, plan, django_assert_num_queries):
    from tests.factories import GoalFactory

    url = close_url(plan, status="completed")
    for _ in range(3):
        GoalFactory(plan=plan)
    with django_assert_num_queries(11) as few:
        owner_client.get(url)
    for _ in range(27):
        GoalFactory(plan=plan)
    with django_assert_num_queries(len(few.captured_queries)):
        owner_client.get(url)


# --- the API and the admin ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["completed", "discontinued"])
def test_the_api_refuses_to_close_without_a_reason(api, owner, plan, status):
    before = state(plan)

    response = api.as_(owner).patch(f"/api/v1/treatment-plans/{plan.pk}", {"status": status}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "status_reason": ["Say why the plan is being closed: a completed or discontinued plan is final."]
    }
    assert state(plan) == before


def test_the_api_closes_with_a_reason_and_shows_it(api, owner, plan):
    response = api.as_(owner).patch(
        f"/api/v1/treatment-plans/{plan.pk}", {"status": "completed", "status_reason": REASON}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["status_reason"]) == ("completed", REASON)
    listed = api.as_(owner).get("/api/v1/treatment-plans").json()["results"]
    assert [p["status_reason"] for p in listed] == [REASON]
    versions = api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}/versions/{plan.version}").json()
    assert versions["snapshot"]["plan"]["status_reason"] == REASON


def test_a_new_plan_takes_no_closing_reason(api, owner, patient):
    body = {"title": "Sleep plan", "start_date": "2026-09-01", "status_reason": "Goals met."}

    response = api.as_(owner).post(f"/api/v1/patients/{patient.pk}/treatment-plans", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"status_reason": ["A new plan is open: a reason is given when it closes."]}
    assert not TreatmentPlan.objects.filter(title="Sleep plan").exists()


def test_the_admin_refuses_to_close_without_a_reason(client, practice_admin, plan):
    from tests.treatment.test_admin import page_data, url

    client.force_login(practice_admin)
    page = client.get(url("treatmentplan", plan))
    before = state(plan)

    response = client.post(url("treatmentplan", plan), {**page_data(page), "status": "completed"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status_reason"] == [
        "Say why the plan is being closed: a completed or discontinued plan is final."
    ]
    assert state(plan) == before

    response = client.post(
        url("treatmentplan", plan), {**page_data(page), "status": "completed", "status_reason": REASON}
    )

    assert response.status_code == 302
    assert state(plan)[:2] == ("completed", REASON)
