"""Treatment records in Django admin: a practice admin opens their own practice's plans, goals, progress history
and sessions (never another practice's), every read is audited, nothing is added outside a plan's page or
deleted, progress and sessions are read-only, and plan and goal edits (the plan form and its goal inline) go
through `treatment.services`: transitions, the goal hierarchy and the rollup apply, a refusal is a form error
that writes nothing, and an accepted change writes its audit event."""

import datetime

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.audit import AuditContext
from accounts.models import AuditEvent, Role
from tests.factories import GoalFactory, PatientFactory, PlanFactory, UserFactory, intervention
from treatment import services
from treatment.models import GoalProgress, TherapySession, TreatmentGoal, TreatmentPlan

pytestmark = pytest.mark.django_db

SYSTEM = AuditContext.system("tests")
MODELS = ["treatmentplan", "treatmentgoal", "goalprogress", "therapysession"]
MODEL_CLASSES = {
    "treatmentplan": TreatmentPlan,
    "treatmentgoal": TreatmentGoal,
    "goalprogress": GoalProgress,
    "therapysession": TherapySession,
}


def url(model, obj=None, page="change"):
    base = f"/admin/treatment/{model}/"
    return base if obj is None else f"{base}{obj.pk}/{page}/"


def records_of(plan, patient, objective):
    """One record of each model for `plan`: the plan, a goal, a progress entry and a session."""
    entry = services.progress_record(by=SYSTEM, goal=objective, progress_note="Practised twice daily", rating=7)
    session = services.session_record(
        by=SYSTEM,
        patient=patient,
        plan=plan,
        session_date=datetime.date.today() - datetime.timedelta(days=3),
        duration_minutes=50,
        goals=[objective],
        interventions=[{"intervention": intervention("Deep Breathing"), "goal": objective}],
    )
    return {"treatmentplan": plan, "treatmentgoal": objective, "goalprogress": entry, "therapysession": session}


@pytest.fixture
def records(plan, patient, tree):
    return records_of(plan, patient, tree["objective"])


@pytest.fixture
def their_patient(other_practice):
    therapist = UserFactory(practice=other_practice, email="zebulon@harbor.example")
    return PatientFactory(primary_therapist=therapist, first_name="Quentin", last_name="Elsewhere")


@pytest.fixture
def their_records(their_patient):
    plan = PlanFactory(patient=their_patient, title="Harbor Grief Plan")
    long_term = GoalFactory(plan=plan, description="Harbor long-term goal")
    short_term = GoalFactory(parent_goal=long_term, goal_type="short_term", description="Harbor short-term goal")
    objective = GoalFactory(parent_goal=short_term, goal_type="objective", description="Harbor objective")
    return records_of(plan, their_patient, objective)


@pytest.fixture
def admin_client(client, practice_admin):
    client.force_login(practice_admin)
    return client


def page_data(response) -> dict:
    """What a browser posts back from an admin change page left as it is: the form and every inline."""
    bound_forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        bound_forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in bound_forms:
        for field in form:
            value = field.value()
            if isinstance(field.field, forms.BooleanField):
                if value:
                    data[field.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(v) for v in value]
            else:
                data[field.html_name] = "" if value is None else str(value)
            if field.field.show_hidden_initial:
                # Fields with a callable default (the JSON lists) carry their initial value in a hidden input.
                data[field.html_initial_name] = data[field.html_name]
    return data


def edit(client, obj, model="treatmentplan", **changes):
    """Open the change page, change `changes` (inline fields by their full name, e.g. goals-0-status), save."""
    page = client.get(url(model, obj))
    assert page.status_code == 200
    return client.post(url(model, obj), {**page_data(page), **changes})


def goal_row(response, goal) -> int:
    """The index of `goal`'s row in the plan page's goal inline."""
    formset = response.context["inline_admin_formsets"][0].formset
    return next(i for i, form in enumerate(formset.forms) if form.instance.pk == goal.pk)


def inline_errors(response) -> list[dict]:
    return response.context["inline_admin_formsets"][0].formset.errors


def snapshot_plan(plan):
    return TreatmentPlan.objects.filter(pk=plan.pk).values().get()


def snapshot_goals(plan):
    return list(TreatmentGoal.objects.filter(plan=plan).order_by("created_at").values())


def admin_events(action=None):
    events = AuditEvent.objects.filter(channel="admin")
    return events.filter(action=action) if action else events


# Reading


@pytest.mark.parametrize("model", MODELS)
def test_the_practice_admin_opens_the_list_and_the_record(admin_client, practice_admin, records, their_records, model):
    listing = admin_client.get(url(model))
    page = admin_client.get(url(model, records[model]))

    assert listing.status_code == 200
    shown = set(listing.context["cl"].result_list)
    assert records[model] in shown
    assert shown == set(MODEL_CLASSES[model].objects.restrict(practice_admin, "view"))
    assert page.status_code == 200
    assert page.context["original"] == records[model]


@pytest.mark.parametrize("model", MODELS)
def test_another_practices_records_are_not_found(admin_client, records, their_records, model):
    theirs = their_records[model]

    listing = admin_client.get(url(model))
    page = admin_client.get(url(model, theirs))
    history = admin_client.get(url(model, theirs, "history"))

    assert theirs not in listing.context["cl"].result_list
    assert b"Harbor" not in listing.content
    assert (page.status_code, page["Location"]) == (302, "/admin/")
    assert (history.status_code, history["Location"]) == (302, "/admin/")
    assert not admin_events().filter(object_id=str(theirs.pk)).exists()


def test_the_other_practices_admin_sees_only_their_plans(client, outsider_admin, records, their_records):
    client.force_login(outsider_admin)

    response = client.get(url("treatmentplan"))

    assert list(response.context["cl"].result_list) == [their_records["treatmentplan"]]


@pytest.mark.parametrize("model", MODELS)
def test_opening_a_record_writes_a_view_event(admin_client, practice_admin, patient, records, model):
    obj = records[model]

    admin_client.get(url(model, obj))

    event = admin_events("view").get(object_id=str(obj.pk))
    assert (event.object_type, event.user, event.patient, event.path) == (
        f"treatment.{model}",
        practice_admin,
        patient,
        url(model, obj),
    )


@pytest.mark.parametrize("model", MODELS)
def test_the_list_writes_a_view_event_per_record_shown(admin_client, patient, records, model):
    response = admin_client.get(url(model))

    shown = {str(obj.pk) for obj in response.context["cl"].result_list}
    events = admin_events("view").filter(object_type=f"treatment.{model}")
    assert str(records[model].pk) in shown
    assert sorted(events.values_list("object_id", flat=True)) == sorted(shown)
    assert set(events.values_list("patient", flat=True)) == {patient.pk}


@pytest.mark.parametrize("model", MODELS)
def test_a_list_costs_the_same_queries_however_many_rows_it_shows(admin_client, patient, records, model):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(url(model))
        return len(captured), len(response.context["cl"].result_list)

    few, shown_few = queries()
    for n in range(3):
        plan = PlanFactory(patient=patient, title=f"Follow-up plan {n}")
        long_term = GoalFactory(plan=plan)
        short_term = GoalFactory(parent_goal=long_term, goal_type="short_term")
        records_of(plan, patient, GoalFactory(parent_goal=short_term, goal_type="objective"))
    many, shown_many = queries()

    assert shown_many > shown_few
    assert many == few


def test_the_plan_list_searches_patients_and_filters_status(admin_client, plan, patient, their_records):
    patient.external_id = "RCC-0042"
    patient.save(update_fields=["external_id"])

    by_name = admin_client.get(url("treatmentplan"), {"q": "Carter"})
    by_mrn = admin_client.get(url("treatmentplan"), {"q": "RCC-0042"})
    closed = admin_client.get(url("treatmentplan"), {"status__exact": "completed"})

    assert list(by_name.context["cl"].result_list) == [plan]
    assert list(by_mrn.context["cl"].result_list) == [plan]
    assert list(closed.context["cl"].result_list) == []


def test_a_goal_page_shows_the_interventions_it_uses(admin_client, tree):
    response = admin_client.get(url("treatmentgoal", tree["objective"]))

    inline = response.context["inline_admin_formsets"][0]
    assert [form.instance.intervention.name for form in inline.formset.forms] == ["Deep Breathing"]
    assert not inline.has_add_permission and not inline.has_change_permission
    assert b"every session" in response.content


def test_the_admin_index_lists_the_treatment_records_without_add_links(admin_client):
    response = admin_client.get("/admin/")

    assert response.status_code == 200
    for model in MODELS:
        assert f'href="/admin/treatment/{model}/"'.encode() in response.content
        assert f'href="/admin/treatment/{model}/add/"'.encode() not in response.content
    assert b'href="/admin/interventions/intervention/add/"' in response.content


# What cannot be done


@pytest.mark.parametrize("model", MODELS)
def test_nothing_can_be_deleted(admin_client, records, model):
    obj = records[model]

    assert admin_client.get(url(model, obj, "delete")).status_code == 403
    assert admin_client.post(url(model, obj, "delete"), {"post": "yes"}).status_code == 403
    assert MODEL_CLASSES[model].objects.filter(pk=obj.pk).exists()


def test_the_plan_page_offers_no_goal_deletion(admin_client, plan, tree):
    response = admin_client.get(url("treatmentplan", plan))

    assert response.context["inline_admin_formsets"][0].has_delete_permission is False
    assert b"goals-0-DELETE" not in response.content


@pytest.mark.parametrize("model", MODELS)
def test_nothing_is_added_outside_a_plans_page(admin_client, records, model):
    count = MODEL_CLASSES[model].objects.count()

    assert admin_client.get(f"/admin/treatment/{model}/add/").status_code == 403
    assert admin_client.post(f"/admin/treatment/{model}/add/", {"title": "New"}).status_code == 403
    assert MODEL_CLASSES[model].objects.count() == count


@pytest.mark.parametrize("model", ["goalprogress", "therapysession"])
def test_progress_history_and_sessions_are_read_only(admin_client, records, model):
    obj = records[model]
    before = MODEL_CLASSES[model].objects.filter(pk=obj.pk).values().get()

    page = admin_client.get(url(model, obj))
    post = admin_client.post(url(model, obj), {"progress_note": "Rewritten", "duration_minutes": "5"})

    assert page.context["has_change_permission"] is False
    assert b'name="_save"' not in page.content
    assert post.status_code == 403
    assert MODEL_CLASSES[model].objects.filter(pk=obj.pk).values().get() == before


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.SUPERVISOR])
@pytest.mark.parametrize("model", MODELS)
def test_clinicians_cannot_reach_the_admin(client, practice, records, role, model):
    client.force_login(UserFactory(practice=practice, role=role))
    obj = records[model]

    listing = client.get(url(model))
    page = client.get(url(model, obj))

    for response in (listing, page):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert not admin_events().exists()


# Changing a plan


def test_a_title_change_goes_through_the_service_and_is_audited(admin_client, practice_admin, plan, tree):
    response = edit(admin_client, plan, title="  Anxiety and Sleep Plan ")

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    plan.refresh_from_db()
    assert plan.title == "Anxiety and Sleep Plan"
    event = admin_events("update").get(object_id=str(plan.pk))
    assert (event.user, event.object_type) == (practice_admin, "treatment.treatmentplan")
    assert event.changes == {"title": ["Anxiety Management Plan", "Anxiety and Sleep Plan"]}
    # The unchanged goals were not rewritten.
    assert not admin_events("update").exclude(object_id=str(plan.pk)).exists()


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("active", "on_hold"),
        ("on_hold", "active"),
        ("active", "completed"),
        ("on_hold", "discontinued"),
    ],
)
def test_an_allowed_status_change_is_saved(admin_client, plan, start, target):
    if start != "active":
        services.plan_update(by=SYSTEM, plan=plan, status=start)

    reason = "Closed in a test." if target in ("completed", "discontinued") else ""
    response = edit(admin_client, plan, status=target, status_reason=reason)

    assert response.status_code == 302, response.context["adminform"].form.errors
    plan.refresh_from_db()
    assert plan.status == target
    assert (plan.actual_end_date is not None) == plan.is_closed
    assert admin_events("update").get(object_id=str(plan.pk)).changes["status"] == [start, target]


@pytest.mark.parametrize(("start", "target"), [("completed", "active"), ("discontinued", "on_hold")])
def test_a_refused_status_change_is_a_form_error_and_changes_nothing(admin_client, plan, tree, start, target):
    services.plan_update(by=SYSTEM, plan=plan, status=start, status_reason="Closed in a test.")
    plan_before, goals_before = snapshot_plan(plan), snapshot_goals(plan)

    response = edit(admin_client, plan, status=target)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        f"This plan is {start}; its record is closed to changes."
    ]
    assert snapshot_plan(plan) == plan_before
    assert snapshot_goals(plan) == goals_before
    assert not admin_events().exclude(action="view").exists()


def test_a_closed_plan_saved_unchanged_writes_nothing(admin_client, plan, tree):
    services.plan_update(by=SYSTEM, plan=plan, status="completed", status_reason="Closed in a test.")
    before = snapshot_plan(plan)

    page = admin_client.get(url("treatmentplan", plan))
    response = admin_client.post(url("treatmentplan", plan), page_data(page))

    inline = page.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission and not inline.has_change_permission
    assert response.status_code == 302
    assert snapshot_plan(plan) == before
    assert not admin_events().exclude(action="view").exists()


def test_a_therapist_off_the_care_team_is_a_form_error(admin_client, plan, colleague):
    response = edit(admin_client, plan, therapist=str(colleague.pk))

    assert response.status_code == 200
    assert "therapist" in response.context["adminform"].form.errors
    plan.refresh_from_db()
    assert plan.therapist != colleague


def test_an_unknown_diagnosis_is_a_form_error(admin_client, plan):
    response = edit(admin_client, plan, diagnosis_codes='[{"code": "Q99.999"}]')

    assert response.status_code == 200
    assert "diagnosis_codes" in response.context["adminform"].form.errors
    plan.refresh_from_db()
    assert [d["code"] for d in plan.diagnosis_codes] == ["F41.1"]


def test_the_therapist_choices_are_the_own_practices_clinicians(admin_client, plan, cast, their_records):
    response = admin_client.get(url("treatmentplan", plan))

    choices = set(response.context["adminform"].form.fields["therapist"].queryset)
    assert choices == {cast["owner"], cast["colleague"], cast["supervisor"]}


# The goal inline


def test_the_parent_choices_are_the_plans_own_goals(admin_client, plan, tree, their_records):
    other_plan = PlanFactory(patient=plan.patient, title="Second plan")
    GoalFactory(plan=other_plan, description="A goal of the second plan")

    response = admin_client.get(url("treatmentplan", plan))

    formset = response.context["inline_admin_formsets"][0].formset
    assert set(formset.forms[0].fields["parent_goal"].queryset) == set(tree.values())
    assert b"Harbor" not in response.content
    assert b"second plan" not in response.content


def extra_row(page, **fields) -> dict:
    """The inline's empty row filled in with `fields`."""
    formset = page.context["inline_admin_formsets"][0].formset
    index = len(formset.forms) - 1
    assert formset.forms[index].instance._state.adding
    return {f"goals-{index}-{name}": value for name, value in fields.items()}


def test_a_goal_added_inline_joins_the_tree_and_the_rollup(admin_client, practice_admin, plan, tree):
    page = admin_client.get(url("treatmentplan", plan))
    row = extra_row(page, goal_type="long_term", description="Sleep 7 hours a night", status="achieved", priority="1")

    response = admin_client.post(url("treatmentplan", plan), {**page_data(page), **row})

    assert response.status_code == 302, response.context and inline_errors(response)
    goal = TreatmentGoal.objects.get(description="Sleep 7 hours a night")
    assert (goal.plan, goal.parent_goal, goal.progress_percentage, goal.created_by) == (plan, None, 100, practice_admin)
    plan.refresh_from_db()
    # Two long-term goals of priority 1, at 0% and 100%.
    assert plan.overall_progress == 50
    event = admin_events("create").get(object_id=str(goal.pk))
    assert (event.user, event.patient) == (practice_admin, plan.patient)


def test_a_sub_goal_added_inline_hangs_under_its_parent(admin_client, plan, tree):
    page = admin_client.get(url("treatmentplan", plan))
    row = extra_row(
        page,
        goal_type="short_term",
        parent_goal=str(tree["long_term"].pk),
        description="Keep a sleep diary",
        status="not_started",
        priority="2",
    )

    response = admin_client.post(url("treatmentplan", plan), {**page_data(page), **row})

    assert response.status_code == 302, response.context and inline_errors(response)
    goal = TreatmentGoal.objects.get(description="Keep a sleep diary")
    assert (goal.parent_goal, goal.goal_type, goal.priority) == (tree["long_term"], "short_term", 2)


@pytest.mark.parametrize(
    ("goal_type", "parent", "message"),
    [
        ("objective", "long_term", "The parent of a objective must be a short-term goal."),
        ("short_term", None, "A short-term goal needs a long-term goal as parent."),
        ("short_term", "objective", "The parent of a short-term must be a long-term goal."),
    ],
)
def test_a_new_goal_breaking_the_hierarchy_is_a_form_error(admin_client, plan, tree, goal_type, parent, message):
    plan_before, goals_before = snapshot_plan(plan), snapshot_goals(plan)
    page = admin_client.get(url("treatmentplan", plan))
    row = extra_row(
        page,
        goal_type=goal_type,
        parent_goal=str(tree[parent].pk) if parent else "",
        description="Misplaced goal",
        status="not_started",
        priority="1",
    )

    response = admin_client.post(url("treatmentplan", plan), {**page_data(page), **row, "title": "Renamed"})

    assert response.status_code == 200
    assert inline_errors(response)[-1]["parent_goal"] == [message]
    assert snapshot_plan(plan) == plan_before
    assert snapshot_goals(plan) == goals_before
    assert not admin_events().exclude(action="view").exists()


@pytest.mark.parametrize(
    ("goal", "field", "value", "error_field"),
    [
        ("short_term", "parent_goal", "objective", "parent_goal"),
        ("objective", "parent_goal", "long_term", "parent_goal"),
        ("short_term", "goal_type", "long_term", "goal_type"),
    ],
)
def test_moving_a_goal_out_of_the_hierarchy_is_a_form_error(admin_client, plan, tree, goal, field, value, error_field):
    goals_before = snapshot_goals(plan)
    page = admin_client.get(url("treatmentplan", plan))
    new_value = str(tree[value].pk) if field == "parent_goal" else value

    response = admin_client.post(
        url("treatmentplan", plan), {**page_data(page), f"goals-{goal_row(page, tree[goal])}-{field}": new_value}
    )

    assert response.status_code == 200
    assert error_field in inline_errors(response)[goal_row(page, tree[goal])]
    assert snapshot_goals(plan) == goals_before


def test_achieving_an_objective_inline_rolls_up_the_tree(admin_client, practice_admin, plan, tree):
    page = admin_client.get(url("treatmentplan", plan))

    response = admin_client.post(
        url("treatmentplan", plan),
        {**page_data(page), f"goals-{goal_row(page, tree['objective'])}-status": "achieved"},
    )

    assert response.status_code == 302, response.context and inline_errors(response)
    for goal in tree.values():
        goal.refresh_from_db()
    plan.refresh_from_db()
    assert [tree[k].progress_percentage for k in ("objective", "short_term", "long_term")] == [100, 100, 100]
    assert plan.overall_progress == 100
    event = admin_events("update").get(object_id=str(tree["objective"].pk))
    assert (event.user, event.changes["status"]) == (practice_admin, ["not_started", "achieved"])


def test_discontinuing_a_sub_goal_inline_takes_it_out_of_the_rollup(admin_client, plan, tree):
    done = GoalFactory(
        parent_goal=tree["long_term"], goal_type="short_term", description="Finish psychoeducation", status="achieved"
    )
    plan.refresh_from_db()
    assert plan.overall_progress == 50
    page = admin_client.get(url("treatmentplan", plan))

    response = admin_client.post(
        url("treatmentplan", plan),
        {**page_data(page), f"goals-{goal_row(page, tree['short_term'])}-status": "discontinued"},
    )

    assert response.status_code == 302, response.context and inline_errors(response)
    plan.refresh_from_db()
    done.refresh_from_db()
    assert (done.progress_percentage, plan.overall_progress) == (100, 100)


def test_closing_a_plan_and_adding_a_goal_in_one_save_keeps_both(admin_client, plan, tree):
    page = admin_client.get(url("treatmentplan", plan))
    row = extra_row(page, goal_type="long_term", description="Maintain gains", status="achieved", priority="1")

    response = admin_client.post(
        url("treatmentplan", plan), {**page_data(page), **row, "status": "completed", "status_reason": "Goals met."}
    )

    assert response.status_code == 302, response.context and inline_errors(response)
    plan.refresh_from_db()
    assert plan.status == "completed"
    assert TreatmentGoal.objects.filter(plan=plan, description="Maintain gains").exists()


# The goal page


def test_a_goal_edit_on_its_own_page_goes_through_the_service(admin_client, practice_admin, tree):
    objective = tree["objective"]

    response = edit(
        admin_client,
        objective,
        "treatmentgoal",
        measurable_criteria="Breathing practice logged 5 of 7 days",
        target_value="5/7 days",
        smart='{"specific": {"what": "  Daily box breathing  "}}',
    )

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    objective.refresh_from_db()
    assert (objective.measurable_criteria, objective.target_value) == (
        "Breathing practice logged 5 of 7 days",
        "5/7 days",
    )
    assert objective.smart == {"specific": {"what": "Daily box breathing"}}
    event = admin_events("update").get(object_id=str(objective.pk))
    assert set(event.changes) == {"measurable_criteria", "target_value", "smart"}
    assert event.user == practice_admin


@pytest.mark.parametrize(
    ("goal", "changes", "field"),
    [
        ("short_term", {"parent_goal": "objective"}, "parent_goal"),
        ("long_term", {"progress_percentage": "80"}, "progress_percentage"),
        ("objective", {"smart": '{"vague": {"what": "x"}}'}, "smart"),
    ],
)
def test_a_refused_goal_edit_is_a_form_error(admin_client, plan, tree, goal, changes, field):
    goals_before = snapshot_goals(plan)
    changes = {k: str(tree[v].pk) if k == "parent_goal" else v for k, v in changes.items()}

    response = edit(admin_client, tree[goal], "treatmentgoal", **changes)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert snapshot_goals(plan) == goals_before


def test_a_goals_parent_choices_are_the_other_goals_of_its_plan(admin_client, plan, tree, their_records):
    response = admin_client.get(url("treatmentgoal", tree["short_term"]))

    choices = set(response.context["adminform"].form.fields["parent_goal"].queryset)
    assert choices == {tree["long_term"], tree["objective"]}
