"""A signature is never edited or removed: the ORM refuses, PostgreSQL's trigger refuses raw SQL, the API has no
path that writes one after the fact, and Django admin shows them read-only to everyone, superusers included."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from reviews.admin.reviews import PlanSignatureAdmin, PlanSignatureInline, PlanVersionAdmin
from reviews.models import PlanSignature, PlanVersion
from tests.factories import UserFactory
from tests.reviews.test_signing import png_data_url, sign_client, sign_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def signature(owner, plan, tree):
    sign_staff(owner, plan)
    return sign_client(owner, plan, method="drawn", image=png_data_url())


def frozen(signature) -> tuple:
    row = PlanSignature.objects.get(pk=signature.pk)
    return (row.signer_name, row.method, row.reason, row.content_hash, bytes(row.image), row.signed_at)


def test_the_orm_refuses_to_change_or_delete_one(signature):
    before = frozen(signature)
    signature.signer_name = "Someone else"
    with pytest.raises(PermissionError):
        signature.save()
    with pytest.raises(PermissionError):
        signature.delete()
    with pytest.raises(PermissionError):
        PlanSignature.objects.filter(pk=signature.pk).update(reason="edited")
    with pytest.raises(PermissionError):
        PlanSignature.objects.filter(pk=signature.pk).delete()
    assert frozen(signature) == before


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE reviews_plansignature SET signer_name = 'Forged' WHERE id = %s",
        "UPDATE reviews_plansignature SET content_hash = repeat('0', 64) WHERE id = %s",
        "DELETE FROM reviews_plansignature WHERE id = %s",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(signature, sql):
    if connection.vendor != "postgresql":
        pytest.skip("The trigger is PostgreSQL's (production and CI)")
    before = frozen(signature)
    with (
        pytest.raises(DatabaseError, match="plan signatures are append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [signature.pk])
    assert frozen(signature) == before


def test_the_api_has_no_path_that_edits_or_removes_one(api, owner, signature):
    before = frozen(signature)
    base = f"/api/v1/treatment-plans/{signature.plan_id}/signatures"
    client = api.as_(owner)
    for path in (base, f"{base}/"):
        for method in ("put", "patch", "delete"):
            assert getattr(client, method)(path, {"signer_name": "Forged"}, format="json").status_code == 405
    for path in (f"{base}/{signature.pk}", f"{base}/{signature.pk}/"):
        for method in ("get", "put", "patch", "delete"):
            assert getattr(client, method)(path, {"signer_name": "Forged"}, format="json").status_code == 404
    assert frozen(signature) == before


#: Admin offers no delete action without the delete permission: the POST is answered with the list again.
CHANGELIST_ACTION_STATUS = 200


@pytest.fixture
def superuser(db):
    return UserFactory(practice=None, is_superuser=True, email="root@trellis.example")


@pytest.mark.parametrize("who", ["superuser", "practice_admin"])
def test_admin_shows_signatures_read_only_to_everyone(client, request, signature, who):
    user = request.getfixturevalue(who)
    http = RequestFactory().get("/admin/")
    http.user = user
    model_admin = PlanSignatureAdmin(PlanSignature, admin.site)
    inline = PlanSignatureInline(PlanVersion, admin.site)
    assert model_admin.has_add_permission(http) is False
    for permission in ("has_change_permission", "has_delete_permission"):
        assert getattr(model_admin, permission)(http) is False
        assert getattr(model_admin, permission)(http, signature) is False
    for permission in ("has_add_permission", "has_change_permission", "has_delete_permission"):
        assert getattr(inline, permission)(http, signature.version) is False
    assert PlanVersionAdmin.inlines == [PlanSignatureInline]

    client.force_login(user)
    before = frozen(signature)
    change = f"/admin/reviews/plansignature/{signature.pk}/change/"
    page = client.get(change)
    assert page.status_code == 200
    assert signature.signer_name in page.content.decode()
    assert 'name="signer_name"' not in page.content.decode()
    assert client.post(change, {"signer_name": "Forged", "reason": "x"}).status_code == 403
    assert client.get(f"/admin/reviews/plansignature/{signature.pk}/delete/").status_code == 403
    assert client.post(f"/admin/reviews/plansignature/{signature.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/reviews/plansignature/add/").status_code == 403
    changelist = client.post(
        "/admin/reviews/plansignature/", {"action": "delete_selected", "_selected_action": [str(signature.pk)]}
    )
    assert changelist.status_code == CHANGELIST_ACTION_STATUS
    # The version's page lists its signatures without a way to remove one.
    version_page = client.get(f"/admin/reviews/planversion/{signature.version_id}/change/").content.decode()
    assert "Emily Carter" in version_page
    assert "DELETE" not in version_page
    assert PlanSignature.objects.filter(pk=signature.pk).exists()
    assert frozen(signature) == before
