"""Lost updates are impossible: ETag / If-Match on plans and goals (issue 3, "Rules").

Covers: GET of a plan or goal returns an ETag; PUT/PATCH with the current If-Match succeeds and returns a
NEW ETag (the one a fresh GET gives); a stale If-Match answers 412 with a detail and the current ETag and
changes nothing in the database; no If-Match, `*`, a weak `W/"..."` tag and a list of tags that includes
the current one all proceed; recording progress (the rollup's derived figures) changes neither the plan's
ETag nor the ETags of the goals it recalculates, so a client's pending edit of the plan still applies.
"""

import pytest

from tests.factories import GoalFactory
from treatment.models import TreatmentGoal, TreatmentPlan

pytestmark = pytest.mark.django_db


def plan_url(plan):
    return f"/api/v1/treatment-plans/{plan.pk}"


def goal_url(goal):
    return f"/api/v1/goals/{goal.pk}"


def etag_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2
    return etag


def write(client, method, url, data, if_match=None):
    headers = {} if if_match is None else {"HTTP_IF_MATCH": if_match}
    return getattr(client, method)(url, data, format="json", **headers)


# --- plans ---------------------------------------------------------------------------------------


def test_plan_get_returns_an_etag_that_matches_the_model(api, owner, plan):
    etag = etag_of(api.as_(owner), plan_url(plan))

    assert etag == TreatmentPlan.objects.get(pk=plan.pk).etag
    assert etag == etag_of(api.as_(owner), plan_url(plan))  # stable while nothing changes


def test_plan_patch_with_the_current_etag_succeeds_and_returns_a_new_one(api, owner, plan):
    client = api.as_(owner)
    etag = etag_of(client, plan_url(plan))

    response = write(client, "patch", plan_url(plan), {"title": "Anxiety Plan v2"}, etag)

    assert response.status_code == 200, response.content
    new = response["ETag"]
    assert new and new != etag
    assert new == etag_of(client, plan_url(plan))
    saved = TreatmentPlan.objects.get(pk=plan.pk)
    assert saved.title == "Anxiety Plan v2"
    assert saved.etag == new


def test_plan_put_with_the_current_etag_succeeds(api, owner, plan):
    client = api.as_(owner)
    etag = etag_of(client, plan_url(plan))
    body = {"title": "Anxiety Plan (PUT)", "start_date": "2026-09-01", "notes": "Full replacement"}

    response = write(client, "put", plan_url(plan), body, etag)

    assert response.status_code == 200, response.content
    assert response["ETag"] != etag
    saved = TreatmentPlan.objects.get(pk=plan.pk)
    assert (saved.title, saved.notes) == ("Anxiety Plan (PUT)", "Full replacement")


@pytest.mark.parametrize("method", ["patch", "put"])
def test_plan_write_with_a_stale_etag_answers_412_and_changes_nothing(api, owner, plan, method):
    client = api.as_(owner)
    stale = etag_of(client, plan_url(plan))
    assert write(client, "patch", plan_url(plan), {"notes": "Someone else's edit"}, stale).status_code == 200
    before = TreatmentPlan.objects.get(pk=plan.pk)

    body = {"title": "Lost update", "start_date": "2026-09-01", "status": "on_hold"}
    response = write(client, method, plan_url(plan), body, stale)

    assert response.status_code == 412, response.content
    assert response.json()["detail"]
    assert response["ETag"] == before.etag
    assert response["ETag"] != stale
    after = TreatmentPlan.objects.get(pk=plan.pk)
    assert after.title == "Anxiety Management Plan"
    assert after.status == "active"
    assert after.notes == "Someone else's edit"
    assert after.updated_at == before.updated_at


def test_a_made_up_etag_is_stale(api, owner, plan):
    response = write(api.as_(owner), "patch", plan_url(plan), {"title": "Guess"}, '"0123456789abcdef"')

    assert response.status_code == 412, response.content
    assert TreatmentPlan.objects.get(pk=plan.pk).title == "Anxiety Management Plan"


def test_the_412_etag_lets_the_client_retry(api, owner, plan):
    client = api.as_(owner)
    stale = etag_of(client, plan_url(plan))
    write(client, "patch", plan_url(plan), {"notes": "first"}, stale)

    refused = write(client, "patch", plan_url(plan), {"title": "Retry"}, stale)
    retried = write(client, "patch", plan_url(plan), {"title": "Retry"}, refused["ETag"])

    assert refused.status_code == 412
    assert retried.status_code == 200, retried.content
    assert TreatmentPlan.objects.get(pk=plan.pk).title == "Retry"


def test_plan_patch_without_if_match_proceeds(api, owner, plan):
    client = api.as_(owner)
    etag = etag_of(client, plan_url(plan))

    response = write(client, "patch", plan_url(plan), {"title": "Partner system edit"})

    assert response.status_code == 200, response.content
    assert response["ETag"] != etag
    assert TreatmentPlan.objects.get(pk=plan.pk).title == "Partner system edit"


@pytest.mark.parametrize("form", ["star", "weak", "list", "list-weak"])
def test_plan_if_match_forms_that_name_the_current_state(api, owner, plan, form):
    client = api.as_(owner)
    etag = etag_of(client, plan_url(plan))
    header = {
        "star": "*",
        "weak": f"W/{etag}",
        "list": f'"deadbeef", {etag}',
        "list-weak": f'"deadbeef", W/{etag}',
    }[form]

    response = write(client, "patch", plan_url(plan), {"title": f"Edited ({form})"}, header)

    assert response.status_code == 200, response.content
    assert TreatmentPlan.objects.get(pk=plan.pk).title == f"Edited ({form})"


def test_a_weak_stale_etag_is_still_stale(api, owner, plan):
    client = api.as_(owner)
    stale = etag_of(client, plan_url(plan))
    write(client, "patch", plan_url(plan), {"notes": "moved on"})

    response = write(client, "patch", plan_url(plan), {"title": "Lost"}, f"W/{stale}")

    assert response.status_code == 412, response.content
    assert TreatmentPlan.objects.get(pk=plan.pk).title == "Anxiety Management Plan"


def test_an_invalid_body_with_a_stale_etag_changes_nothing_either(api, owner, plan):
    client = api.as_(owner)
    stale = etag_of(client, plan_url(plan))
    write(client, "patch", plan_url(plan), {"notes": "moved on"})
    before = TreatmentPlan.objects.get(pk=plan.pk)

    response = write(client, "patch", plan_url(plan), {"target_end_date": "1999-01-01"}, stale)

    assert response.status_code in (400, 412), response.content
    after = TreatmentPlan.objects.get(pk=plan.pk)
    assert after.target_end_date == before.target_end_date
    assert after.updated_at == before.updated_at


# --- goals ---------------------------------------------------------------------------------------


def test_goal_get_returns_an_etag_and_a_current_if_match_succeeds(api, owner, tree):
    client = api.as_(owner)
    goal = tree["short_term"]
    etag = etag_of(client, goal_url(goal))
    assert etag == TreatmentGoal.objects.get(pk=goal.pk).etag

    response = write(client, "patch", goal_url(goal), {"description": "Learn 4 techniques"}, etag)

    assert response.status_code == 200, response.content
    assert response["ETag"] != etag
    assert response["ETag"] == etag_of(client, goal_url(goal))
    assert TreatmentGoal.objects.get(pk=goal.pk).description == "Learn 4 techniques"


@pytest.mark.parametrize("method", ["patch", "put"])
def test_goal_write_with_a_stale_etag_answers_412_and_changes_nothing(api, owner, tree, method):
    client = api.as_(owner)
    goal = tree["objective"]
    stale = etag_of(client, goal_url(goal))
    assert write(client, "patch", goal_url(goal), {"priority": 2}, stale).status_code == 200
    before = TreatmentGoal.objects.get(pk=goal.pk)

    body = {"goal_type": "objective", "description": "Lost update", "status": "achieved"}
    response = write(client, method, goal_url(goal), body, stale)

    assert response.status_code == 412, response.content
    assert response.json()["detail"]
    assert response["ETag"] == before.etag
    after = TreatmentGoal.objects.get(pk=goal.pk)
    assert after.description == "Practice deep breathing daily"
    assert after.status == "not_started"
    assert after.priority == 2
    assert after.progress_percentage == 0
    assert after.updated_at == before.updated_at
    # Nothing rolled up either.
    assert TreatmentGoal.objects.get(pk=tree["long_term"].pk).progress_percentage == 0


@pytest.mark.parametrize("header", [None, "*", "weak"])
def test_goal_writes_that_name_no_or_any_state_proceed(api, owner, tree, header):
    client = api.as_(owner)
    goal = tree["long_term"]
    etag = etag_of(client, goal_url(goal))
    if_match = f"W/{etag}" if header == "weak" else header

    response = write(client, "patch", goal_url(goal), {"priority": 3}, if_match)

    assert response.status_code == 200, response.content
    assert TreatmentGoal.objects.get(pk=goal.pk).priority == 3


# --- derived figures are not edits -----------------------------------------------------------------


def test_recording_progress_does_not_change_the_plans_etag(api, owner, plan, tree):
    client = api.as_(owner)
    plan_etag = etag_of(client, plan_url(plan))
    parent_etags = {name: etag_of(client, goal_url(tree[name])) for name in ("long_term", "short_term")}

    response = client.post(
        f"/api/v1/goals/{tree['objective'].pk}/progress", {"progress_note": "Used it twice", "rating": 7}, format="json"
    )

    assert response.status_code == 201, response.content
    saved = TreatmentPlan.objects.get(pk=plan.pk)
    assert saved.overall_progress == 70  # the rollup did happen
    assert TreatmentGoal.objects.get(pk=tree["long_term"].pk).progress_percentage == 70
    assert etag_of(client, plan_url(plan)) == plan_etag
    assert saved.etag == plan_etag
    for name, etag in parent_etags.items():
        assert etag_of(client, goal_url(tree[name])) == etag, f"{name} changed its ETag through the rollup"

    # So a plan edit prepared before the progress entry still applies.
    edit = write(client, "patch", plan_url(plan), {"notes": "Reviewed after session"}, plan_etag)
    assert edit.status_code == 200, edit.content
    assert TreatmentPlan.objects.get(pk=plan.pk).notes == "Reviewed after session"


def test_adding_a_goal_does_not_change_the_plans_etag(api, owner, plan, tree):
    client = api.as_(owner)
    plan_etag = etag_of(client, plan_url(plan))

    GoalFactory(parent_goal=tree["short_term"], goal_type="objective", description="Progressive relaxation")
    created = client.post(
        f"/api/v1/treatment-plans/{plan.pk}/goals", {"goal_type": "long_term", "description": "Sleep"}, format="json"
    )

    assert created.status_code == 201, created.content
    assert etag_of(client, plan_url(plan)) == plan_etag


def test_a_rollup_caused_by_a_sibling_edit_leaves_the_parents_etag(api, owner, tree):
    client = api.as_(owner)
    parent_etag = etag_of(client, goal_url(tree["short_term"]))

    response = write(client, "patch", goal_url(tree["objective"]), {"status": "achieved"})

    assert response.status_code == 200, response.content
    assert TreatmentGoal.objects.get(pk=tree["short_term"].pk).progress_percentage == 100
    assert etag_of(client, goal_url(tree["short_term"])) == parent_etag
    edit = write(client, "patch", goal_url(tree["short_term"]), {"priority": 2}, parent_etag)
    assert edit.status_code == 200, edit.content
