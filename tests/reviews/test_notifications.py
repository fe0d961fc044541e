"""Notifications: the service (own only, idempotent), the pages (list, open, mark read, mark all) and the header count.

Notifications are created by the reminders service; here rows are made directly. `plan` is the reviews
tests' fixture (tests/reviews/conftest.py).
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.audit import AuditContext
from accounts.services import patient_transfer
from reviews.models import Notification
from reviews.services.notifications import notification_mark_read, notifications_mark_all_read, unread_count

pytestmark = pytest.mark.django_db

LIST = "/notifications/"
READ_ALL = "/notifications/read-all/"


def read_url(notification):
    return f"/notifications/{notification.pk}/read/"


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


# --- The service -----------------------------------------------------------------------------------


def test_unread_count_counts_only_the_users_own_unread(owner, colleague):
    notify(owner)
    notify(owner, "Second")
    notify(owner, "Read", read=True)
    notify(colleague, "Not yours")

    assert unread_count(owner) == 2
    assert unread_count(colleague) == 1


def test_marking_read_sets_the_time_once(owner):
    notification = notify(owner)

    marked = notification_mark_read(user=owner, notification=notification)
    first = marked.read_at
    again = notification_mark_read(user=owner, notification=Notification.objects.get(pk=notification.pk))

    assert first is not None
    assert again.read_at == first
    assert Notification.objects.get(pk=notification.pk).read_at == first


def test_nobody_marks_someone_elses_notification(owner, colleague):
    notification = notify(owner)

    with pytest.raises(PermissionDenied):
        notification_mark_read(user=colleague, notification=notification)

    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_mark_all_read_marks_only_the_users_own_and_says_how_many(owner, colleague):
    notify(owner)
    notify(owner, "Second")
    notify(owner, "Read", read=True)
    theirs = notify(colleague, "Not yours")

    assert notifications_mark_all_read(user=owner) == 2
    assert unread_count(owner) == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert notifications_mark_all_read(user=owner) == 0


def test_a_notification_about_a_plan_the_user_no_longer_sees_is_hidden(owner, colleague, practice_admin, plan):
    notify(owner, plan=plan, link=f"/plans/{plan.pk}/")
    notify(owner, "About nothing in particular")
    assert unread_count(owner) == 2

    patient_transfer(by=AuditContext(user=practice_admin), patient=plan.patient, therapist=colleague)

    assert unread_count(owner) == 1
    notifications_mark_all_read(user=owner)
    assert unread_count(owner) == 0  # the one about the plan is still unread, but not the owner's to see
    assert Notification.objects.filter(recipient=owner, read_at__isnull=True).count() == 1


# --- The pages -------------------------------------------------------------------------------------


def test_the_list_shows_only_the_users_own_unread_first_then_newest(client, owner, colleague):
    old_unread = notify(owner, "Old unread", age_minutes=60)
    new_read = notify(owner, "New read", read=True)
    new_unread = notify(owner, "New unread", age_minutes=5)
    notify(colleague, "Someone else's")
    client.force_login(owner)

    response = client.get(LIST)

    assert response.status_code == 200
    assert list(response.context["notifications"]) == [new_unread, old_unread, new_read]
    html = response.content.decode()
    assert "Someone else&#x27;s" not in html
    assert html.index("New unread") < html.index("Old unread") < html.index("New read")
    assert "Mark all read" in html


def test_pages_ask_signed_out_visitors_to_sign_in(client, owner):
    notification = notify(owner)

    for response in (client.get(LIST), client.post(read_url(notification)), client.post(READ_ALL)):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_opening_a_notification_marks_it_read_and_goes_to_its_link(client, owner, plan):
    notification = notify(owner, plan=plan, link=f"/plans/{plan.pk}/")
    client.force_login(owner)

    response = client.post(read_url(notification), {"open": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/"
    assert Notification.objects.get(pk=notification.pk).read_at is not None


@pytest.mark.parametrize("link", ["https://evil.example/phish", "//evil.example/phish", "javascript:alert(1)", ""])
def test_a_notification_never_sends_anyone_outside_trellis(client, owner, link):
    notification = notify(owner, link=link)
    client.force_login(owner)

    response = client.post(read_url(notification), {"open": "1", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == LIST
    assert Notification.objects.get(pk=notification.pk).read_at is not None


def test_mark_read_returns_to_the_page_it_came_from(client, owner):
    notification = notify(owner, link="/plans/")
    client.force_login(owner)

    response = client.post(read_url(notification), {"next": "/dashboard/"})

    assert response["Location"] == "/dashboard/"
    assert Notification.objects.get(pk=notification.pk).read_at is not None


def test_someone_elses_notification_is_not_found(client, owner, colleague):
    notification = notify(owner)
    client.force_login(colleague)

    response = client.post(read_url(notification), {"open": "1"})

    assert response.status_code == 404
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_marking_read_is_a_post(client, owner):
    notification = notify(owner)
    client.force_login(owner)

    assert client.get(read_url(notification)).status_code == 405
    assert client.get(READ_ALL).status_code == 405
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_mark_all_read_marks_the_users_own(client, owner, colleague):
    notify(owner)
    notify(owner, "Second")
    theirs = notify(colleague)
    client.force_login(owner)

    response = client.post(READ_ALL, follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert "Marked 2 notifications read." in response.content.decode()
    assert unread_count(owner) == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None


# --- The header ------------------------------------------------------------------------------------


def test_the_header_shows_the_unread_count_with_accessible_text(client, owner, colleague):
    notify(owner)
    notify(owner, "Second")
    notify(owner, "Third")
    notify(owner, "Read", read=True)
    notify(colleague, "Not yours")
    client.force_login(owner)

    html = client.get("/patients/").content.decode()

    nav = html[html.index('<nav class="main-nav"') : html.index("</nav>")]
    assert 'href="/notifications/"' in nav
    assert '<span class="nav-count">3<span class="visually-hidden"> unread</span></span>' in nav


def test_the_header_shows_no_count_when_everything_is_read(client, owner):
    notify(owner, read=True)
    client.force_login(owner)

    html = client.get("/patients/").content.decode()

    assert "Notifications" in html
    assert "nav-count" not in html


def test_the_header_count_is_one_lookup_without_unread_and_a_count_with(client, owner):
    client.force_login(owner)

    def header_queries() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/patients/")
        assert response.status_code == 200
        return [q["sql"] for q in queries.captured_queries if "reviews_notification" in q["sql"]]

    none = header_queries()
    assert len(none) == 1
    assert "COUNT" not in none[0]
    notify(owner)
    some = header_queries()
    assert len(some) == 2
    assert "COUNT" not in some[0]
    assert "COUNT" in some[1]


def test_signed_out_pages_have_no_count_and_no_query(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "unread_notifications" not in response.context
    assert not [q for q in queries.captured_queries if "reviews_notification" in q["sql"]]
