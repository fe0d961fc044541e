"""The version history and the version diff show the amendment reasons beside each change (issue 13).

Version 1 is sealed by a review; the plan is then signed and amended (a goal reworded, the plan renamed, an
intervention's frequency changed, a goal added, each with its own reason); a second review seals version 2.
The diff 1 -> 2 lists those amendments and puts each reason beside the change it made; the diff 2 -> current has
none; the versions page lists every amendment, newest first. Both pages cost the same queries however many
amendments there are.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.services.reviews import review_record
from tests.factories import GoalFactory, make_tree, mark_signed
from treatment import services
from treatment.models import GoalIntervention, PlanAmendment

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def amended(owner, plan, practice):
    by = AuditContext(user=owner)
    goals = make_tree(plan)
    today = practice.today()
    review_record(by=by, plan=plan, review_date=today - datetime.timedelta(days=7), summary="First look.")
    mark_signed(plan)
    services.goal_update(
        by=by, goal=goals["long_term"], description="Anxiety no longer limits work", amendment_reason="R-goal"
    )
    services.plan_update(by=by, plan=plan, title="Anxiety and Sleep Plan", amendment_reason="R-title")
    link = GoalIntervention.objects.get(goal=goals["objective"])
    services.goal_intervention_update(by=by, link=link, frequency="twice daily", amendment_reason="R-link")
    services.goal_add(
        by=by, plan=plan, goal_type="long_term", description="Sleep seven hours", amendment_reason="R-new"
    )
    review_record(by=by, plan=plan, review_date=today, summary="Second look.")
    return {"plan": plan, **goals}


def row_with(html: str, text: str) -> str:
    """The table row (or list item) of the diff that holds `text`."""
    match = re.search(rf"<(tr|li|p)>(?:(?!</\1>).)*{re.escape(text)}(?:(?!</\1>).)*</\1>", html, re.S)
    assert match, text
    return match.group(0)


def test_the_diff_puts_each_reason_beside_its_change(signed_in, amended):
    plan = amended["plan"]
    html = signed_in.get(f"/plans/{plan.pk}/versions/compare/", {"a": "1", "b": "2"}).content.decode()
    assert "Amendments between the two" in html
    assert "<q>R-title</q>" in row_with(html, "<ins>Anxiety and Sleep Plan</ins>")
    assert "<q>R-goal</q>" in row_with(html, "<ins>Anxiety no longer limits work</ins>")
    assert "<q>R-new</q>" in row_with(html, "<ins>Sleep seven hours</ins>")
    assert "<q>R-link</q>" in row_with(html, "<ins>twice daily</ins>")
    # A reason sits only beside what its amendment changed.
    assert "R-goal" not in row_with(html, "<ins>Anxiety and Sleep Plan</ins>")
    for reason in ("R-goal", "R-title", "R-link", "R-new"):
        assert f'<th scope="row">{reason}</th>' in html


def test_the_diff_backwards_lists_the_same_amendments(signed_in, amended):
    plan = amended["plan"]
    html = signed_in.get(f"/plans/{plan.pk}/versions/compare/", {"a": "2", "b": "1"}).content.decode()
    assert '<th scope="row">R-title</th>' in html


def test_no_amendment_after_the_last_version(signed_in, amended):
    plan = amended["plan"]
    html = signed_in.get(f"/plans/{plan.pk}/versions/compare/", {"a": "2", "b": "current"}).content.decode()
    assert "Amendments between the two" not in html
    assert "Amendment reason" not in html


def test_the_versions_page_lists_the_amendments_newest_first(signed_in, amended, owner):
    plan = amended["plan"]
    html = signed_in.get(f"/plans/{plan.pk}/versions/").content.decode()
    assert "4 amendments, newest first" in html
    assert html.index("R-new") < html.index("R-link") < html.index("R-title") < html.index("R-goal")
    assert owner.get_full_name() in row_with(html, "R-goal")
    assert "Signed version 1" in row_with(html, "R-goal")
    viewed = AuditEvent.objects.filter(object_type="treatment.planamendment", action="view", user=owner)
    assert viewed.count() == 4


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("page", ["versions/", "versions/compare/?a=1&b=current"])
def test_the_pages_cost_the_same_for_1_and_10_amendments(signed_in, owner, patient, practice, page):
    by = AuditContext(user=owner)
    urls = []
    for n in (1, 10):
        plan = services.plan_create(by=by, patient=patient, title=f"Plan {n}", start_date=datetime.date(2026, 9, 1))
        goal = GoalFactory(plan=plan)
        review_record(by=by, plan=plan, review_date=practice.today(), summary="Sealed.")
        mark_signed(plan)
        for i in range(n):
            services.goal_update(by=by, goal=goal, description=f"Goal worded {i}", amendment_reason=f"Reason {i}")
        assert PlanAmendment.objects.filter(plan=plan).count() == n
        urls.append(f"/plans/{plan.pk}/{page}")
    signed_in.get(urls[0])
    assert _queries(signed_in, urls[1]) == _queries(signed_in, urls[0])


def test_the_api_diff_lists_the_amendments_between_the_versions(api, owner, amended):
    plan = amended["plan"]
    body = api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}/versions/1/diff?against=2").json()
    assert [a["reason"] for a in body["amendments"]] == ["R-goal", "R-title", "R-link", "R-new"]
    assert body["amendments"][1]["changes"][0]["fields"] == ["title"]
    after = api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}/versions/2/diff/").json()
    assert after["amendments"] == []
