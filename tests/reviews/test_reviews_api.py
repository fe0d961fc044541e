"""The review API: POST /treatment-plans/{id}/review (the spec's path), the reviews and versions it leaves,
co-signing, If-Match, and errors that name their fields."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.models import PlanReview, PlanVersion
from reviews.services.reviews import review_record
from tests.factories import GoalFactory, PlanFactory
from treatment.models import GoalStatus, TreatmentGoal, TreatmentPlan
from treatment.services import plan_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(practice):
    return practice.today()


def review_url(plan):
    return f"/api/v1/treatment-plans/{plan.pk}/review"


def body(today, **fields):
    return {"review_date": str(today), "summary": "Worry is down; keep the breathing practice.", **fields}


def counts(plan):
    fresh = TreatmentPlan.objects.get(pk=plan.pk)
    return (PlanReview.objects.count(), PlanVersion.objects.count(), fresh.version, fresh.next_review_date)


# --- recording ---------------------------------------------------------------------------------


def test_post_review_answers_201_with_the_review(api, owner, plan, tree, today):
    response = api.as_(owner).post(
        review_url(plan),
        body(today, goals_reviewed=3, goals_on_track=2, modifications_made="Added PMR to the objective."),
    )

    assert response.status_code == 201, response.content
    data = response.json()
    review = PlanReview.objects.get()
    assert data["id"] == str(review.pk)
    assert data["plan_id"] == str(plan.pk)
    assert data["review_date"] == str(today)
    assert data["reviewer"] == {"id": str(owner.pk), "name": owner.get_full_name()}
    assert data["summary"] == "Worry is down; keep the breathing practice."
    assert (data["goals_reviewed"], data["goals_on_track"]) == (3, 2)
    assert data["modifications_made"] == "Added PMR to the objective."
    assert data["next_review_date"] == str(today + datetime.timedelta(days=90))
    assert data["version"] == 1
    assert data["cosigned_by"] is None and data["cosigned_at"] is None
    assert data["created_at"]
    assert response["Location"].endswith(f"/treatment-plans/{plan.pk}/reviews/{review.pk}")
    plan.refresh_from_db()
    assert (plan.version, plan.next_review_date) == (2, today + datetime.timedelta(days=90))


def test_post_review_with_only_the_required_fields_counts_the_goals(api, owner, plan, tree, today):
    response = api.as_(owner).post(review_url(plan), body(today))

    assert response.status_code == 201, response.content
    assert (response.json()["goals_reviewed"], response.json()["goals_on_track"]) == (3, 0)


def test_post_review_with_a_next_review_date(api, owner, plan, tree, today):
    wanted = today + datetime.timedelta(days=45)

    response = api.as_(owner).post(review_url(plan), body(today, next_review_date=str(wanted)))

    assert response.json()["next_review_date"] == str(wanted)
    assert TreatmentPlan.objects.get(pk=plan.pk).next_review_date == wanted


def test_post_review_updates_goals_before_sealing(api, owner, plan, tree, today):
    objective = tree["objective"]

    response = api.as_(owner).post(
        review_url(plan),
        body(today, goal_changes=[{"goal_id": str(objective.pk), "status": "achieved", "current_value": "daily"}]),
    )

    assert response.status_code == 201, response.content
    objective.refresh_from_db()
    assert (objective.status, objective.progress_percentage, objective.current_value) == ("achieved", 100, "daily")
    sealed = {g["id"]: g for g in PlanVersion.objects.get().snapshot["goals"]}
    assert sealed[str(objective.pk)]["status"] == "achieved"


def test_a_goal_change_for_a_goal_of_another_plan_is_400(api, owner, patient, plan, tree, today):
    stranger = GoalFactory(plan=PlanFactory(patient=patient))
    before = counts(plan)

    response = api.as_(owner).post(
        review_url(plan), body(today, goal_changes=[{"goal_id": str(stranger.pk), "status": "achieved"}])
    )

    assert response.status_code == 400
    assert "goal_changes" in response.json()
    assert counts(plan) == before
    assert TreatmentGoal.objects.get(pk=stranger.pk).status == GoalStatus.NOT_STARTED


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"summary": None, "review_date": None}, {"summary", "review_date"}),
        ({"summary": "   "}, {"summary"}),
        ({"review_date": "yesterday-ish"}, {"review_date"}),
        ({"review_date": "future"}, {"review_date"}),
        ({"review_date": "2026-08-01"}, {"review_date"}),
        ({"next_review_date": "today"}, {"next_review_date"}),
        ({"goals_reviewed": 1, "goals_on_track": 2}, {"goals_on_track"}),
        ({"goals_reviewed": -1}, {"goals_reviewed"}),
    ],
    ids=["missing", "blank-summary", "bad-date", "future", "before-start", "next-not-after", "on-track", "negative"],
)
def test_invalid_reviews_are_400_naming_the_fields_and_change_nothing(api, owner, plan, tree, today, fields, named):
    data = body(today)
    for name, value in fields.items():
        if value is None:
            data.pop(name)
        elif value == "future":
            data[name] = str(today + datetime.timedelta(days=1))
        elif value == "today":
            data[name] = str(today)
        else:
            data[name] = value
    before = counts(plan)

    response = api.as_(owner).post(review_url(plan), data)

    assert response.status_code == 400, response.content
    assert set(response.json()) == named
    assert counts(plan) == before


def test_a_closed_plan_is_409(api, owner, plan, tree, today):
    plan_update(
        by=AuditContext.system("tests", user=owner), plan=plan, status="completed", status_reason="Closed in a test."
    )

    response = api.as_(owner).post(review_url(plan), body(today))

    assert response.status_code == 409
    assert response.json() == {"detail": "This plan is completed; its record is closed to changes."}
    assert PlanReview.objects.count() == 0


# --- If-Match ----------------------------------------------------------------------------------


def test_the_plans_etag_from_get_is_accepted(api, owner, plan, tree, today):
    client = api.as_(owner)
    etag = client.get(f"/api/v1/treatment-plans/{plan.pk}")["ETag"]

    response = client.post(review_url(plan), body(today), HTTP_IF_MATCH=etag)

    assert response.status_code == 201, response.content
    assert client.get(f"/api/v1/treatment-plans/{plan.pk}")["ETag"] != etag


def test_a_stale_if_match_is_412_and_changes_nothing(api, owner, plan, tree, today):
    client = api.as_(owner)
    etag = client.get(f"/api/v1/treatment-plans/{plan.pk}")["ETag"]
    client.patch(f"/api/v1/treatment-plans/{plan.pk}", {"title": "Renamed meanwhile"})
    before = counts(plan)

    response = client.post(review_url(plan), body(today), HTTP_IF_MATCH=etag)

    assert response.status_code == 412, response.content
    assert response["ETag"] == TreatmentPlan.objects.get(pk=plan.pk).etag
    assert counts(plan) == before


def test_a_second_review_with_the_first_ones_etag_is_412(api, owner, plan, tree, today):
    client = api.as_(owner)
    etag = client.get(f"/api/v1/treatment-plans/{plan.pk}")["ETag"]
    assert client.post(review_url(plan), body(today), HTTP_IF_MATCH=etag).status_code == 201

    assert client.post(review_url(plan), body(today), HTTP_IF_MATCH=etag).status_code == 412
    assert PlanReview.objects.count() == 1


# --- reading -----------------------------------------------------------------------------------


@pytest.fixture
def two_reviews(owner, plan, tree, today):
    by = AuditContext.system("tests", user=owner)
    first = review_record(by=by, plan=plan, review_date=today - datetime.timedelta(days=20), summary="First.")
    second = review_record(by=by, plan=plan, review_date=today, summary="Second.")
    return first, second


@pytest.mark.parametrize("path", ["review", "reviews", "reviews/"])
def test_list_reviews_newest_first_paginated(api, supervisor, plan, two_reviews, path):
    response = api.as_(supervisor).get(f"/api/v1/treatment-plans/{plan.pk}/{path}")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == 2
    assert [r["summary"] for r in data["results"]] == ["Second.", "First."]
    assert [r["version"] for r in data["results"]] == [2, 1]


def test_listing_reviews_is_audited(api, supervisor, plan, two_reviews):
    api.as_(supervisor).get(review_url(plan))

    events = AuditEvent.objects.filter(user=supervisor, action="view", object_type="reviews.planreview")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(str(r.pk) for r in two_reviews)
    assert all(e.patient_id == plan.patient_id for e in events)


def test_get_one_review(api, owner, plan, two_reviews):
    first, _ = two_reviews

    response = api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}/reviews/{first.pk}")

    assert response.status_code == 200
    assert response.json()["summary"] == "First."
    assert AuditEvent.objects.filter(action="view", object_id=str(first.pk)).count() == 1


def test_a_review_of_another_plan_is_404_under_this_plan(api, owner, patient, plan, two_reviews, today):
    other = PlanFactory(patient=patient)

    response = api.as_(owner).get(f"/api/v1/treatment-plans/{other.pk}/reviews/{two_reviews[0].pk}")

    assert response.status_code == 404


def test_list_versions_without_snapshots(api, owner, plan, two_reviews):
    response = api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}/versions")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [v["number"] for v in rows] == [2, 1]
    assert rows[1]["review_id"] == str(two_reviews[0].pk)
    assert rows[1]["review_date"] == str(two_reviews[0].review_date)
    assert rows[1]["created_by"] == {"id": str(owner.pk), "name": owner.get_full_name()}
    assert "snapshot" not in rows[0]


def test_get_a_version_with_its_snapshot(api, owner, plan, tree, two_reviews):
    response = api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}/versions/1/")

    assert response.status_code == 200
    data = response.json()
    assert data["number"] == 1
    assert data["snapshot"]["plan"]["version"] == 1
    assert [g["id"] for g in data["snapshot"]["goals"]] == [
        str(tree[k].pk) for k in ("long_term", "short_term", "objective")
    ]
    assert AuditEvent.objects.filter(action="view", object_type="reviews.planversion").count() == 1


def test_a_missing_version_is_404(api, owner, plan, two_reviews):
    assert api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}/versions/3").status_code == 404


def test_lists_cost_the_same_for_2_and_12_reviews(api, owner, patient, today, django_assert_num_queries):
    client = api.as_(owner)
    by = AuditContext.system("tests", user=owner)
    small, large = PlanFactory(patient=patient), PlanFactory(patient=patient)
    for plan, n in ((small, 2), (large, 12)):
        for k in range(n):
            review_record(by=by, plan=plan, review_date=today - datetime.timedelta(days=n - k), summary=f"Review {k}")
    client.get(review_url(small))  # warm the per-process caches

    for path in ("review", "versions"):
        with CaptureQueriesContext(connection) as first:
            assert client.get(f"/api/v1/treatment-plans/{small.pk}/{path}").json()["count"] == 2
        with django_assert_num_queries(len(first.captured_queries)):
            assert client.get(f"/api/v1/treatment-plans/{large.pk}/{path}").json()["count"] == 12
        assert len(first.captured_queries) <= 5


# --- co-signing --------------------------------------------------------------------------------


def cosign_url(review):
    return f"/api/v1/treatment-plans/{review.plan_id}/reviews/{review.pk}/cosign"


def test_the_supervisor_cosigns(api, supervisor, two_reviews):
    review = two_reviews[0]

    response = api.as_(supervisor).post(cosign_url(review))

    assert response.status_code == 200, response.content
    assert response.json()["cosigned_by"] == {"id": str(supervisor.pk), "name": supervisor.get_full_name()}
    assert response.json()["cosigned_at"]
    assert PlanReview.objects.get(pk=review.pk).cosigned_by == supervisor


def test_a_second_cosign_is_400(api, supervisor, two_reviews):
    review = two_reviews[0]
    api.as_(supervisor).post(cosign_url(review))

    response = api.as_(supervisor).post(cosign_url(review) + "/")

    assert response.status_code == 400
    assert "cosigned_by" in response.json()


@pytest.mark.parametrize(("role", "status"), [("owner", 403), ("practice_admin", 403), ("colleague", 404)])
def test_others_cannot_cosign(api, cast, two_reviews, role, status):
    review = two_reviews[0]

    response = api.as_(cast[role]).post(cosign_url(review))

    assert response.status_code == status
    assert PlanReview.objects.get(pk=review.pk).cosigned_by is None


# --- access before the body --------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("supervisor", 403), ("colleague", 404), ("outsider_admin", 404)])
def test_access_is_decided_before_the_body_is_read(api, cast, plan, tree, role, status):
    response = api.as_(cast[role]).post(review_url(plan), {"summary": ""})

    assert response.status_code == status
    assert PlanReview.objects.count() == 0
