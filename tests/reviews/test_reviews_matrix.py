"""The permission matrix of the review and version paths, API and pages: every path x every member of the cast.

The care team (`owner`) and the practice admin read and record reviews; the supervisor reads and co-signs but
does not record (403); a colleague off the care team and another practice's admin get 404 on every path.
Co-signing is the supervisor's alone (the owner who reviewed and the practice admin: 403). Each cell checks the
database afterwards: a refused write changed nothing and wrote no audit event; an allowed read was audited.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.models import PlanReview
from reviews.services.reviews import review_record
from tests.factories import make_plan, make_tree
from treatment.models import TreatmentPlan

pytestmark = pytest.mark.django_db

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]
READ = {"owner": 200, "colleague": 404, "supervisor": 200, "practice_admin": 200, "outsider_admin": 404}
RECORD = {"owner": 201, "colleague": 404, "supervisor": 403, "practice_admin": 201, "outsider_admin": 404}
COSIGN = {"owner": 403, "colleague": 404, "supervisor": 200, "practice_admin": 403, "outsider_admin": 404}


def build_world(owner, plan, practice) -> dict:
    """The owner's plan (with its goal tree), reviewed once by the owner (version 1 sealed)."""
    review = review_record(
        by=AuditContext.system("tests", user=owner),
        plan=plan,
        review_date=practice.today(),
        summary="Worry down, sleep still poor.",
    )
    return {"plan": plan, "review": review, "patient": plan.patient}


@pytest.fixture
def world(owner, plan, tree, practice):
    return build_world(owner, plan, practice)


def review_state(w):
    return (PlanReview.objects.filter(plan=w["plan"]).count(), TreatmentPlan.objects.get(pk=w["plan"].pk).version)


def cosign_state(w):
    return PlanReview.objects.get(pk=w["review"].pk).cosigned_by_id


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # formatted with plan and review ids
    expected: dict
    query: str = ""
    body: dict | None = None
    state: Callable[[dict], Any] | None = None
    audited: str | None = None  # the object type an allowed read records a view of

    def __str__(self):
        return self.name


ENDPOINTS = [
    Endpoint("review-list", "GET", "treatment-plans/{plan}/review", READ, audited="reviews.planreview"),
    Endpoint(
        "review-record",
        "POST",
        "treatment-plans/{plan}/review",
        RECORD,
        body={"review_date": "TODAY", "summary": "Second review: on track."},
        state=review_state,
    ),
    Endpoint("reviews-list", "GET", "treatment-plans/{plan}/reviews", READ, audited="reviews.planreview"),
    Endpoint("review-detail", "GET", "treatment-plans/{plan}/reviews/{review}", READ, audited="reviews.planreview"),
    Endpoint("review-cosign", "POST", "treatment-plans/{plan}/reviews/{review}/cosign", COSIGN, state=cosign_state),
    Endpoint("versions-list", "GET", "treatment-plans/{plan}/versions", READ, audited="reviews.planversion"),
    Endpoint("version-detail", "GET", "treatment-plans/{plan}/versions/1", READ, audited="reviews.planversion"),
    Endpoint(
        "version-diff",
        "GET",
        "treatment-plans/{plan}/versions/1/diff",
        READ,
        query="?against=current",
        audited="reviews.planversion",
    ),
]


def url(endpoint: Endpoint, w: dict) -> str:
    path = endpoint.path.format(plan=w["plan"].pk, review=w["review"].pk)
    return f"/api/v1/{path}{endpoint.query}"


def payload(endpoint: Endpoint, w: dict):
    if endpoint.body is None:
        return None
    today = str(w["patient"].practice.today())
    return {k: today if v == "TODAY" else v for k, v in endpoint.body.items()}


def writes() -> int:
    return AuditEvent.objects.filter(action__in=["create", "update"]).count()


def check_api_cell(api, cast, world, endpoint, role):
    user, expected = cast[role], endpoint.expected[role]
    before = endpoint.state(world) if endpoint.state else None
    writes_before = writes()
    views_before = AuditEvent.objects.filter(action="view", user=user).count()

    response = getattr(api.as_(user), endpoint.method.lower())(url(endpoint, world), payload(endpoint, world))

    assert response.status_code == expected, response.content
    if endpoint.state:
        after = endpoint.state(world)
        if expected in (200, 201):
            assert after != before
            assert writes() > writes_before
        else:
            assert after == before
            assert writes() == writes_before
    if endpoint.audited:
        views = AuditEvent.objects.filter(action="view", user=user)
        if expected == 200:
            assert views.filter(object_type=endpoint.audited, patient=world["patient"]).exists()
        else:
            assert views.count() == views_before


def check_api_unauthenticated(world, endpoint):
    before = endpoint.state(world) if endpoint.state else None
    events = AuditEvent.objects.count()

    response = getattr(APIClient(), endpoint.method.lower())(
        url(endpoint, world), payload(endpoint, world), format="json"
    )

    assert response.status_code == 401
    if endpoint.state:
        assert endpoint.state(world) == before
    assert AuditEvent.objects.count() == events


# --- pages -------------------------------------------------------------------------------------

PAGE_READ = READ
PAGE_RECORD = {"owner": 302, "colleague": 404, "supervisor": 403, "practice_admin": 302, "outsider_admin": 404}
PAGE_FORM = {**PAGE_RECORD, "owner": 200, "practice_admin": 200}
PAGE_COSIGN = {"owner": 403, "colleague": 404, "supervisor": 302, "practice_admin": 403, "outsider_admin": 404}


def review_form(w):
    today = w["patient"].practice.today()
    return {"review_date": str(today), "summary": "Reviewed on the page.", "next_review_date": ""}


PAGES = [
    Endpoint("page-review-form", "GET", "/plans/{plan}/review/", PAGE_FORM, audited="treatment.treatmentplan"),
    Endpoint("page-review-record", "POST", "/plans/{plan}/review/", PAGE_RECORD, body={}, state=review_state),
    Endpoint("page-versions", "GET", "/plans/{plan}/versions/", PAGE_READ, audited="reviews.planversion"),
    Endpoint("page-version", "GET", "/plans/{plan}/versions/1/", PAGE_READ, audited="reviews.planversion"),
    Endpoint(
        "page-compare",
        "GET",
        "/plans/{plan}/versions/compare/",
        PAGE_READ,
        query="?a=1&b=current",
        audited="reviews.planversion",
    ),
    Endpoint("page-cosign", "POST", "/reviews/{review}/cosign/", PAGE_COSIGN, body={}, state=cosign_state),
]


def page_url(endpoint: Endpoint, w: dict) -> str:
    return endpoint.path.format(plan=w["plan"].pk, review=w["review"].pk) + endpoint.query


def check_page_cell(client, cast, world, endpoint, role):
    user, expected = cast[role], endpoint.expected[role]
    client.force_login(user)
    before = endpoint.state(world) if endpoint.state else None
    writes_before = writes()
    views_before = AuditEvent.objects.filter(action="view", user=user).count()

    if endpoint.method == "POST":
        data = review_form(world) if endpoint.name == "page-review-record" else {}
        response = client.post(page_url(endpoint, world), data)
    else:
        response = client.get(page_url(endpoint, world))

    assert response.status_code == expected, response.content[:2000]
    if expected == 302:
        assert response["Location"] == f"/plans/{world['plan'].pk}/"
    if endpoint.state:
        after = endpoint.state(world)
        assert (after != before) is (expected == 302)
        assert (writes() > writes_before) is (expected == 302)
    if endpoint.audited:
        views = AuditEvent.objects.filter(action="view", user=user)
        if expected == 200:
            assert views.filter(object_type=endpoint.audited, patient=world["patient"]).exists()
        else:
            assert views.count() == views_before


def check_page_anonymous(client, world, endpoint):
    before = endpoint.state(world) if endpoint.state else None

    response = getattr(client, endpoint.method.lower())(page_url(endpoint, world))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    if endpoint.state:
        assert endpoint.state(world) == before


# --- the cells: reading ones on one world built for them all (`TestReads`), a write on a world of its own ------

API_READS = [e for e in ENDPOINTS if e.method == "GET"]
API_WRITES = [e for e in ENDPOINTS if e.method != "GET"]
PAGE_READS = [e for e in PAGES if e.method == "GET"]
PAGE_WRITES = [e for e in PAGES if e.method != "GET"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", API_WRITES, ids=str)
def test_api_matrix(api, cast, world, endpoint, role):
    check_api_cell(api, cast, world, endpoint, role)


@pytest.mark.parametrize("endpoint", API_WRITES, ids=str)
def test_api_unauthenticated_is_401_and_changes_nothing(world, endpoint):
    check_api_unauthenticated(world, endpoint)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", PAGE_WRITES, ids=str)
def test_page_matrix(client, cast, world, endpoint, role):
    check_page_cell(client, cast, world, endpoint, role)


@pytest.mark.parametrize("endpoint", PAGE_WRITES, ids=str)
def test_pages_send_the_anonymous_to_sign_in(client, world, endpoint):
    check_page_anonymous(client, world, endpoint)


class TestReads:
    """The cells that only read, on one world built once for them all (`shared_cast`, tests/conftest.py): each
    runs in a savepoint of the class's transaction, so the audit event and last_login a read writes are gone
    before the next."""

    @pytest.fixture(scope="class")
    @classmethod
    def shared_data(cls, shared_cast):
        c = shared_cast
        plan = make_plan(c["patient"])
        make_tree(plan)
        return {"cast": c["cast"], "world": build_world(c["owner"], plan, c["practice"])}

    @pytest.fixture
    def cast(self, shared):
        return shared["cast"]

    @pytest.fixture
    def world(self, shared):
        return shared["world"]

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("endpoint", API_READS, ids=str)
    def test_api_matrix(self, api, cast, world, endpoint, role):
        check_api_cell(api, cast, world, endpoint, role)

    @pytest.mark.parametrize("endpoint", API_READS, ids=str)
    def test_api_unauthenticated_is_401_and_changes_nothing(self, world, endpoint):
        check_api_unauthenticated(world, endpoint)

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("endpoint", PAGE_READS, ids=str)
    def test_page_matrix(self, client, cast, world, endpoint, role):
        check_page_cell(client, cast, world, endpoint, role)

    @pytest.mark.parametrize("endpoint", PAGE_READS, ids=str)
    def test_pages_send_the_anonymous_to_sign_in(self, client, world, endpoint):
        check_page_anonymous(client, world, endpoint)


# --- Django admin ------------------------------------------------------------------------------

ADMIN_PAGES = [
    ("reviews", "planreview", "review"),
    ("reviews", "planversion", "version"),
]


@pytest.mark.parametrize(("app", "model", "key"), ADMIN_PAGES)
def test_admin_lists_and_shows_reviews_and_versions_read_only_to_the_practice_admin(
    client, practice_admin, world, app, model, key
):
    obj = world["review"] if key == "review" else world["review"].sealed_version
    client.force_login(practice_admin)

    listing = client.get(f"/admin/{app}/{model}/")
    detail = client.get(f"/admin/{app}/{model}/{obj.pk}/change/")

    assert listing.status_code == 200 and detail.status_code == 200
    assert str(obj.pk) in listing.content.decode()
    assert b'type="submit"' not in detail.content.split(b'id="content-main"')[1]  # nothing to save
    assert client.get(f"/admin/{app}/{model}/add/").status_code == 403
    assert client.post(f"/admin/{app}/{model}/{obj.pk}/delete/").status_code == 403
    viewed = AuditEvent.objects.filter(user=practice_admin, action="view", object_id=str(obj.pk))
    assert viewed.count() == 2  # the list row and the page


@pytest.mark.parametrize(("app", "model", "key"), ADMIN_PAGES)
def test_admin_of_another_practice_sees_none_of_them(client, outsider_admin, world, app, model, key):
    obj = world["review"] if key == "review" else world["review"].sealed_version
    client.force_login(outsider_admin)

    assert str(obj.pk) not in client.get(f"/admin/{app}/{model}/").content.decode()
    assert client.get(f"/admin/{app}/{model}/{obj.pk}/change/").status_code in (302, 404)
