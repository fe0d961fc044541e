"""One clock: pages and the admin show times in the practice's time zone and dates as "1 Dec 2026"; the API
stays in UTC; date inputs keep ISO values so the browser's picker works."""

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.test import APIClient

from accounts.middleware import TIME_ZONE_SESSION_KEY
from reviews.models import Notification

pytestmark = pytest.mark.django_db

#: 15:05 UTC on 1 Dec 2026 is 10:05 in New York (EST) and 00:05 on 2 Dec in Tokyo.
AT = datetime.datetime(2026, 12, 1, 15, 5, tzinfo=datetime.UTC)


@pytest.fixture
def note(owner):
    notification = Notification.objects.create(recipient=owner, kind="review_due_soon", title="Review due soon")
    Notification.objects.filter(pk=notification.pk).update(created_at=AT)
    return notification


def shown_times(html: str) -> list[str]:
    return re.findall(r'<time datetime="[^"]+">([^<]+)</time>', html)


def test_a_page_shows_the_time_in_the_practices_zone_and_the_one_format(client, owner, note):
    client.force_login(owner)

    html = client.get("/notifications/").content.decode()

    assert owner.practice.time_zone == "America/New_York"
    assert shown_times(html) == ["1 Dec 2026, 10:05"]


def test_another_practices_zone_moves_the_date_too(client, owner, note):
    owner.practice.time_zone = "Asia/Tokyo"
    owner.practice.save(update_fields=["time_zone"])
    client.force_login(owner)

    assert shown_times(client.get("/notifications/").content.decode()) == ["2 Dec 2026, 00:05"]


def test_the_zone_is_read_at_sign_in_and_kept_in_the_session(client, owner, note):
    client.force_login(owner)
    assert client.session[TIME_ZONE_SESSION_KEY] == "America/New_York"

    # A session from before the zone was kept asks for it once, then keeps it.
    session = client.session
    del session[TIME_ZONE_SESSION_KEY]
    session.save()
    client.get("/notifications/")
    assert client.session[TIME_ZONE_SESSION_KEY] == "America/New_York"


def test_the_admin_shows_the_practices_time_and_format(client, practice_admin, owner, note):
    client.force_login(practice_admin)

    html = client.get("/admin/reviews/notification/").content.decode()

    assert "1 Dec 2026, 10:05" in html
    assert "15:05" not in html


def test_a_user_without_a_practice_reads_utc(admin_client, note):
    html = admin_client.get("/admin/reviews/notification/").content.decode()

    assert "1 Dec 2026, 15:05" in html


def test_the_api_stays_in_utc_for_a_session_too(client, owner, note):
    client.force_login(owner)

    body = client.get("/api/v1/notifications").json()

    assert [row["created_at"] for row in body["results"]] == ["2026-12-01T15:05:00Z"]


def test_signing_in_through_the_api_keeps_no_zone(owner, password):
    response = APIClient().post("/api/v1/auth/token", {"email": owner.email, "password": password}, format="json")

    assert response.status_code == 200
    cookie = response.cookies.get(settings.SESSION_COOKIE_NAME)
    kept = SessionStore(session_key=cookie.value).load() if cookie else {}
    assert TIME_ZONE_SESSION_KEY not in kept


def test_a_user_without_a_practice_keeps_an_empty_zone(client, admin_user):
    assert admin_user.practice_id is None

    client.force_login(admin_user)

    assert client.session[TIME_ZONE_SESSION_KEY] == ""


def test_date_inputs_keep_iso_values_for_the_browsers_picker(client, owner, plan):
    client.force_login(owner)

    html = client.get(f"/plans/{plan.pk}/edit/").content.decode()

    start = re.search(r'<input type="date" name="start_date" value="([^"]*)"', html)
    assert start is not None and start.group(1) == plan.start_date.isoformat()
