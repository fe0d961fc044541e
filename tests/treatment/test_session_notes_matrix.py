"""Who gets which answer from the session page, its addendum form, a goal's history and the addenda API.

Reading follows the patient: the care team (`owner`), the supervisor and the practice admin read; a colleague off
the care team and another practice's admin get 404. Adding an addendum follows the change right: the owner and the
practice admin may (302 on the page, 201 on the API), the supervisor gets 403, the others 404. A denied write adds
no addendum and no audit event; an allowed read is audited, a denied one is not.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from tests.factories import intervention, make_plan, make_tree
from treatment.models import SessionAddendum
from treatment.services import session_record

pytestmark = pytest.mark.django_db

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]
READ = {"owner": 200, "colleague": 404, "supervisor": 200, "practice_admin": 200, "outsider_admin": 404}
PAGE_WRITE = {"owner": 302, "colleague": 404, "supervisor": 403, "practice_admin": 302, "outsider_admin": 404}
API_WRITE = {**PAGE_WRITE, "owner": 201, "practice_admin": 201}
HTMX = {"HTTP_HX_REQUEST": "true"}


def build_world(owner, plan, tree) -> dict:
    objective = tree["objective"]
    session = session_record(
        by=AuditContext.system("tests", user=owner),
        patient=plan.patient,
        plan=plan,
        session_date=plan.patient.practice.today() - datetime.timedelta(days=3),
        duration_minutes=50,
        notes="Discussed the week's worry log.",
        goals=[objective],
        interventions=[{"intervention": intervention("Deep Breathing"), "goal": objective}],
        progress=[{"goal": objective, "progress_note": "Breathing practice on four days", "rating": 5}],
    )
    return {"patient": plan.patient, "plan": plan, "session": session, "goal": objective}


@pytest.fixture
def world(owner, plan, tree):
    return build_world(owner, plan, tree)


@dataclass(frozen=True)
class Cell:
    name: str
    url: Callable[[dict], str]
    expected: dict
    method: str = "GET"
    htmx: bool = False
    audited: str = ""  # the key of `world` whose view an allowed read records

    def __str__(self):
        return self.name


READS = [
    Cell("session-detail", lambda w: reverse("session-detail", args=[w["session"].pk]), READ, audited="session"),
    Cell("goal-history", lambda w: reverse("goal-history", args=[w["goal"].pk]), READ, audited="goal"),
    Cell("goal-history htmx", lambda w: reverse("goal-history", args=[w["goal"].pk]), READ, htmx=True, audited="goal"),
]


def views_of(user, obj) -> int:
    return AuditEvent.objects.filter(user=user, action="view", object_id=str(obj.pk), channel="web").count()


class TestReads:
    """The reading cells, on one world built once (`shared_cast`, tests/conftest.py)."""

    @pytest.fixture(scope="class")
    @classmethod
    def shared_data(cls, shared_cast):
        plan = make_plan(shared_cast["patient"])
        return {"cast": shared_cast["cast"], "world": build_world(shared_cast["owner"], plan, make_tree(plan))}

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("cell", READS, ids=str)
    def test_each_role_gets_its_answer(self, client, shared, cell, role):
        user, world = shared["cast"][role], shared["world"]
        client.force_login(user)

        response = client.get(cell.url(world), **(HTMX if cell.htmx else {}))

        assert response.status_code == cell.expected[role], response.content[:300]
        if cell.expected[role] == 200:
            assert views_of(user, world[cell.audited]) == 1
            assert b"Breathing practice on four days" in response.content
        else:
            # Nothing was read; the refusal itself is recorded (`accounts.audit_denied`).
            assert not AuditEvent.objects.filter(user=user).exclude(action="denied").exists()
            assert AuditEvent.objects.filter(user=user, action="denied").count() == 1
            assert b"Emily Carter" not in response.content
            assert b"Breathing practice" not in response.content

    @pytest.mark.parametrize("cell", READS, ids=str)
    def test_nobody_signed_in_is_sent_to_sign_in(self, client, shared, cell):
        response = client.get(cell.url(shared["world"]))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ROLES)
def test_the_addendum_form_answers_each_role(client, cast, world, role):
    user = cast[role]
    client.force_login(user)
    events = AuditEvent.objects.filter(action="create").count()

    response = client.post(reverse("session-addendum-add", args=[world["session"].pk]), {"text": "Correction."})

    assert response.status_code == PAGE_WRITE[role], response.content[:300]
    added = SessionAddendum.objects.filter(session=world["session"])
    if PAGE_WRITE[role] == 302:
        assert response["Location"] == reverse("session-detail", args=[world["session"].pk]) + "#addenda"
        assert added.get().author == user
        assert AuditEvent.objects.filter(action="create").count() == events + 1
    else:
        assert not added.exists()
        assert AuditEvent.objects.filter(action="create").count() == events


@pytest.mark.parametrize("role", ROLES)
def test_the_addenda_endpoint_answers_each_role(api, cast, world, role):
    user = cast[role]
    events = AuditEvent.objects.filter(action="create").count()

    response = api.as_(user).post(
        f"/api/v1/sessions/{world['session'].pk}/addenda", {"text": "Correction."}, format="json"
    )

    assert response.status_code == API_WRITE[role], response.content
    added = SessionAddendum.objects.filter(session=world["session"])
    if API_WRITE[role] == 201:
        assert response.json()["author"]["id"] == str(user.pk)
        assert added.get().text == "Correction."
        assert AuditEvent.objects.filter(action="create").count() == events + 1
        event = AuditEvent.objects.get(object_id=str(added.get().pk))
        assert (event.channel, event.user, event.patient) == ("api", user, world["patient"])
    else:
        assert not added.exists()
        assert AuditEvent.objects.filter(action="create").count() == events


def test_the_addenda_endpoint_decides_access_before_reading_the_body(api, cast, world):
    """An empty body from someone who may not write is their 403/404, not a 400 about the text."""
    url = f"/api/v1/sessions/{world['session'].pk}/addenda"

    assert api.as_(cast["supervisor"]).post(url, {}, format="json").status_code == 403
    assert api.as_(cast["colleague"]).post(url, {}, format="json").status_code == 404


def test_signed_out_the_addendum_form_and_endpoint_change_nothing(client, world):
    from rest_framework.test import APIClient

    page = client.post(reverse("session-addendum-add", args=[world["session"].pk]), {"text": "Correction."})
    api = APIClient().post(f"/api/v1/sessions/{world['session'].pk}/addenda", {"text": "x"}, format="json")

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("login"))
    assert api.status_code == 401
    assert not SessionAddendum.objects.exists()
