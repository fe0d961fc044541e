"""The notifications API: GET /api/v1/notifications (?unread=true), GET /notifications/{id},
POST /notifications/{id}/read, POST /notifications/read-all, GET /notifications/unread-count.

A caller only ever reads and marks their own notifications: anyone else's is a 404, and unchanged.
"""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reviews.models import Notification

pytestmark = pytest.mark.django_db

FIELDS = {"id", "kind", "title", "body", "link", "plan_id", "created_at", "read_at", "is_read"}


def notify(recipient, title="Review due soon for E.C.", *, read=False, age_minutes=0, **fields):
    notification = Notification.objects.create(
        recipient=recipient,
        kind=fields.pop("kind", "review_due_soon"),
        title=title,
        read_at=timezone.now() if read else None,
        **fields,
    )
    if age_minutes:
        created = timezone.now() - datetime.timedelta(minutes=age_minutes)
        Notification.objects.filter(pk=notification.pk).update(created_at=created)
        notification.refresh_from_db()
    return notification


@pytest.fixture
def mine(owner, plan):
    """The owner's: two unread (the older one first created), one read."""
    return {
        "old_unread": notify(owner, "Old unread", age_minutes=90, plan=plan, link=f"/plans/{plan.pk}/"),
        "read": notify(owner, "Read", read=True, age_minutes=1),
        "new_unread": notify(owner, "New unread", age_minutes=10, body="Due on Thu 8 Oct 2026."),
    }


@pytest.fixture
def theirs(colleague):
    return notify(colleague, "The colleague's")


def test_the_list_is_the_callers_own_unread_first_then_newest(api, owner, mine, theirs):
    response = api.as_(owner).get("/api/v1/notifications")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [row["title"] for row in body["results"]] == ["New unread", "Old unread", "Read"]
    assert set(body["results"][0]) == FIELDS
    old = body["results"][1]
    assert old["plan_id"] == str(mine["old_unread"].plan_id)
    assert old["link"] == f"/plans/{mine['old_unread'].plan_id}/"
    assert (old["is_read"], old["read_at"]) == (False, None)
    assert body["results"][2]["is_read"] is True


def test_the_list_filters_unread_and_read(api, owner, mine, theirs):
    unread = api.as_(owner).get("/api/v1/notifications", {"unread": "true"}).json()
    read = api.as_(owner).get("/api/v1/notifications", {"unread": "false"}).json()

    assert [row["title"] for row in unread["results"]] == ["New unread", "Old unread"]
    assert [row["title"] for row in read["results"]] == ["Read"]


def test_the_list_is_paginated(api, owner):
    for index in range(3):
        notify(owner, f"N{index}")

    body = api.as_(owner).get("/api/v1/notifications", {"page_size": 2}).json()

    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] is not None


def test_the_caller_reads_their_own_notification(api, owner, mine):
    notification = mine["new_unread"]

    response = api.as_(owner).get(f"/api/v1/notifications/{notification.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == str(notification.pk)
    assert response.json()["body"] == "Due on Thu 8 Oct 2026."


@pytest.mark.parametrize("role", ["colleague", "supervisor", "practice_admin", "outsider_admin"])
def test_anyone_elses_notification_is_not_found(api, cast, mine, role):
    notification = mine["new_unread"]
    client = api.as_(cast[role])

    assert client.get(f"/api/v1/notifications/{notification.pk}").status_code == 404
    assert client.post(f"/api/v1/notifications/{notification.pk}/read").status_code == 404
    assert str(notification.pk) not in str(client.get("/api/v1/notifications").json())
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_an_unknown_id_is_not_found(api, owner):
    assert api.as_(owner).get(f"/api/v1/notifications/{uuid.uuid4()}").status_code == 404
    assert api.as_(owner).post(f"/api/v1/notifications/{uuid.uuid4()}/read").status_code == 404


def test_marking_read_answers_200_with_the_notification(api, owner, mine):
    notification = mine["new_unread"]

    response = api.as_(owner).post(f"/api/v1/notifications/{notification.pk}/read")

    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert response.json()["read_at"] is not None
    assert Notification.objects.get(pk=notification.pk).read_at is not None


def test_marking_read_twice_keeps_the_first_time(api, owner, mine):
    url = f"/api/v1/notifications/{mine['new_unread'].pk}/read"
    first = api.as_(owner).post(url).json()["read_at"]

    second = api.as_(owner).post(url)

    assert second.status_code == 200
    assert second.json()["read_at"] == first


def test_read_all_marks_the_callers_own_and_says_how_many(api, owner, mine, theirs):
    response = api.as_(owner).post("/api/v1/notifications/read-all")

    assert response.status_code == 200
    assert response.json() == {"marked": 2}
    assert not Notification.objects.filter(recipient=owner, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert api.as_(owner).post("/api/v1/notifications/read-all").json() == {"marked": 0}


def test_unread_count(api, owner, colleague, mine, theirs):
    assert api.as_(owner).get("/api/v1/notifications/unread-count").json() == {"unread": 2}
    assert api.as_(colleague).get("/api/v1/notifications/unread-count").json() == {"unread": 1}

    api.as_(owner).post(f"/api/v1/notifications/{mine['old_unread'].pk}/read")

    assert api.as_(owner).get("/api/v1/notifications/unread-count").json() == {"unread": 1}


def test_notifications_cannot_be_created_changed_or_deleted(api, owner, mine):
    client = api.as_(owner)
    url = f"/api/v1/notifications/{mine['new_unread'].pk}"

    assert client.post("/api/v1/notifications", {"title": "x", "kind": "x"}).status_code == 405
    assert client.patch(url, {"title": "changed"}).status_code == 405
    assert client.delete(url).status_code == 405
    assert Notification.objects.get(pk=mine["new_unread"].pk).title == "New unread"


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/v1/notifications"),
        ("get", "/api/v1/notifications/unread-count"),
        ("post", "/api/v1/notifications/read-all"),
    ],
)
def test_anonymous_callers_are_refused(api, method, path, mine):
    response = getattr(api, method)(path)

    assert response.status_code in (401, 403)
    assert Notification.objects.filter(read_at__isnull=True).count() == 2


def test_the_list_costs_the_same_queries_for_1_and_30_notifications(api, owner):
    client = api.as_(owner)
    notify(owner)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/notifications")
    for index in range(29):
        notify(owner, f"N{index}")
    with CaptureQueriesContext(connection) as many:
        client.get("/api/v1/notifications")

    assert len(many) == len(few) <= 4  # session-less token auth, the count, the page, the audit append
