"""The review pages: record a review with the goals updated in place, errors that keep what was typed, a stale
form that says what changed, the versions pages, co-signing, and the plan page's reviews panel.

Forms are posted as a browser would: every field the page rendered (hidden ones included) with the values it
showed, changed where the user changed them.
"""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.models import PlanReview, PlanVersion
from reviews.services.reviews import review_cosign, review_record
from tests.factories import GoalFactory, PlanFactory, intervention
from tests.support import shown
from treatment.models import GoalStatus, TreatmentGoal, TreatmentPlan
from treatment.services import goal_update, plan_update

pytestmark = pytest.mark.django_db


class FormParser(HTMLParser):
    """The named fields of the page's POST forms as a browser would send them, with the labels and aria-labels."""

    def __init__(self):
        super().__init__()
        self.data, self.aria, self.labels = {}, {}, []
        self._select = self._textarea = self._label = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            self.data[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "label":
            self._label = ""
        if name and "aria-label" in attrs:
            self.aria[name] = attrs["aria-label"]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "label" and self._label is not None:
            self.labels.append(" ".join(self._label.split()))
            self._label = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data.lstrip("\n")
        if self._label is not None:
            self._label += data


def parse(response) -> FormParser:
    parser = FormParser()
    parser.feed(response.content.decode())
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser


def by(user):
    return AuditContext.system("tests", user=user)


def review_url(plan):
    return f"/plans/{plan.pk}/review/"


def status(goal):
    return f"status_{goal.pk.hex}"


def progress(goal):
    return f"progress_{goal.pk.hex}"


@pytest.fixture
def today(practice):
    return practice.today()


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


# --- the form ----------------------------------------------------------------------------------


def test_the_form_lists_every_goal_in_tree_order_with_its_status_and_progress(signed_in, plan, tree, today):
    response = signed_in.get(review_url(plan))

    assert response.status_code == 200
    html = response.content.decode()
    page = parse(response)
    long_term, short_term, objective = tree["long_term"], tree["short_term"], tree["objective"]
    positions = [html.index(g.description) for g in (long_term, short_term, objective)]
    assert positions == sorted(positions)
    for goal in (long_term, short_term, objective):
        assert page.data[status(goal)] == "not_started"
        assert page.data[f"initial-{status(goal)}"] == "not_started"
        assert page.aria[status(goal)] == f"Status: {goal.description}"
    # Only the objective has no sub-goals: its progress is entered, the others' is calculated.
    assert page.data[progress(objective)] == "0"
    assert page.aria[progress(objective)] == f"Progress (%): {objective.description}"
    assert progress(long_term) not in page.data and progress(short_term) not in page.data
    assert "review-depth-2" in html
    for label in ("Review date", "Summary", "Modifications made", "Next review date", "Status", "Progress (%)"):
        assert any(text == label or text.startswith(label + " (") for text in page.labels), label
    assert page.data["review_date"] == str(today)
    assert page.data["next_review_date"] == str(today + datetime.timedelta(days=90))
    assert page.data["etag"] == TreatmentPlan.objects.get(pk=plan.pk).etag
    assert "Record review" in html
    assert "Deep Breathing" in html


def test_the_form_is_an_audited_read_of_the_plan(signed_in, owner, plan, tree):
    signed_in.get(review_url(plan))

    assert AuditEvent.objects.filter(action="view", user=owner, object_id=str(plan.pk)).count() == 1


def test_a_closed_plan_has_no_review_form(signed_in, owner, plan, tree):
    plan_update(by=by(owner), plan=plan, status="completed", status_reason="Closed in a test.")

    response = signed_in.get(review_url(plan))

    assert response.status_code == 409
    assert b"This plan is completed; its record is closed to changes." in response.content
    assert "summary" not in parse(response).data


# --- recording ---------------------------------------------------------------------------------


def test_posting_the_form_records_the_review_and_updates_the_goals_changed(signed_in, owner, plan, tree, today):
    page = parse(signed_in.get(review_url(plan)))
    objective = tree["objective"]
    data = {
        **page.data,
        "summary": "Breathing practice is a habit now.",
        "modifications_made": "Objective achieved.",
        status(objective): "achieved",
    }

    response = signed_in.post(review_url(plan), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == f"/plans/{plan.pk}/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Review recorded — version 1 sealed"]
    review = PlanReview.objects.get()
    assert (review.summary, review.modifications_made, review.reviewer) == (
        "Breathing practice is a habit now.",
        "Objective achieved.",
        owner,
    )
    assert review.review_date == today
    assert review.next_review_date == today + datetime.timedelta(days=90)
    objective.refresh_from_db()
    assert (objective.status, objective.progress_percentage) == (GoalStatus.ACHIEVED, 100)
    sealed = {g["id"]: g for g in PlanVersion.objects.get().snapshot["goals"]}
    assert sealed[str(objective.pk)]["status"] == "achieved"
    # Only the goal the user changed went through goal_update (the others rolled up, unaudited).
    updated_goals = AuditEvent.objects.filter(action="update", object_type="treatment.treatmentgoal")
    assert list(updated_goals.values_list("object_id", flat=True)) == [str(objective.pk)]


def test_progress_entered_for_a_goal_is_saved(signed_in, plan, tree):
    page = parse(signed_in.get(review_url(plan)))
    objective = tree["objective"]

    response = signed_in.post(
        review_url(plan),
        {**page.data, "summary": "Halfway.", status(objective): "in_progress", progress(objective): "50"},
    )

    assert response.status_code == 302
    objective.refresh_from_db()
    assert (objective.status, objective.progress_percentage) == (GoalStatus.IN_PROGRESS, 50)
    assert TreatmentGoal.objects.get(pk=tree["long_term"].pk).progress_percentage == 50


def test_an_empty_next_review_date_takes_the_frequency(signed_in, plan, tree, today):
    page = parse(signed_in.get(review_url(plan)))

    signed_in.post(review_url(plan), {**page.data, "summary": "Fine.", "next_review_date": ""})

    assert PlanReview.objects.get().next_review_date == today + datetime.timedelta(days=90)


def test_a_second_review_seals_version_2(signed_in, owner, plan, tree, today):
    review_record(by=by(owner), plan=plan, review_date=today, summary="First.")
    page = parse(signed_in.get(review_url(plan)))

    response = signed_in.post(review_url(plan), {**page.data, "summary": "Second."})

    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Review recorded — version 2 sealed"]


# --- errors keep what was typed ----------------------------------------------------------------


def test_service_errors_show_inline_and_keep_everything_typed(signed_in, plan, tree, today):
    page = parse(signed_in.get(review_url(plan)))
    objective = tree["objective"]
    data = {
        **page.data,
        "summary": "  ",
        "modifications_made": "Moved sessions to weekly.",
        "next_review_date": str(today),
        status(objective): "in_progress",
        progress(objective): "70",
    }

    response = signed_in.post(review_url(plan), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Write what the review found." in html
    assert "The next review must come after this one." in html
    again = parse(response)
    assert again.data["modifications_made"] == "Moved sessions to weekly."
    assert again.data["next_review_date"] == str(today)
    assert again.data[status(objective)] == "in_progress"
    assert again.data[progress(objective)] == "70"
    # The loaded values still travel with the form.
    assert again.data[f"initial-{status(objective)}"] == "not_started"
    assert PlanReview.objects.count() == 0
    assert TreatmentGoal.objects.get(pk=objective.pk).status == GoalStatus.NOT_STARTED


def test_a_future_review_date_is_refused_on_its_field(signed_in, plan, tree, today):
    page = parse(signed_in.get(review_url(plan)))
    future = str(today + datetime.timedelta(days=3))

    response = signed_in.post(review_url(plan), {**page.data, "summary": "Early.", "review_date": future})

    assert response.status_code == 200
    assert re.search(r'id="id_review_date_error"[^>]*>A review is recorded after it happens', response.content.decode())
    assert parse(response).data["review_date"] == future
    assert PlanReview.objects.count() == 0


def test_an_out_of_range_progress_is_refused_on_that_goal(signed_in, plan, tree):
    page = parse(signed_in.get(review_url(plan)))
    objective = tree["objective"]

    response = signed_in.post(review_url(plan), {**page.data, "summary": "Odd.", progress(objective): "150"})

    assert response.status_code == 200
    assert f'id="id_{progress(objective)}_error"' in response.content.decode()
    assert parse(response).data[progress(objective)] == "150"
    assert PlanReview.objects.count() == 0


# --- a stale form ------------------------------------------------------------------------------


def test_a_plan_saved_meanwhile_shows_what_changed_and_keeps_the_form(signed_in, owner, plan, tree):
    page = parse(signed_in.get(review_url(plan)))
    plan_update(by=by(owner), plan=plan, title="Anxiety and Sleep Plan")
    objective = tree["objective"]
    data = {**page.data, "summary": "Typed before the rename.", status(objective): "in_progress"}

    response = signed_in.post(review_url(plan), data)

    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this plan first" in html
    assert "Anxiety Management Plan" in html and "Anxiety and Sleep Plan" in html
    again = parse(response)
    assert again.data["summary"] == "Typed before the rename."
    assert again.data[status(objective)] == "in_progress"
    assert again.data["etag"] == TreatmentPlan.objects.get(pk=plan.pk).etag
    assert PlanReview.objects.count() == 0

    # Having seen the change, the user records the review.
    assert signed_in.post(review_url(plan), again.data).status_code == 302
    assert PlanReview.objects.get().summary == "Typed before the rename."


def test_a_goal_changed_meanwhile_is_shown_and_not_overwritten(signed_in, owner, plan, tree):
    page = parse(signed_in.get(review_url(plan)))
    objective = tree["objective"]
    # Someone records progress on the objective while the review page is open.
    goal_update(by=by(owner), goal=objective, status="in_progress", progress_percentage=40)
    data = {**page.data, "summary": "Typed meanwhile.", "modifications_made": "None."}

    response = signed_in.post(review_url(plan), data)

    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this plan first" in html
    assert objective.description in html
    again = parse(response)
    # What the user did not touch now shows the current state; what they typed is kept.
    assert again.data[status(objective)] == "in_progress"
    assert again.data[progress(objective)] == "40"
    assert again.data["summary"] == "Typed meanwhile."
    assert PlanReview.objects.count() == 0

    assert signed_in.post(review_url(plan), again.data).status_code == 302
    objective.refresh_from_db()
    assert (objective.status, objective.progress_percentage) == (GoalStatus.IN_PROGRESS, 40)


def test_a_goal_added_meanwhile_is_shown(signed_in, plan, tree):
    page = parse(signed_in.get(review_url(plan)))
    added = GoalFactory(plan=plan, description="Sleep seven hours on most nights", priority=2)

    response = signed_in.post(review_url(plan), {**page.data, "summary": "Typed."})

    assert response.status_code == 409
    assert added.description in response.content.decode()
    assert parse(response).data[status(added)] == "not_started"


# --- query counts ------------------------------------------------------------------------------


def _plan_with_goals(patient, n, owner=None):
    plan = PlanFactory(patient=patient)
    breathing = intervention("Deep Breathing")
    for _ in range(n):
        top = GoalFactory(plan=plan, interventions=[{"intervention": breathing}])
        mid = GoalFactory(parent_goal=top, goal_type="short_term", interventions=[{"intervention": breathing}])
        GoalFactory(parent_goal=mid, goal_type="objective", interventions=[{"intervention": breathing}])
    return plan


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:2000]
    return len(queries.captured_queries)


@pytest.mark.parametrize(
    "page",
    ["review/", "versions/", "versions/1/", "versions/compare/?a=1&b=current", "versions/compare/?a=1&b=2"],
)
def test_pages_cost_the_same_for_3_and_30_goals(signed_in, owner, patient, today, page):
    plans = []
    for n in (1, 10):
        plan = _plan_with_goals(patient, n)
        review_record(by=by(owner), plan=plan, review_date=today - datetime.timedelta(days=1), summary="One.")
        review_record(by=by(owner), plan=plan, review_date=today, summary="Two.")
        plans.append(plan)
    small, large = (f"/plans/{p.pk}/{page}" for p in plans)
    signed_in.get(small)  # warm the per-process caches

    small_count = _queries(signed_in, small)

    assert _queries(signed_in, large) == small_count
    # Session and user, the page's own reads (plan, versions, goals, links), the audit INSERT, the base
    # template's (practice, unread notifications) and the session's save.
    assert small_count <= 14


# --- versions pages ----------------------------------------------------------------------------


@pytest.fixture
def reviewed(owner, plan, tree, today):
    review_record(by=by(owner), plan=plan, review_date=today - datetime.timedelta(days=7), summary="First look.")
    goal_update(by=by(owner), goal=tree["objective"], status="achieved")
    GoalFactory(plan=plan, description="Sleep seven hours on most nights", priority=2)
    review_record(by=by(owner), plan=plan, review_date=today, summary="Second look.")
    plan_update(by=by(owner), plan=plan, title="Anxiety and Sleep Plan")
    return plan


def test_versions_page_lists_the_sealed_versions(signed_in, reviewed):
    response = signed_in.get(f"/plans/{reviewed.pk}/versions/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Version 2") < html.index("Version 1")
    assert f"/plans/{reviewed.pk}/versions/compare/?a=1&amp;b=current" in html
    assert "Compare with current" in html


def test_a_version_page_shows_the_plan_as_reviewed(signed_in, reviewed, tree):
    response = signed_in.get(f"/plans/{reviewed.pk}/versions/1/")

    html = response.content.decode()
    assert response.status_code == 200
    heading = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert "Anxiety Management Plan" in heading  # the title then, not the current one
    assert "First look." in html
    assert tree["objective"].description in html and "Not started" in html
    assert "Sleep seven hours" not in html  # added after version 1
    assert "Deep Breathing" in html
    assert "F41.1" in html
    assert "<form" not in html.split("<main", 1)[1].split("</main>", 1)[0]  # read-only


def test_a_missing_version_page_is_404(signed_in, reviewed):
    assert signed_in.get(f"/plans/{reviewed.pk}/versions/9/").status_code == 404


def test_compare_two_versions_highlights_what_changed(signed_in, reviewed, tree):
    response = signed_in.get(f"/plans/{reviewed.pk}/versions/compare/", {"a": "1", "b": "2"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Goals added" in html and "<ins>Sleep seven hours on most nights</ins>" in html
    assert "Goals changed" in html
    assert "<del>Not started</del>" in html and "<ins>Achieved</ins>" in html
    assert "<ins>Anxiety and Sleep Plan</ins>" not in html  # renamed after version 2


def test_compare_a_version_with_the_current_plan(signed_in, reviewed):
    response = signed_in.get(f"/plans/{reviewed.pk}/versions/compare/", {"a": "2", "b": "current"})

    html = response.content.decode()
    assert "<del>Anxiety Management Plan</del>" in html and "<ins>Anxiety and Sleep Plan</ins>" in html
    assert "the current plan" in html


def test_compare_defaults_to_the_latest_version_and_the_current_plan(signed_in, reviewed):
    response = signed_in.get(f"/plans/{reviewed.pk}/versions/compare/")

    assert "What changed from version 2 to the current plan" in response.content.decode()


def test_compare_with_nothing_sealed(signed_in, plan):
    response = signed_in.get(f"/plans/{plan.pk}/versions/compare/")

    assert response.status_code == 200
    assert b"nothing to compare" in response.content


@pytest.mark.parametrize("query", [{"a": "7"}, {"a": "1", "b": "9"}, {"a": "x"}])
def test_compare_with_a_missing_version_is_404(signed_in, reviewed, query):
    assert signed_in.get(f"/plans/{reviewed.pk}/versions/compare/", query).status_code == 404


# --- co-signing --------------------------------------------------------------------------------


def test_the_supervisor_cosigns_from_the_page(client, owner, supervisor, plan, tree, today):
    review = review_record(by=by(owner), plan=plan, review_date=today, summary="Reviewed.")
    client.force_login(supervisor)

    response = client.post(f"/reviews/{review.pk}/cosign/")

    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/"
    assert PlanReview.objects.get(pk=review.pk).cosigned_by == supervisor
    assert [str(m) for m in get_messages(response.wsgi_request)] == [f"Review of {shown(today)} co-signed."]

    again = client.post(f"/reviews/{review.pk}/cosign/")
    assert [str(m) for m in get_messages(again.wsgi_request)][-1] == "This review is already co-signed."


def test_cosign_is_post_only(client, owner, supervisor, plan, tree, today):
    review = review_record(by=by(owner), plan=plan, review_date=today, summary="Reviewed.")
    client.force_login(supervisor)

    assert client.get(f"/reviews/{review.pk}/cosign/").status_code == 405
    assert PlanReview.objects.get(pk=review.pk).cosigned_by is None


# --- the plan page's panel ---------------------------------------------------------------------


def panel(plan, user, can_change):
    request = RequestFactory().get(f"/plans/{plan.pk}/")
    request.user = user
    plan = (
        TreatmentPlan.objects.select_related("therapist")
        .prefetch_related("reviews__reviewer", "reviews__cosigned_by", "versions")
        .get(pk=plan.pk)
    )
    return render_to_string(
        "reviews/_plan_reviews.html", {"plan": plan, "can_change": can_change, "user": user}, request=request
    )


@pytest.fixture
def two_reviews(owner, supervisor, plan, tree, today):
    first = review_record(by=by(owner), plan=plan, review_date=today - datetime.timedelta(days=30), summary="First.")
    review_cosign(by=by(supervisor), review=first)
    second = review_record(
        by=by(owner), plan=plan, review_date=today, summary="Second.", goals_reviewed=3, goals_on_track=2
    )
    return first, second


def test_the_panel_lists_reviews_and_versions(owner, plan, two_reviews, today):
    html = panel(plan, owner, can_change=True)

    assert html.index("Second.") < html.index("First.")
    assert "2 of 3 goals on track" in html
    assert "Co-signed" in html and "Not co-signed" in html
    assert f'href="/plans/{plan.pk}/review/"' in html and "Record review" in html
    assert f"/plans/{plan.pk}/versions/1/" in html and f"/plans/{plan.pk}/versions/2/" in html
    assert "Compare with current" in html
    assert "/cosign/" not in html  # the owner reviewed: nothing to co-sign
    assert "{#" not in html and "{%" not in html  # no template comment leaks onto the page


def test_the_panel_offers_the_supervisor_a_cosign_button(supervisor, plan, two_reviews):
    html = panel(plan, supervisor, can_change=False)

    assert html.count("/cosign/") == 1
    assert f"/reviews/{two_reviews[1].pk}/cosign/" in html
    assert "Record review" not in html


def test_the_panel_without_change_or_on_a_closed_plan_has_no_record_button(owner, practice_admin, plan, two_reviews):
    assert "Record review" not in panel(plan, practice_admin, can_change=False)
    plan_update(by=by(owner), plan=plan, status="completed", status_reason="Closed in a test.")
    assert "Record review" not in panel(plan, owner, can_change=True)


def test_the_panel_of_a_plan_never_reviewed(owner, plan):
    html = panel(plan, owner, can_change=True)

    assert "No review recorded yet." in html and "No version sealed yet." in html
