"""The audit trail is append-only: not the ORM, not the admin, and on PostgreSQL not even raw SQL may change it."""

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(patient):
    return AuditEvent.objects.get(patient=patient, action="create")


def test_saving_an_existing_event_raises(event):
    event.action = "view"

    with pytest.raises(PermissionError):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).action == "create"


def test_deleting_an_event_raises(event):
    with pytest.raises(PermissionError):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_and_delete_raise(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="view")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    # bulk_update opens an atomic block without a savepoint; give it one so the test can go on.
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])

    assert AuditEvent.objects.get(pk=event.pk).action == "create"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_auditevent SET action = 'view' WHERE id = %s",
        "DELETE FROM accounts_auditevent WHERE id = %s",
    ],
)
def test_postgresql_refuses_raw_update_and_delete(event, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])

    assert AuditEvent.objects.get(pk=event.pk).action == "create"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_refuses_the_base_manager_too(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent._base_manager.filter(pk=event.pk).update(action="view")


def test_admin_cannot_add_an_event(client, practice_admin, event):
    client.force_login(practice_admin)

    assert client.get("/admin/accounts/auditevent/add/").status_code == 403
    assert client.post("/admin/accounts/auditevent/add/", {"action": "view"}).status_code == 403


def test_admin_cannot_delete_an_event(client, practice_admin, event):
    client.force_login(practice_admin)

    response = client.post(f"/admin/accounts/auditevent/{event.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_shows_but_cannot_change_an_event(client, practice_admin, event):
    client.force_login(practice_admin)
    url = f"/admin/accounts/auditevent/{event.pk}/change/"

    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "view"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "create"


def test_admin_offers_no_bulk_delete_of_events(client, practice_admin, event):
    client.force_login(practice_admin)

    response = client.post(
        "/admin/accounts/auditevent/", {"action": "delete_selected", "_selected_action": [str(event.pk)], "post": "yes"}
    )

    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert response.status_code in (200, 302)


def test_another_practices_admin_cannot_open_the_event(client, outsider_admin, event):
    client.force_login(outsider_admin)

    response = client.get(f"/admin/accounts/auditevent/{event.pk}/change/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
