"""The built-in intervention library: present after `migrate` alone, complete, well described, reloadable,
and guarded by the database (a system entry has no practice; names are unique per library).

The test database is built by the migrations, so what these tests read is what `manage.py migrate` leaves.
"""

import pytest
from django.db import IntegrityError, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models.functions import Lower

from accounts.models import Practice
from interventions.library import LIBRARY_PATH, library_entries, load_system_library
from interventions.models import Category, EvidenceLevel, Intervention, Modality
from tests.factories import PracticeFactory

pytestmark = pytest.mark.django_db

#: Every intervention the spec's "Built-in Interventions Library" names, with the spec's category.
SPEC_LIBRARY = {
    "Cognitive Restructuring": Category.CBT,
    "Behavioral Activation": Category.CBT,
    "Exposure Therapy": Category.CBT,
    "Mindfulness": Category.DBT_SKILLS,
    "Distress Tolerance": Category.DBT_SKILLS,
    "Emotion Regulation": Category.DBT_SKILLS,
    "Interpersonal Effectiveness": Category.DBT_SKILLS,
    "Progressive Muscle Relaxation": Category.RELAXATION,
    "Deep Breathing": Category.RELAXATION,
    "Guided Imagery": Category.RELAXATION,
    "Activity Scheduling": Category.BEHAVIORAL,
    "Sleep Hygiene": Category.BEHAVIORAL,
    "Assertiveness Training": Category.BEHAVIORAL,
}


def _system():
    return Intervention.objects.filter(is_system=True)


# --- present after migrate ---------------------------------------------------------------------


def test_migrations_load_the_whole_fixture_as_active_system_entries():
    entries = library_entries()

    assert len(entries) >= 30
    assert _system().filter(is_active=True).count() == len(entries)
    assert _system().count() == len(entries)
    assert {str(pk) for pk in _system().values_list("pk", flat=True)} == {e["id"] for e in entries}


def test_the_fixture_has_unique_ids_and_names():
    entries = library_entries()

    assert len({e["id"] for e in entries}) == len(entries)
    assert len({e["name"].strip().lower() for e in entries}) == len(entries)


def test_every_system_entry_is_well_formed():
    rows = list(_system())
    assert len(rows) >= 30

    for row in rows:
        assert row.is_system is True, row.name
        assert row.practice_id is None, row.name
        assert row.created_by_id is None, row.name
        assert row.is_active is True, row.name
        assert row.name == row.name.strip() and row.name, row.name
        assert len(row.description.strip()) >= 80, f"{row.name}: description too thin"
        assert row.modality in Modality.values, row.name
        assert row.category in Category.values, row.name
        assert row.evidence_level in EvidenceLevel.values, row.name


def test_the_database_matches_the_fixture_field_for_field():
    stored = {str(i.pk): i for i in _system()}

    for entry in library_entries():
        row = stored[entry["id"]]
        for field in ("name", "description", "modality", "category", "evidence_level"):
            assert getattr(row, field) == entry[field], (entry["name"], field)


@pytest.mark.parametrize(("name", "category"), SPEC_LIBRARY.items())
def test_every_intervention_the_spec_names_is_in_the_library(name, category):
    row = _system().annotate(lname=Lower("name")).get(lname=name.lower())

    assert row.is_active
    assert row.category == category


def test_the_dbt_skills_are_dbt():
    skills = ["Mindfulness", "Distress Tolerance", "Emotion Regulation", "Interpersonal Effectiveness"]

    assert set(_system().filter(name__in=skills).values_list("modality", flat=True)) == {Modality.DBT}


def test_the_library_goes_beyond_the_spec():
    """ACT, motivational interviewing and trauma-focused work, as the issue asks."""
    act = _system().filter(modality=Modality.ACT)
    mi = _system().filter(modality=Modality.MI)
    trauma = _system().filter(category=Category.TRAUMA_FOCUSED)

    assert act.count() >= 2
    assert mi.filter(name="Motivational Interviewing").exists()
    assert trauma.count() >= 3
    assert {"Prolonged Exposure", "Cognitive Processing Therapy"} <= set(trauma.values_list("name", flat=True))
    assert _system().filter(category=Category.ACCEPTANCE_MINDFULNESS).exists()
    assert _system().filter(evidence_level=EvidenceLevel.STRONG).exists()
    assert _system().exclude(evidence_level=EvidenceLevel.STRONG).exists()


def test_every_evidence_level_and_the_spec_categories_are_used():
    used = set(_system().values_list("category", flat=True))

    assert {Category.CBT, Category.DBT_SKILLS, Category.RELAXATION, Category.BEHAVIORAL} <= used
    assert set(_system().values_list("evidence_level", flat=True)) <= set(EvidenceLevel.values)


def test_the_fixture_lives_where_the_issue_says():
    assert LIBRARY_PATH.name == "interventions_library.json"
    assert LIBRARY_PATH.parent.name == "fixtures"
    assert LIBRARY_PATH.is_file()


# --- reloading ---------------------------------------------------------------------------------


def test_reloading_is_idempotent():
    count = len(library_entries())
    before = {i.pk: (i.name, i.description, i.modality, i.category, i.evidence_level) for i in _system()}

    assert load_system_library(Intervention) == (0, count)
    assert load_system_library(Intervention) == (0, count)

    after = {i.pk: (i.name, i.description, i.modality, i.category, i.evidence_level) for i in _system()}
    assert after == before
    assert Intervention.objects.count() == count


def test_reloading_restores_an_edited_or_retired_entry():
    breathing = _system().get(name="Deep Breathing")
    original = breathing.description
    Intervention.objects.filter(pk=breathing.pk).update(
        description="Vandalised", modality=Modality.OTHER, category=Category.OTHER, is_active=False
    )

    created, updated = load_system_library(Intervention)

    assert (created, updated) == (0, len(library_entries()))
    breathing.refresh_from_db()
    assert breathing.description == original
    assert breathing.modality == "behavioral"
    assert breathing.category == Category.RELAXATION
    assert breathing.is_active is True
    assert _system().filter(name="Deep Breathing").count() == 1


def test_reloading_recreates_a_missing_entry():
    # One no plan template names (a template's goal protects the entries it uses from deletion).
    imagery = _system().get(name="Guided Imagery")
    pk = imagery.pk
    imagery.delete()

    assert load_system_library(Intervention) == (1, len(library_entries()) - 1)
    assert _system().get(name="Guided Imagery").pk == pk


def test_reloading_leaves_custom_interventions_alone(practice):
    custom = Intervention.objects.create(name="Walk and talk", modality=Modality.OTHER, practice=practice)

    load_system_library(Intervention)

    custom.refresh_from_db()
    assert custom.is_system is False
    assert custom.practice == practice
    assert Intervention.objects.count() == len(library_entries()) + 1


def test_the_data_migration_loads_with_the_historical_model():
    """The migration passes its historical model; loading through it must work the same way."""
    from django.db import connection

    executor = MigrationExecutor(connection)
    state = executor.loader.project_state(("interventions", "0002_load_system_library"))
    historical = state.apps.get_model("interventions", "Intervention")

    assert load_system_library(historical) == (0, len(library_entries()))
    assert _system().count() == len(library_entries())


# --- database constraints ----------------------------------------------------------------------


def test_the_database_refuses_a_system_entry_with_a_practice(practice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Intervention.objects.create(
            name="Practice-owned system entry", modality=Modality.CBT, is_system=True, practice=practice
        )

    assert not Intervention.objects.filter(name="Practice-owned system entry").exists()


def test_the_database_refuses_a_custom_entry_without_a_practice():
    with pytest.raises(IntegrityError), transaction.atomic():
        Intervention.objects.create(name="Orphan intervention", modality=Modality.CBT, is_system=False, practice=None)

    assert not Intervention.objects.filter(name="Orphan intervention").exists()


def test_the_database_refuses_a_second_system_entry_of_the_same_name():
    with pytest.raises(IntegrityError), transaction.atomic():
        Intervention.objects.create(name="deep BREATHING", modality=Modality.CBT, is_system=True)

    assert _system().filter(name__iexact="deep breathing").count() == 1


@pytest.mark.parametrize("second", ["Walk and Talk", "walk and talk", "WALK AND TALK"])
def test_the_database_refuses_two_customs_of_one_name_in_a_practice(practice, second):
    Intervention.objects.create(name="Walk and Talk", modality=Modality.OTHER, practice=practice)

    with pytest.raises(IntegrityError), transaction.atomic():
        Intervention.objects.create(name=second, modality=Modality.BEHAVIORAL, practice=practice)

    assert Intervention.objects.filter(practice=practice, name__iexact="walk and talk").count() == 1


def test_two_practices_may_each_have_one_of_a_name(practice, other_practice):
    Intervention.objects.create(name="Walk and Talk", modality=Modality.OTHER, practice=practice)
    Intervention.objects.create(name="walk and talk", modality=Modality.OTHER, practice=other_practice)
    third = PracticeFactory(name="Hillside")
    Intervention.objects.create(name="WALK AND TALK", modality=Modality.OTHER, practice=third)

    assert Intervention.objects.filter(name__iexact="walk and talk").count() == 3
    assert set(Intervention.objects.filter(name__iexact="walk and talk").values_list("practice", flat=True)) == set(
        Practice.objects.filter(name__in=["Riverside", "Harbor", "Hillside"]).values_list("pk", flat=True)
    )
