"""Who gets which answer from every plan page and goal endpoint: the five roles of the cast, and nobody signed in.

The care team (`owner`) and the practice admin read and write; the supervisor reads (writes -> 403); a colleague
off the care team and another practice's admin get 404 (the plan's existence is not disclosed). A denied write
changes nothing; an allowed read of patient data is audited, a denied one is not. Endpoints that read no
patient data (the ICD-10-CM search, the builder's list partials, the SMART hint) only need a signed-in user.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from tests.factories import GoalFactory, intervention, make_plan, make_tree
from treatment.models import GoalIntervention, TreatmentGoal, TreatmentPlan

pytestmark = pytest.mark.django_db

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]
READ = {"owner": 200, "colleague": 404, "supervisor": 200, "practice_admin": 200, "outsider_admin": 404}
WRITE_FORM = {"owner": 200, "colleague": 404, "supervisor": 403, "practice_admin": 200, "outsider_admin": 404}
WRITE_REDIRECT = {**WRITE_FORM, "owner": 302, "practice_admin": 302}
ANYONE = dict.fromkeys(ROLES, 200)
HTMX = {"HTTP_HX_REQUEST": "true"}


def build_world(plan, tree) -> dict:
    sibling = GoalFactory(plan=plan, description="Return to work part-time", priority=2)
    return {
        "patient": plan.patient,
        "plan": plan,
        "long_term": tree["long_term"],
        "short_term": tree["short_term"],
        "goal": tree["objective"],
        "sibling": sibling,
        "link": GoalIntervention.objects.get(goal=tree["objective"]),
    }


@pytest.fixture
def world(plan, tree):
    return build_world(plan, tree)


def plan_state(w):
    plan = TreatmentPlan.objects.get(pk=w["plan"].pk)
    return (plan.title, plan.status, TreatmentPlan.objects.filter(patient=w["patient"]).count())


def goal_state(w):
    goals = TreatmentGoal.objects.filter(plan=w["plan"]).order_by("pk")
    return [(g.description, g.priority, g.status, g.measure_instrument, g.measure_target_score) for g in goals]


def link_state(w):
    return sorted(
        GoalIntervention.objects.filter(goal__plan=w["plan"]).values_list("frequency", "effectiveness_rating")
    )


@dataclass(frozen=True)
class Page:
    name: str
    method: str
    url: Callable[[dict], str]
    expected: dict
    data: Callable[[dict], dict] | None = None
    htmx: bool = False
    state: Callable[[dict], Any] | None = None  # the database fact a write changes
    audited: str | None = None  # the key of `world` whose read an allowed GET audits

    def __str__(self):
        return self.name


def plan_body(w):
    plan = w["plan"]
    return {
        "title": "Renamed plan",
        "start_date": plan.start_date.isoformat(),
        "review_frequency_days": "90",
        "diagnosis_codes": ["F41.1"],
        "presenting_problems": ["worry"],
        "etag": plan.etag,
    }


def goal_body(w, **extra):
    return {"description": "A new description", "priority": "3", **extra}


PAGES = [
    Page("plan-detail", "GET", lambda w: reverse("plan-detail", args=[w["plan"].pk]), READ, audited="plan"),
    Page("plan-create form", "GET", lambda w: reverse("plan-create", args=[w["patient"].pk]), WRITE_FORM),
    Page(
        "plan-create",
        "POST",
        lambda w: reverse("plan-create", args=[w["patient"].pk]),
        WRITE_REDIRECT,
        data=lambda w: {**plan_body(w), "title": "Sleep plan", "etag": ""},
        state=plan_state,
    ),
    Page("plan-edit form", "GET", lambda w: reverse("plan-edit", args=[w["plan"].pk]), WRITE_FORM, audited="plan"),
    Page(
        "plan-edit",
        "POST",
        lambda w: reverse("plan-edit", args=[w["plan"].pk]),
        WRITE_REDIRECT,
        plan_body,
        state=plan_state,
    ),
    Page(
        "plan-status",
        "POST",
        lambda w: reverse("plan-status", args=[w["plan"].pk]),
        WRITE_REDIRECT,
        data=lambda w: {"status": "on_hold", "etag": w["plan"].etag},
        state=plan_state,
    ),
    Page(
        "plan-status completed (to the confirmation step)",
        "POST",
        lambda w: reverse("plan-status", args=[w["plan"].pk]),
        WRITE_REDIRECT,
        data=lambda w: {"status": "completed", "etag": w["plan"].etag},
    ),
    Page("plan-close form", "GET", lambda w: reverse("plan-close", args=[w["plan"].pk]), WRITE_FORM, audited="plan"),
    Page(
        "plan-close",
        "POST",
        lambda w: reverse("plan-close", args=[w["plan"].pk]),
        WRITE_REDIRECT,
        data=lambda w: {"status": "completed", "status_reason": "Goals met.", "etag": w["plan"].etag},
        state=plan_state,
    ),
    Page(
        "plan-goal-tree",
        "GET",
        lambda w: reverse("plan-goal-tree", args=[w["plan"].pk]),
        READ,
        htmx=True,
        audited="plan",
    ),
    Page("goal-add form", "GET", lambda w: reverse("goal-add", args=[w["plan"].pk]), WRITE_FORM, htmx=True),
    Page(
        "goal-add",
        "POST",
        lambda w: reverse("goal-add", args=[w["plan"].pk]),
        WRITE_FORM,
        data=lambda w: goal_body(w, parent=w["long_term"].pk),
        htmx=True,
        state=goal_state,
    ),
    Page(
        "goal-edit form",
        "GET",
        lambda w: reverse("goal-edit", args=[w["goal"].pk]),
        WRITE_FORM,
        htmx=True,
        audited="goal",
    ),
    Page(
        "goal-edit",
        "POST",
        lambda w: reverse("goal-edit", args=[w["goal"].pk]),
        WRITE_FORM,
        data=lambda w: goal_body(w, status="in_progress", etag=w["goal"].etag),
        htmx=True,
        state=goal_state,
    ),
    Page(
        "goal-add objective with a measure",
        "POST",
        lambda w: reverse("goal-add", args=[w["plan"].pk]),
        WRITE_FORM,
        data=lambda w: goal_body(w, parent=w["short_term"].pk, measure_instrument="phq9", measure_target_score="5"),
        htmx=True,
        state=goal_state,
    ),
    Page(
        "goal-edit measure",
        "POST",
        lambda w: reverse("goal-edit", args=[w["goal"].pk]),
        WRITE_FORM,
        data=lambda w: goal_body(
            w, status="in_progress", etag=w["goal"].etag, measure_instrument="gad7", measure_target_score="4"
        ),
        htmx=True,
        state=goal_state,
    ),
    Page(
        "goal-move",
        "POST",
        lambda w: reverse("goal-move", args=[w["sibling"].pk]),
        WRITE_FORM,
        data=lambda w: {"direction": "up", "etag": w["sibling"].etag},
        htmx=True,
        state=goal_state,
    ),
    Page(
        "goal-move without htmx",
        "POST",
        lambda w: reverse("goal-move", args=[w["sibling"].pk]),
        WRITE_REDIRECT,
        data=lambda w: {"direction": "up", "etag": w["sibling"].etag},
        state=goal_state,
    ),
    Page(
        "goal-interventions picker",
        "GET",
        lambda w: reverse("goal-interventions", args=[w["goal"].pk]),
        WRITE_FORM,
        htmx=True,
        audited="goal",
    ),
    Page(
        "goal-interventions add",
        "POST",
        lambda w: reverse("goal-interventions", args=[w["goal"].pk]),
        WRITE_FORM,
        data=lambda w: {"intervention": intervention("Sleep Hygiene").pk, "frequency": "weekly"},
        htmx=True,
        state=link_state,
    ),
    Page(
        "goal-intervention-edit form",
        "GET",
        lambda w: reverse("goal-intervention-edit", args=[w["link"].pk]),
        WRITE_FORM,
        htmx=True,
        audited="link",
    ),
    Page(
        "goal-intervention-edit",
        "POST",
        lambda w: reverse("goal-intervention-edit", args=[w["link"].pk]),
        WRITE_FORM,
        data=lambda w: {"effectiveness_rating": "5", "frequency": "daily"},
        htmx=True,
        state=link_state,
    ),
    Page(
        "goal-intervention-edit without htmx",
        "POST",
        lambda w: reverse("goal-intervention-edit", args=[w["link"].pk]),
        WRITE_REDIRECT,
        data=lambda w: {"effectiveness_rating": "5", "frequency": "daily"},
        state=link_state,
    ),
    # No patient data: anyone signed in.
    Page("diagnosis-search", "GET", lambda w: reverse("diagnosis-search") + "?diagnosis_q=anxiety", ANYONE, htmx=True),
    Page(
        "diagnosis-picker",
        "POST",
        lambda w: reverse("diagnosis-picker"),
        ANYONE,
        data=lambda w: {"add_diagnosis": "F41.1"},
        htmx=True,
    ),
    Page(
        "plan-problems",
        "POST",
        lambda w: reverse("plan-problems"),
        ANYONE,
        data=lambda w: {"add_problem": "1"},
        htmx=True,
    ),
    Page(
        "goal-smart-hint",
        "POST",
        lambda w: reverse("goal-smart-hint"),
        ANYONE,
        data=lambda w: {"description": "x"},
        htmx=True,
    ),
]


#: Reading cells run on one world built for them all (`TestReads`); a write gets a world of its own.
READS = [page for page in PAGES if page.method == "GET"]
WRITES = [page for page in PAGES if page.method != "GET"]


def call(client, page: Page, w):
    extra = HTMX if page.htmx else {}
    if page.method == "GET":
        return client.get(page.url(w), **extra)
    return client.post(page.url(w), page.data(w) if page.data else {}, **extra)


def check_cell(client, cast, world, page, role):
    user = cast[role]
    client.force_login(user)
    before = page.state(world) if page.state else None
    audits_before = AuditEvent.objects.filter(user=user, action="view").count()

    response = call(client, page, world)

    expected = page.expected[role]
    assert response.status_code == expected, (page.name, role, response.content[:300])
    if page.state:
        after = page.state(world)
        if expected in (200, 302) and page.method == "POST":
            assert after != before, f"{page.name}: an allowed write changed nothing"
        else:
            assert after == before, f"{page.name}: a denied write changed the database"
    if expected == 404:
        assert b"Emily Carter" not in response.content  # the patient (staff names are random: one may be Emily)
    if page.audited:
        audited = AuditEvent.objects.filter(user=user, action="view").count() - audits_before
        if expected == 200:
            assert AuditEvent.objects.filter(
                user=user, action="view", object_id=str(world[page.audited].pk), channel="web"
            ).exists()
        else:
            assert audited == 0


def check_signed_out(client, world, page):
    before = page.state(world) if page.state else None

    response = call(client, page, world)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    if page.state:
        assert page.state(world) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", WRITES, ids=str)
def test_each_role_gets_its_answer(client, cast, world, page, role):
    check_cell(client, cast, world, page, role)


@pytest.mark.parametrize("page", WRITES, ids=str)
def test_nobody_signed_in_is_sent_to_sign_in(client, world, page):
    check_signed_out(client, world, page)


class TestReads:
    """The cells that only read, on one world built once for them all (`shared_cast`, tests/conftest.py): each
    runs in a savepoint of the class's transaction, so the audit event and last_login a read writes are gone
    before the next."""

    @pytest.fixture(scope="class")
    @classmethod
    def shared_data(cls, shared_cast):
        plan = make_plan(shared_cast["patient"])
        return {"cast": shared_cast["cast"], "world": build_world(plan, make_tree(plan))}

    @pytest.fixture
    def cast(self, shared):
        return shared["cast"]

    @pytest.fixture
    def world(self, shared):
        return shared["world"]

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("page", READS, ids=str)
    def test_each_role_gets_its_answer(self, client, cast, world, page, role):
        check_cell(client, cast, world, page, role)

    @pytest.mark.parametrize("page", READS, ids=str)
    def test_nobody_signed_in_is_sent_to_sign_in(self, client, world, page):
        check_signed_out(client, world, page)


def test_a_colleague_gets_the_not_found_page(client, colleague, world):
    client.force_login(colleague)

    response = client.get(reverse("plan-detail", args=[world["plan"].pk]))

    assert response.status_code == 404
    assert b"Not found" in response.content
    assert b"Anxiety Management Plan" not in response.content
