"""The intervention library API: GET/POST /api/v1/interventions and GET/PUT/PATCH /api/v1/interventions/{id}.

A caller sees the system library plus their own practice's custom interventions (never another
practice's), filters by modality, category, evidence level, system/custom and words of the name or
description, and adds custom interventions to their own practice. System entries cannot be changed, and a
goal can only link interventions of its own practice's library. Every denied or invalid write changes nothing.
"""

import pytest

from interventions.library import library_entries
from interventions.models import Category, Intervention, Modality
from tests.factories import GoalFactory, PatientFactory, PlanFactory, UserFactory, intervention
from treatment.models import GoalIntervention, TreatmentGoal

pytestmark = pytest.mark.django_db

ROW_KEYS = {
    "id",
    "name",
    "description",
    "modality",
    "category",
    "evidence_level",
    "is_system",
    "is_active",
    "practice_id",
    "created_by_id",
}
DBT_SKILLS = {"Mindfulness", "Distress Tolerance", "Emotion Regulation", "Interpersonal Effectiveness"}


@pytest.fixture
def custom(owner, practice):
    """A custom intervention of the owner's practice (Riverside), authored by the owner."""
    return Intervention.objects.create(
        name="Walk and Talk Therapy",
        description="Sessions held while walking outdoors, pairing light activity with conversation.",
        modality=Modality.BEHAVIORAL,
        category=Category.BEHAVIORAL,
        evidence_level="emerging",
        practice=practice,
        created_by=owner,
    )


@pytest.fixture
def foreign(outsider_admin, other_practice):
    """A custom intervention of another practice (Harbor)."""
    return Intervention.objects.create(
        name="Harbor Breathing Circle",
        description="A group breathing practice run only at Harbor.",
        modality=Modality.BEHAVIORAL,
        category=Category.RELAXATION,
        practice=other_practice,
        created_by=outsider_admin,
    )


@pytest.fixture
def retired(owner, practice):
    return Intervention.objects.create(
        name="Retired Relaxation Tape",
        description="An old audio relaxation exercise the practice no longer uses.",
        modality=Modality.BEHAVIORAL,
        category=Category.RELAXATION,
        practice=practice,
        created_by=owner,
        is_active=False,
    )


def _rows(client, **params):
    response = client.get("/api/v1/interventions", {"page_size": 200, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"]), "every row fits on one page"
    return body["results"]


def _names(rows):
    return {row["name"] for row in rows}


# --- list --------------------------------------------------------------------------------------


def test_list_is_the_system_library_plus_own_practice_custom(api, owner, custom, foreign):
    rows = _rows(api.as_(owner))

    system_count = len(library_entries())
    assert len(rows) == system_count + 1
    assert sum(row["is_system"] for row in rows) == system_count
    assert custom.name in _names(rows)
    assert foreign.name not in _names(rows)
    assert str(foreign.pk) not in {row["id"] for row in rows}


def test_the_other_practice_sees_its_own_custom_and_not_ours(api, outsider_admin, custom, foreign):
    rows = _rows(api.as_(outsider_admin))

    assert foreign.name in _names(rows)
    assert custom.name not in _names(rows)


def test_list_is_paginated_and_ordered_by_name(api, owner):
    response = api.as_(owner).get("/api/v1/interventions")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(library_entries())
    assert len(body["results"]) == min(50, body["count"])
    names = [row["name"] for row in _rows(api.as_(owner))]
    assert names == sorted(names)


def test_every_row_has_the_full_shape(api, owner, custom):
    rows = _rows(api.as_(owner))

    for row in rows:
        assert set(row) >= ROW_KEYS, row
    by_name = {row["name"]: row for row in rows}
    mine = by_name[custom.name]
    assert mine["is_system"] is False
    assert mine["is_active"] is True
    assert mine["practice_id"] == str(custom.practice_id)
    assert mine["created_by_id"] == str(custom.created_by_id)
    assert mine["description"] == custom.description
    assert mine["evidence_level"] == "emerging"
    system = by_name["Deep Breathing"]
    assert system["is_system"] is True
    assert system["practice_id"] is None
    assert system["created_by_id"] is None
    assert system["modality"] == "behavioral"
    assert system["category"] == "relaxation"
    assert len(system["description"]) >= 80


def test_filter_by_modality_dbt(api, owner):
    rows = _rows(api.as_(owner), modality="DBT")

    assert rows
    assert {row["modality"] for row in rows} == {"DBT"}
    assert _names(rows) >= DBT_SKILLS
    assert len(rows) == Intervention.objects.filter(is_system=True, modality="DBT").count()


def test_filter_by_modality_includes_matching_custom(api, owner, custom):
    rows = _rows(api.as_(owner), modality="behavioral")

    assert custom.name in _names(rows)
    assert {row["modality"] for row in rows} == {"behavioral"}


def test_unknown_modality_filter_is_400(api, owner):
    response = api.as_(owner).get("/api/v1/interventions", {"modality": "astrology"})

    assert response.status_code == 400, response.content
    assert "modality" in response.json()


@pytest.mark.parametrize("query", ["breathing", "BREATHING", "Breath"])
def test_search_finds_deep_breathing(api, owner, query):
    rows = _rows(api.as_(owner), search=query)

    assert "Deep Breathing" in _names(rows)
    for row in rows:
        assert query.lower() in (row["name"] + " " + row["description"]).lower(), row["name"]


def test_search_matches_descriptions_too(api, owner):
    """'diaphragmatic' appears only in Deep Breathing's description, not in any name."""
    rows = _rows(api.as_(owner), search="diaphragmatic")

    assert "Deep Breathing" in _names(rows)
    assert all("diaphragmatic" not in row["name"].lower() for row in rows)


def test_search_with_several_words_needs_every_word(api, owner):
    rows = _rows(api.as_(owner), search="muscle relaxation")

    assert "Progressive Muscle Relaxation" in _names(rows)
    for row in rows:
        text = (row["name"] + " " + row["description"]).lower()
        assert "muscle" in text and "relaxation" in text, row["name"]
    # Words need not be adjacent: "relaxation progressive" still finds it.
    assert "Progressive Muscle Relaxation" in _names(_rows(api.as_(owner), search="relaxation progressive"))


def test_search_never_shows_another_practice(api, owner, foreign):
    rows = _rows(api.as_(owner), search="Harbor")

    assert foreign.name not in _names(rows)


def test_filter_by_category_relaxation(api, owner, foreign):
    rows = _rows(api.as_(owner), category="relaxation")

    assert {row["category"] for row in rows} == {"relaxation"}
    assert {"Progressive Muscle Relaxation", "Deep Breathing", "Guided Imagery"} <= _names(rows)
    assert _names(rows) == set(
        Intervention.objects.filter(is_system=True, category="relaxation").values_list("name", flat=True)
    )


def test_filter_by_evidence_level(api, owner, custom):
    rows = _rows(api.as_(owner), evidence_level="emerging")

    assert rows
    assert {row["evidence_level"] for row in rows} == {"emerging"}
    assert custom.name in _names(rows)


def test_filter_is_system_false_lists_only_own_custom(api, owner, custom, foreign, retired):
    rows = _rows(api.as_(owner), is_system="false")

    assert _names(rows) == {custom.name}
    assert all(row["is_system"] is False for row in rows)


def test_filter_is_system_true_lists_only_the_library(api, owner, custom):
    rows = _rows(api.as_(owner), is_system="true")

    assert len(rows) == len(library_entries())
    assert all(row["is_system"] for row in rows)


def test_retired_custom_is_hidden_unless_asked(api, owner, custom, retired):
    client = api.as_(owner)

    assert retired.name not in _names(_rows(client))
    assert retired.name not in _names(_rows(client, category="relaxation"))
    with_retired = _rows(client, include_retired="true")
    assert retired.name in _names(with_retired)
    assert {row["name"]: row for row in with_retired}[retired.name]["is_active"] is False
    assert len(with_retired) == len(library_entries()) + 2


def test_filters_combine(api, owner):
    rows = _rows(api.as_(owner), modality="DBT", search="crisis")

    assert _names(rows) == {"Distress Tolerance"}


def test_retrieve_a_system_entry(api, owner):
    breathing = intervention("Deep Breathing")

    response = api.as_(owner).get(f"/api/v1/interventions/{breathing.pk}")

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Deep Breathing"
    assert set(response.json()) >= ROW_KEYS


def test_another_practices_custom_is_404(api, owner, foreign):
    assert api.as_(owner).get(f"/api/v1/interventions/{foreign.pk}").status_code == 404


def test_unauthenticated_is_401(api):
    url = "/api/v1/interventions"
    assert api.get(url).status_code == 401
    before = Intervention.objects.count()
    assert api.post(url, {"name": "Sneaky", "modality": "CBT"}, format="json").status_code == 401
    assert Intervention.objects.count() == before


# --- create ------------------------------------------------------------------------------------

NEW = {
    "name": "Nature Exposure Walks",
    "description": "Guided walks in green space to lower physiological arousal and rebuild routine.",
    "modality": "behavioral",
    "category": "behavioral",
    "evidence_level": "emerging",
}


def test_create_custom_for_the_callers_practice(api, owner, practice):
    response = api.as_(owner).post("/api/v1/interventions", NEW, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["is_system"] is False
    assert body["is_active"] is True
    assert body["practice_id"] == str(practice.pk)
    assert body["created_by_id"] == str(owner.pk)
    for field, value in NEW.items():
        assert body[field] == value
    stored = Intervention.objects.get(pk=body["id"])
    assert stored.is_system is False
    assert stored.practice == practice
    assert stored.created_by == owner
    assert stored.name == NEW["name"]
    assert stored.modality == "behavioral"


def test_created_custom_shows_in_the_practice_list_only(api, owner, colleague, outsider_admin):
    api.as_(owner).post("/api/v1/interventions", NEW, format="json")

    assert NEW["name"] in _names(_rows(api.as_(colleague)))
    assert NEW["name"] not in _names(_rows(api.as_(outsider_admin)))


def test_create_trims_the_name(api, owner):
    response = api.as_(owner).post("/api/v1/interventions", {**NEW, "name": "  Nature Exposure Walks  "}, format="json")

    assert response.status_code == 201, response.content
    assert Intervention.objects.get(pk=response.json()["id"]).name == "Nature Exposure Walks"


def test_is_system_in_the_body_is_ignored(api, owner, practice):
    response = api.as_(owner).post(
        "/api/v1/interventions", {**NEW, "is_system": True, "practice_id": None}, format="json"
    )

    assert response.status_code == 201, response.content
    stored = Intervention.objects.get(pk=response.json()["id"])
    assert stored.is_system is False
    assert stored.practice == practice
    assert response.json()["is_system"] is False


def test_practice_id_in_the_body_cannot_plant_in_another_practice(api, owner, practice, other_practice):
    response = api.as_(owner).post(
        "/api/v1/interventions", {**NEW, "practice_id": str(other_practice.pk)}, format="json"
    )

    assert response.status_code == 201, response.content
    assert Intervention.objects.get(pk=response.json()["id"]).practice == practice
    assert not Intervention.objects.filter(practice=other_practice).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW, "modality": "astrology"}, "modality"),
        ({**NEW, "modality": "cbt"}, "modality"),
        ({**NEW, "category": "nonsense"}, "category"),
        ({**NEW, "evidence_level": "anecdotal"}, "evidence_level"),
        ({k: v for k, v in NEW.items() if k != "name"}, "name"),
        ({**NEW, "name": ""}, "name"),
        ({**NEW, "name": "   "}, "name"),
        ({**NEW, "name": "x" * 201}, "name"),
        ({k: v for k, v in NEW.items() if k != "modality"}, "modality"),
    ],
    ids=[
        "bad-modality",
        "modality-wrong-case",
        "bad-category",
        "bad-evidence",
        "no-name",
        "empty-name",
        "blank-name",
        "long-name",
        "no-modality",
    ],
)
def test_invalid_body_is_400_naming_the_field_and_writes_nothing(api, owner, body, field):
    before = Intervention.objects.count()

    response = api.as_(owner).post("/api/v1/interventions", body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Intervention.objects.count() == before


@pytest.mark.parametrize("name", ["Deep Breathing", "deep breathing", "DEEP BREATHING", " Deep Breathing "])
def test_name_clashing_with_the_system_library_is_400(api, owner, name):
    before = Intervention.objects.count()

    response = api.as_(owner).post("/api/v1/interventions", {**NEW, "name": name}, format="json")

    assert response.status_code == 400, response.content
    assert "name" in response.json()
    assert Intervention.objects.count() == before


@pytest.mark.parametrize("name", ["Walk and Talk Therapy", "walk and talk therapy", "WALK AND TALK THERAPY"])
def test_name_clashing_with_own_custom_is_400(api, colleague, custom, name):
    before = Intervention.objects.count()

    response = api.as_(colleague).post("/api/v1/interventions", {**NEW, "name": name}, format="json")

    assert response.status_code == 400, response.content
    assert "name" in response.json()
    assert Intervention.objects.count() == before


def test_the_same_name_in_another_practice_is_fine(api, outsider_admin, other_practice, custom):
    response = api.as_(outsider_admin).post(
        "/api/v1/interventions", {**NEW, "name": custom.name.lower()}, format="json"
    )

    assert response.status_code == 201, response.content
    assert Intervention.objects.filter(name__iexact=custom.name).count() == 2
    assert Intervention.objects.get(pk=response.json()["id"]).practice == other_practice


def test_a_retired_custom_name_still_clashes(api, owner, retired):
    response = api.as_(owner).post("/api/v1/interventions", {**NEW, "name": retired.name}, format="json")

    assert response.status_code == 400, response.content
    assert "name" in response.json()
    assert Intervention.objects.filter(name__iexact=retired.name).count() == 1


# --- update ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
@pytest.mark.parametrize("role", ["owner", "practice_admin", "supervisor"])
def test_system_entries_cannot_be_changed(api, cast, role, method):
    breathing = intervention("Deep Breathing")
    before = (breathing.name, breathing.description, breathing.modality, breathing.is_active)
    body = {"description": "Rewritten", "is_active": False}
    if method == "PUT":
        body = {**NEW, **body}

    response = getattr(api.as_(cast[role]), method.lower())(
        f"/api/v1/interventions/{breathing.pk}", body, format="json"
    )

    assert response.status_code == 403, response.content
    breathing.refresh_from_db()
    assert (breathing.name, breathing.description, breathing.modality, breathing.is_active) == before


@pytest.mark.parametrize(
    ("role", "expected"),
    [("owner", 200), ("practice_admin", 200), ("colleague", 403), ("supervisor", 403), ("outsider_admin", 404)],
)
def test_custom_can_be_changed_by_its_author_and_the_practice_admin(api, cast, custom, role, expected):
    response = api.as_(cast[role]).patch(
        f"/api/v1/interventions/{custom.pk}", {"description": "Updated description of the walks."}, format="json"
    )

    assert response.status_code == expected, response.content
    custom.refresh_from_db()
    changed = custom.description == "Updated description of the walks."
    assert changed is (expected == 200)


def test_retiring_a_custom_hides_it_from_the_default_list(api, owner, custom):
    response = api.as_(owner).patch(f"/api/v1/interventions/{custom.pk}", {"is_active": False}, format="json")

    assert response.status_code == 200, response.content
    custom.refresh_from_db()
    assert custom.is_active is False
    assert custom.name not in _names(_rows(api.as_(owner)))
    assert custom.name in _names(_rows(api.as_(owner), include_retired="true"))


def test_renaming_a_custom_onto_a_system_name_is_400(api, owner, custom):
    response = api.as_(owner).patch(f"/api/v1/interventions/{custom.pk}", {"name": "guided imagery"}, format="json")

    assert response.status_code == 400, response.content
    assert "name" in response.json()
    custom.refresh_from_db()
    assert custom.name == "Walk and Talk Therapy"


def test_patch_cannot_make_a_custom_a_system_entry(api, owner, custom):
    response = api.as_(owner).patch(f"/api/v1/interventions/{custom.pk}", {"is_system": True}, format="json")

    assert response.status_code in (200, 400), response.content
    custom.refresh_from_db()
    assert custom.is_system is False
    assert custom.practice_id is not None


# --- goals link only their own practice's library ----------------------------------------------


@pytest.fixture
def goal(patient):
    plan = PlanFactory(patient=patient, title="Anxiety Management Plan")
    return GoalFactory(plan=plan, description="Reduce overall anxiety levels to a manageable state")


def test_goal_links_own_practice_custom(api, owner, goal, custom):
    response = api.as_(owner).post(
        f"/api/v1/goals/{goal.pk}/interventions",
        {"intervention_id": str(custom.pk), "frequency": "weekly"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["intervention"]["id"] == str(custom.pk)
    assert response.json()["intervention"]["is_system"] is False
    link = GoalIntervention.objects.get(goal=goal)
    assert link.intervention == custom
    assert link.frequency == "weekly"


def test_goal_cannot_link_another_practices_custom(api, owner, goal, foreign):
    response = api.as_(owner).post(
        f"/api/v1/goals/{goal.pk}/interventions",
        {"intervention_id": str(foreign.pk), "frequency": "weekly"},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert "intervention_id" in response.json()
    assert not GoalIntervention.objects.filter(goal=goal).exists()


def test_new_goal_cannot_carry_another_practices_custom(api, owner, goal, foreign, custom):
    before = TreatmentGoal.objects.count()

    response = api.as_(owner).post(
        f"/api/v1/treatment-plans/{goal.plan_id}/goals",
        {
            "goal_type": "short_term",
            "parent_goal_id": str(goal.pk),
            "description": "Learn and practice 3 relaxation techniques",
            "interventions": [
                {"intervention_id": str(custom.pk), "frequency": "weekly"},
                {"intervention_id": str(foreign.pk), "frequency": "weekly"},
            ],
        },
        format="json",
    )

    assert response.status_code == 400, response.content
    assert "interventions" in response.json()
    assert TreatmentGoal.objects.count() == before
    assert not GoalIntervention.objects.exists()


def test_new_goal_carries_own_practice_custom(api, owner, goal, custom):
    response = api.as_(owner).post(
        f"/api/v1/treatment-plans/{goal.plan_id}/goals",
        {
            "goal_type": "short_term",
            "parent_goal_id": str(goal.pk),
            "description": "Walk outdoors twice a week",
            "interventions": [{"intervention_id": str(custom.pk), "frequency": "weekly"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    new_goal = TreatmentGoal.objects.get(pk=response.json()["id"])
    assert list(new_goal.goal_interventions.values_list("intervention", flat=True)) == [custom.pk]


def test_a_retired_custom_cannot_be_newly_linked(api, owner, goal, retired):
    response = api.as_(owner).post(
        f"/api/v1/goals/{goal.pk}/interventions", {"intervention_id": str(retired.pk)}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "intervention_id" in response.json()
    assert not GoalIntervention.objects.filter(goal=goal).exists()


def test_a_user_of_the_other_practice_cannot_link_our_custom_to_their_goal(api, other_practice, custom):
    therapist = UserFactory(practice=other_practice, email="therapist@harbor.example")
    their_patient = PatientFactory(primary_therapist=therapist)
    their_goal = GoalFactory(plan=PlanFactory(patient=their_patient))

    response = api.as_(therapist).post(
        f"/api/v1/goals/{their_goal.pk}/interventions", {"intervention_id": str(custom.pk)}, format="json"
    )

    assert response.status_code == 400, response.content
    assert not GoalIntervention.objects.filter(goal=their_goal).exists()
