"""The plan builder and the plan page: create and edit (with and without htmx), errors keep what was typed,
a stale ETag is a conflict, the status change, what the page shows, who sees edit controls, and query counts
that do not grow with the goal tree.
"""

import datetime
import re

import pytest
from django.urls import reverse

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from tests.factories import GoalFactory, PlanFactory, intervention
from tests.support import shown
from treatment.models import GoalIntervention, TreatmentPlan
from treatment.services import plan_update, progress_record, session_record

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def create_url(patient):
    return reverse("plan-create", args=[patient.pk])


def builder_data(**overrides):
    data = {
        "title": "Anxiety Management Plan",
        "start_date": "2026-09-01",
        "target_end_date": "2027-03-01",
        "review_frequency_days": "60",
        "notes": "Prefers morning sessions.",
        "diagnosis_codes": ["F41.1", "F51.01"],
        "diagnosis_codes_text": "",
        "presenting_problems": ["chronic worry", "sleep difficulties", ""],
    }
    data.update(overrides)
    return data


def text(response) -> str:
    return response.content.decode()


# --- the builder: create ---------------------------------------------------------------------------


def test_the_builder_starts_from_the_practice_defaults(owner_client, patient):
    patient.practice.default_review_frequency_days = 45
    patient.practice.save()

    response = owner_client.get(create_url(patient))

    assert response.status_code == 200
    body = text(response)
    assert "New treatment plan" in body
    assert 'name="review_frequency_days" value="45"' in body
    assert f'name="start_date" value="{patient.practice.today():%Y-%m-%d}"' in body
    for label in ("Title", "Start date", "Target end date", "Review frequency (days)", "Notes", "Search diagnoses"):
        assert f">{label}" in body, label
    assert "Diagnosis codes (comma-separated)" in body
    assert "Presenting problem 1" in body
    assert 'hx-get="/diagnoses/search/"' in body
    assert 'hx-trigger="input changed delay:250ms' in body


def test_creating_a_plan_saves_diagnoses_problems_and_goes_to_the_plan_page(owner_client, owner, patient):
    response = owner_client.post(create_url(patient), builder_data(diagnosis_codes_text="z63.0, F41.1"))

    plan = TreatmentPlan.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == reverse("plan-detail", args=[plan.pk])
    assert plan.title == "Anxiety Management Plan"
    assert plan.therapist == owner
    assert [d["code"] for d in plan.diagnosis_codes] == ["F41.1", "F51.01", "Z63.0"]
    assert plan.diagnosis_codes[0]["description"] == "Generalized anxiety disorder"
    assert plan.presenting_problems == ["chronic worry", "sleep difficulties"]
    assert plan.review_frequency_days == 60
    assert plan.next_review_date == datetime.date(2026, 10, 31)
    assert plan.target_end_date == datetime.date(2027, 3, 1)
    assert AuditEvent.objects.filter(action="create", channel="web", object_id=str(plan.pk), user=owner).exists()


def test_a_refused_plan_keeps_everything_typed(owner_client, patient):
    data = builder_data(title="", diagnosis_codes=["F41.1"], diagnosis_codes_text="F41", target_end_date="2026-01-01")

    response = owner_client.post(create_url(patient), data)

    assert response.status_code == 200
    assert not TreatmentPlan.objects.filter(patient=patient).exists()
    body = text(response)
    assert "This field is required." in body  # the title
    assert 'name="diagnosis_codes" value="F41.1"' in body  # the chosen chip stays
    assert 'value="F41"' in body  # the typed code stays
    assert 'value="chronic worry"' in body and 'value="sleep difficulties"' in body
    assert 'value="Prefers morning sessions."' not in body and "Prefers morning sessions." in body


def test_a_service_refusal_is_shown_on_the_diagnoses(owner_client, patient):
    response = owner_client.post(create_url(patient), builder_data(diagnosis_codes_text="F41"))

    assert response.status_code == 200
    assert not TreatmentPlan.objects.filter(patient=patient).exists()
    body = text(response)
    assert "F41 is a category; use a billable code" in body
    assert 'name="diagnosis_codes" value="F51.01"' in body
    assert 'name="title" value="Anxiety Management Plan"' in body


def test_the_target_end_date_before_the_start_is_refused_on_its_field(owner_client, patient):
    response = owner_client.post(create_url(patient), builder_data(target_end_date="2026-08-01"))

    assert response.status_code == 200
    assert "The target end date cannot be before the start date." in text(response)
    assert 'id="id_target_end_date_error"' in text(response)


# --- the builder's lists without JavaScript and with htmx --------------------------------------------


def test_without_javascript_search_add_and_remove_diagnoses_rerender_the_form(owner_client, patient):
    url = create_url(patient)

    searched = owner_client.post(
        url, builder_data(diagnosis_codes=[], diagnosis_q="generalized anxiety", search_diagnoses="1")
    )
    assert searched.status_code == 200
    assert 'name="add_diagnosis" value="F41.1"' in text(searched)
    assert 'name="title" value="Anxiety Management Plan"' in text(searched)
    assert not TreatmentPlan.objects.exists()

    added = owner_client.post(url, builder_data(diagnosis_codes=["F51.01"], add_diagnosis="f411"))
    assert 'name="diagnosis_codes" value="F51.01"' in text(added)
    assert 'name="diagnosis_codes" value="F41.1"' in text(added)
    assert "Generalized anxiety disorder" in text(added)

    removed = owner_client.post(url, builder_data(diagnosis_codes=["F41.1", "F51.01"], remove_diagnosis="F41.1"))
    assert 'name="diagnosis_codes" value="F41.1"' not in text(removed)
    assert 'name="diagnosis_codes" value="F51.01"' in text(removed)
    assert "This field is required" not in text(removed)
    assert not TreatmentPlan.objects.exists()


def test_without_javascript_presenting_problem_rows_are_added_and_removed(owner_client, patient):
    url = create_url(patient)

    added = owner_client.post(url, builder_data(presenting_problems=["chronic worry"], add_problem="1"))
    assert "Presenting problem 2" in text(added)
    assert 'id="problem-2" name="presenting_problems" value=""' in text(added)

    removed = owner_client.post(
        url, builder_data(presenting_problems=["chronic worry", "insomnia"], remove_problem="0")
    )
    body = text(removed)
    assert 'value="chronic worry"' not in body
    assert 'id="problem-1" name="presenting_problems" value="insomnia"' in body
    assert not TreatmentPlan.objects.exists()


def test_the_diagnosis_search_answers_billable_codes_as_buttons(owner_client):
    response = owner_client.get(reverse("diagnosis-search"), {"diagnosis_q": "generalized anxiety"}, **HTMX)

    body = text(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert re.search(r'<button type="submit" name="add_diagnosis" value="F41.1"', body)
    assert 'hx-post="/diagnoses/picker/"' in body
    assert 'value="F41"' not in body  # a category is not offered


def test_the_diagnosis_search_marks_codes_already_chosen(owner_client):
    response = owner_client.get(
        reverse("diagnosis-search"), {"diagnosis_q": "F41.1", "diagnosis_codes": ["F41.1"]}, **HTMX
    )

    assert re.search(r'value="F41.1"[^>]*\sdisabled', text(response))


def test_the_diagnosis_picker_adds_and_removes_chips(owner_client):
    added = owner_client.post(
        reverse("diagnosis-picker"), {"diagnosis_codes": ["F51.01"], "add_diagnosis": "F41.1"}, **HTMX
    )

    body = text(added)
    assert "<html" not in body
    assert body.count('name="diagnosis_codes"') == 2
    assert "Generalized anxiety disorder" in body
    assert 'aria-label="Remove F41.1 Generalized anxiety disorder"' in body
    assert "autofocus" in body  # back to the search box for the next one

    removed = owner_client.post(
        reverse("diagnosis-picker"), {"diagnosis_codes": ["F51.01", "F41.1"], "remove_diagnosis": "F51.01"}, **HTMX
    )
    assert text(removed).count('name="diagnosis_codes"') == 1
    assert 'value="F41.1"' in text(removed)


def test_the_presenting_problems_partial_adds_a_labelled_row(owner_client):
    response = owner_client.post(
        reverse("plan-problems"), {"presenting_problems": ["chronic worry"], "add_problem": "1"}, **HTMX
    )

    body = text(response)
    assert "<html" not in body
    assert '<label for="problem-2">Presenting problem 2</label>' in body
    assert 'value="chronic worry"' in body


# --- the builder: edit ---------------------------------------------------------------------------------


def edit_data(plan, **overrides):
    data = builder_data(
        title=plan.title,
        start_date=plan.start_date.isoformat(),
        target_end_date="",
        review_frequency_days=str(plan.review_frequency_days),
        notes="",
        diagnosis_codes=[d["code"] for d in plan.diagnosis_codes],
        presenting_problems=plan.presenting_problems,
        etag=plan.etag,
    )
    data.update(overrides)
    return data


def test_the_edit_page_shows_the_plan(owner_client, owner, plan):
    response = owner_client.get(reverse("plan-edit", args=[plan.pk]))

    body = text(response)
    assert response.status_code == 200
    assert 'name="title" value="Anxiety Management Plan"' in body
    assert 'name="diagnosis_codes" value="F41.1"' in body
    assert 'value="chronic worry"' in body
    assert f'name="etag" value="{plan.etag.replace(chr(34), "&quot;")}"' in body
    assert AuditEvent.objects.filter(action="view", object_id=str(plan.pk), user=owner, channel="web").exists()


def test_editing_a_plan_saves_it_with_its_etag(owner_client, plan):
    response = owner_client.post(
        reverse("plan-edit", args=[plan.pk]),
        edit_data(
            plan, title="Anxiety and Sleep Plan", diagnosis_codes=["F41.1", "F51.01"], presenting_problems=["worry"]
        ),
    )

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.title == "Anxiety and Sleep Plan"
    assert [d["code"] for d in plan.diagnosis_codes] == ["F41.1", "F51.01"]
    assert plan.presenting_problems == ["worry"]


def test_editing_keeps_a_diagnosis_in_the_plans_own_wording(owner_client, plan):
    plan_update(
        by=AuditContext.system("tests"),
        plan=plan,
        diagnosis_codes=[{"code": "F41.1", "description": "GAD, with panic features"}],
    )
    plan.refresh_from_db()

    page = owner_client.get(reverse("plan-edit", args=[plan.pk]))
    assert "GAD, with panic features" in text(page)
    owner_client.post(reverse("plan-edit", args=[plan.pk]), edit_data(plan, title="Renamed"))

    plan.refresh_from_db()
    assert plan.diagnosis_codes == [{"code": "F41.1", "description": "GAD, with panic features"}]


def test_a_stale_etag_is_a_conflict_that_keeps_the_input(owner_client, plan):
    stale = plan.etag
    plan_update(by=AuditContext.system("tests"), plan=plan, notes="Saved by a colleague")

    response = owner_client.post(
        reverse("plan-edit", args=[plan.pk]), edit_data(plan, etag=stale, title="My new title", notes="My notes")
    )

    assert response.status_code == 200
    body = text(response)
    assert "Someone else saved this plan first" in body
    assert 'name="title" value="My new title"' in body
    assert "My notes" in body
    plan.refresh_from_db()
    assert plan.title == "Anxiety Management Plan"
    assert plan.notes == "Saved by a colleague"
    # The form now names the current state: saving again is a deliberate overwrite.
    assert f'name="etag" value="{plan.etag.replace(chr(34), "&quot;")}"' in body
    again = owner_client.post(reverse("plan-edit", args=[plan.pk]), edit_data(plan, title="My new title"))
    assert again.status_code == 302
    plan.refresh_from_db()
    assert plan.title == "My new title"


def test_a_closed_plan_cannot_be_edited(owner_client, plan):
    plan_update(by=AuditContext.system("tests"), plan=plan, status="completed", status_reason="Closed in a test.")

    response = owner_client.get(reverse("plan-edit", args=[plan.pk]))
    post = owner_client.post(reverse("plan-edit", args=[plan.pk]), {"title": "Renamed"})

    assert (response.status_code, post.status_code) == (409, 409)
    assert "This plan is completed; its record is closed to changes." in text(response)
    assert TreatmentPlan.objects.get(pk=plan.pk).title == plan.title


def test_a_practice_admin_names_the_therapist_from_the_care_team(client, practice_admin, owner, patient):
    client.force_login(practice_admin)

    page = client.get(create_url(patient))
    assert ">Therapist" in text(page)
    assert f'<option value="{owner.pk}" selected>' in text(page)  # the primary therapist, unless changed
    client.post(create_url(patient), builder_data(therapist=str(owner.pk)))

    assert TreatmentPlan.objects.get(patient=patient).therapist == owner


# --- the plan page ------------------------------------------------------------------------------------


@pytest.fixture
def recorded(owner, patient, plan, tree):
    """A session on the objective with a rated progress entry, and a rated intervention."""
    objective = tree["objective"]
    session_record(
        by=AuditContext.system("tests", user=owner),
        patient=patient,
        session_date=patient.practice.today() - datetime.timedelta(days=3),
        duration_minutes=50,
        plan=plan,
        goals=[objective],
        progress=[{"goal": objective, "progress_note": "Breathing on four days", "rating": 4}],
    )
    link = GoalIntervention.objects.get(goal=objective)
    link.effectiveness_rating = 4
    link.save()
    return tree


def test_the_plan_page_shows_the_plan_tree_progress_and_sessions(owner_client, owner, patient, plan, recorded):
    plan_update(
        by=AuditContext.system("tests"),
        plan=plan,
        diagnosis_codes=[{"code": "F41.1"}, {"code": "F51.01"}],
        target_end_date=datetime.date(2027, 3, 1),
    )
    GoalFactory(plan=plan, description="Return to work part-time", baseline_value="0 days", target_value="3 days")

    response = owner_client.get(reverse("plan-detail", args=[plan.pk]))

    assert response.status_code == 200
    body = text(response)
    plan.refresh_from_db()
    assert "<h1>Anxiety Management Plan</h1>" in body
    assert f'href="{patient.get_absolute_url()}">Emily Carter</a>' in body
    assert str(owner) in body
    assert "F41.1" in body and "Generalized anxiety disorder" in body and "F51.01" in body
    assert "chronic worry" in body and "sleep difficulties" in body
    assert "Started 1 Sep 2026" in body and "target end 1 Mar 2027" in body
    assert 'badge badge-active">Active' in body
    assert "v1" in body
    assert f"next review due {shown(plan.next_review_date)}" in body
    # The tree, its progress bars with text figures, and the objective's chart over time.
    assert "Reduce overall anxiety levels to a manageable state" in body
    assert "Learn and practice 3 relaxation techniques" in body
    assert "Practice deep breathing daily" in body
    assert 'role="progressbar"' in body and 'aria-valuenow="40"' in body and ">40%<" in body
    assert re.search(r"Baseline</span> 0 days\s*<span aria-hidden=\"true\">→", body)
    assert body.count("<svg") == 1 and 'role="img"' in body
    assert "Deep Breathing" in body and "effectiveness 4/5" in body
    # Recent sessions.
    assert "50 min · 1 goal addressed" in body
    # Edit controls for the owner.
    assert "Edit plan" in body and "Add long-term goal" in body and "Change status" in body
    assert "Add short-term goal" in body and "Add objective" in body and "Add intervention" in body
    assert AuditEvent.objects.filter(action="view", object_id=str(plan.pk), user=owner, channel="web").exists()


def test_the_plan_page_links_to_record_a_session(owner_client, plan):
    url = reverse("session-record", args=[plan.pk])

    assert f'href="{url}"' in text(owner_client.get(reverse("plan-detail", args=[plan.pk])))


def test_progress_bars_are_coloured_by_band(owner_client, plan):
    for description, rating in (("Low goal", 2), ("Mid goal", 5), ("High goal", 8)):
        goal = GoalFactory(plan=plan, description=description)
        progress_record(by=AuditContext.system("tests"), goal=goal, progress_note="Observed", rating=rating)

    body = text(owner_client.get(reverse("plan-detail", args=[plan.pk])))

    for level, value in (("low", 20), ("mid", 50), ("high", 80)):
        assert re.search(rf'progress-bar progress-{level}"[^>]*aria-valuenow="{value}"', body), level
        assert f">{value}%<" in body


def test_a_parent_goals_chart_is_labelled_as_its_own_ratings_not_its_rollup(owner_client, plan, tree):
    by = AuditContext.system("tests")
    progress_record(by=by, goal=tree["short_term"], progress_note="Own rating", rating=3)
    progress_record(by=by, goal=tree["objective"], progress_note="Leaf rating", rating=9)

    body = text(owner_client.get(reverse("plan-detail", args=[plan.pk])))

    # The short-term goal's bar is its objective's 90%; its chart plots the 30% recorded on it.
    assert body.count("Its progress is the weighted average of its sub-goals") == 2  # long- and short-term goals
    assert body.count("Ratings recorded on this goal itself") == 1
    assert body.count("Progress over time") == 1  # the objective's own chart
    assert "No rated progress recorded yet." not in body  # the long-term goal is a rollup, not "empty"


def test_the_supervisor_reads_the_plan_without_edit_controls(client, supervisor, plan, tree):
    client.force_login(supervisor)

    body = text(client.get(reverse("plan-detail", args=[plan.pk])))

    assert "Practice deep breathing daily" in body
    for control in ("Edit plan", "Add long-term goal", "Change status", "Edit goal", "Add intervention", "Move up"):
        assert control not in body, control


def test_a_closed_plan_shows_no_edit_controls(owner_client, plan, tree):
    plan_update(by=AuditContext.system("tests"), plan=plan, status="discontinued", status_reason="Closed in a test.")

    body = text(owner_client.get(reverse("plan-detail", args=[plan.pk])))

    assert 'badge badge-discontinued">Discontinued' in body
    assert "Not required (plan closed)" in body
    for control in ("Edit plan", "Add long-term goal", "Change status", "Edit goal", "Add intervention", "Rate"):
        assert control not in body, control


def test_review_status_shows_overdue_with_its_date(owner_client, plan):
    past = plan.patient.practice.today() - datetime.timedelta(days=2)
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        next_review_date=past, start_date=past - datetime.timedelta(days=30)
    )

    body = text(owner_client.get(reverse("plan-detail", args=[plan.pk])))

    assert 'badge badge-danger">Review: Overdue' in body
    assert f"next review due {shown(past)}" in body


# --- the status change --------------------------------------------------------------------------------


def test_changing_the_status_offers_only_the_allowed_transitions(owner_client, plan):
    body = text(owner_client.get(reverse("plan-detail", args=[plan.pk])))
    select = re.search(r'<select name="status".*?</select>', body, re.S).group(0)

    assert re.findall(r'value="(\w+)"', select) == ["on_hold", "completed", "discontinued"]

    response = owner_client.post(reverse("plan-status", args=[plan.pk]), {"status": "on_hold", "etag": plan.etag})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "on_hold"


def test_a_refused_status_shows_the_error_on_the_page(owner_client, plan):
    response = owner_client.post(reverse("plan-status", args=[plan.pk]), {"status": "active", "etag": plan.etag})

    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert TreatmentPlan.objects.get(pk=plan.pk).status == "active"


def test_a_status_change_on_a_stale_plan_is_a_conflict(owner_client, plan):
    stale = plan.etag
    plan_update(by=AuditContext.system("tests"), plan=plan, notes="Changed meanwhile")

    response = owner_client.post(reverse("plan-status", args=[plan.pk]), {"status": "on_hold", "etag": stale})

    assert response.status_code == 200
    assert "Someone else saved this plan first" in text(response)
    assert TreatmentPlan.objects.get(pk=plan.pk).status == "active"


# --- query counts -------------------------------------------------------------------------------------


def _grow(plan, n, by):
    """`n` long-term goals, each with a short-term goal and an objective with an intervention and two rated
    progress entries."""
    for i in range(n):
        long_term = GoalFactory(plan=plan, priority=1 + i % 10)
        short_term = GoalFactory(parent_goal=long_term, goal_type="short_term")
        objective = GoalFactory(
            parent_goal=short_term,
            goal_type="objective",
            interventions=[{"intervention": intervention("Deep Breathing"), "frequency": "daily"}],
        )
        for rating in (3, 6):
            progress_record(by=by, goal=objective, progress_note="Observed", rating=rating)


def test_the_plan_page_costs_the_same_for_3_and_30_goals(
    owner_client, owner, patient, django_assert_max_num_queries, django_assert_num_queries
):
    by = AuditContext.system("tests", user=owner)
    small = PlanFactory(patient=patient, title="Small plan")
    _grow(small, 1, by)
    large = PlanFactory(patient=patient, title="Large plan")
    _grow(large, 10, by)
    owner_client.get(reverse("plan-detail", args=[small.pk]))  # warm per-process caches

    with django_assert_max_num_queries(20) as few:
        small_page = owner_client.get(reverse("plan-detail", args=[small.pk]))
    assert text(small_page).count('class="goal-card ') == 3

    with django_assert_num_queries(len(few.captured_queries)):
        large_page = owner_client.get(reverse("plan-detail", args=[large.pk]))
    assert text(large_page).count('class="goal-card ') == 30
    assert text(large_page).count("<svg") == 10


def test_the_goal_tree_partial_costs_the_same_for_3_and_30_goals(
    owner_client, owner, patient, django_assert_max_num_queries, django_assert_num_queries
):
    by = AuditContext.system("tests", user=owner)
    small = PlanFactory(patient=patient, title="Small plan")
    _grow(small, 1, by)
    large = PlanFactory(patient=patient, title="Large plan")
    _grow(large, 10, by)
    owner_client.get(reverse("plan-goal-tree", args=[small.pk]), **HTMX)

    with django_assert_max_num_queries(12) as few:
        owner_client.get(reverse("plan-goal-tree", args=[small.pk]), **HTMX)
    with django_assert_num_queries(len(few.captured_queries)):
        body = text(owner_client.get(reverse("plan-goal-tree", args=[large.pk]), **HTMX))
    assert body.count('class="goal-card ') == 30
