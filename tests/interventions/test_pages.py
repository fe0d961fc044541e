"""The library pages: /interventions/ (browse, search, filter, paginate), /interventions/new/ and
/interventions/<pk>/edit/.

Everyone in a practice browses the system library plus their practice's own entries (never another
practice's: 404) and may add custom ones; a custom entry is edited by its author or a practice admin;
the system library is nobody's to edit (403).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interventions.library import library_entries
from interventions.models import Category, Intervention, Modality

pytestmark = pytest.mark.django_db

LIST = "/interventions/"
NEW = "/interventions/new/"


def edit_url(intervention):
    return f"/interventions/{intervention.pk}/edit/"


@pytest.fixture
def custom(owner, practice):
    """Riverside's own, written by the owner."""
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
    """Harbor's own."""
    return Intervention.objects.create(
        name="Harbor Breathing Circle",
        description="A group breathing practice run only at Harbor.",
        modality=Modality.BEHAVIORAL,
        category=Category.RELAXATION,
        practice=other_practice,
        created_by=outsider_admin,
    )


def names(response) -> list[str]:
    return [intervention.name for intervention in response.context["interventions"]]


def form_data(**overrides):
    data = {
        "name": "Nature Walk Mindfulness",
        "description": "A mindful walk outdoors, noticing five things seen, heard and felt.",
        "modality": "mindfulness",
        "category": "acceptance_mindfulness",
        "evidence_level": "emerging",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- Browsing --------------------------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_sign_in(client, custom):
    for url in (LIST, NEW, edit_url(custom)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert client.post(NEW, form_data()).status_code == 302
    assert not Intervention.objects.filter(name="Nature Walk Mindfulness").exists()


def test_the_library_shows_the_system_entries_and_our_own_with_badges(client, owner, custom, foreign):
    client.force_login(owner)

    response = client.get(LIST)

    assert response.status_code == 200
    paginator = response.context["paginator"]
    assert paginator.count == len(library_entries()) + 1
    html = response.content.decode()
    assert "Harbor Breathing Circle" not in html
    page = client.get(LIST, {"search": "walk"}).content.decode()
    assert "Walk and Talk Therapy" in page
    assert "Practice custom" in page
    assert "Emerging" in page
    system = client.get(LIST, {"search": "deep breathing"}).content.decode()
    assert "Built-in" in system and "Moderate" in system


def test_the_library_is_paginated_in_name_order(client, owner):
    client.force_login(owner)

    first = client.get(LIST)
    second = client.get(LIST, {"page": 2})

    assert first.context["is_paginated"]
    assert names(first) == sorted(names(first), key=str.lower)
    assert names(first)[0] == "Acceptance and Willingness"
    assert set(names(first)).isdisjoint(names(second))
    assert 'rel="next"' in first.content.decode()


def test_the_page_links_keep_the_filters(client, owner):
    client.force_login(owner)

    html = client.get(LIST, {"category": "cbt", "search": "", "page": 1}).content.decode()

    # 12 CBT entries fit on one page: no pagination; the whole library does not.
    assert 'rel="next"' not in html
    html = client.get(LIST, {"search": "e"}).content.decode()
    assert "search=e&amp;page=2" in html


@pytest.mark.parametrize("query", ["deep breathing", "DEEP", "diaphragmatic"])
def test_search_by_name_or_description(client, owner, query):
    client.force_login(owner)

    found = names(client.get(LIST, {"search": query}))

    assert "Deep Breathing" in found


def test_search_never_shows_another_practice(client, owner, foreign):
    client.force_login(owner)

    response = client.get(LIST, {"search": "Harbor"})

    assert names(response) == []
    assert "No interventions match." in response.content.decode()


def test_filter_by_modality_and_category(client, owner, custom):
    client.force_login(owner)

    dbt = names(client.get(LIST, {"modality": "DBT"}))
    relaxation = names(client.get(LIST, {"category": "relaxation"}))
    both = names(client.get(LIST, {"modality": "behavioral", "category": "behavioral"}))

    assert set(dbt) == {
        "Behavior Chain Analysis",
        "Distress Tolerance",
        "Emotion Regulation",
        "Interpersonal Effectiveness",
        "Mindfulness",
    }
    assert set(relaxation) == {
        "Applied Relaxation",
        "Deep Breathing",
        "Guided Imagery",
        "Progressive Muscle Relaxation",
    }
    assert "Walk and Talk Therapy" in both
    assert all(
        (i.modality, i.category) == ("behavioral", "behavioral") for i in Intervention.objects.filter(name__in=both)
    )


def test_filter_by_source(client, owner, custom):
    client.force_login(owner)

    assert names(client.get(LIST, {"is_system": "false"})) == ["Walk and Talk Therapy"]
    assert "Walk and Talk Therapy" not in names(client.get(LIST, {"is_system": "true", "search": "walk"}))


def test_the_filters_stay_selected(client, owner):
    client.force_login(owner)

    html = client.get(LIST, {"modality": "DBT", "category": "dbt_skills", "search": "skills"}).content.decode()

    assert '<option value="DBT" selected>' in html
    assert '<option value="dbt_skills" selected>' in html
    assert 'value="skills"' in html


def test_an_unknown_filter_value_shows_nothing_rather_than_everything(client, owner):
    client.force_login(owner)

    response = client.get(LIST, {"modality": "astrology"})

    assert response.status_code == 200
    assert names(response) == []


def test_retired_entries_are_hidden_unless_asked_for(client, owner, custom):
    Intervention.objects.filter(pk=custom.pk).update(is_active=False)
    client.force_login(owner)

    assert "Walk and Talk Therapy" not in names(client.get(LIST, {"search": "walk"}))
    shown = client.get(LIST, {"search": "walk", "include_retired": "true"})
    assert "Walk and Talk Therapy" in names(shown)
    assert "Retired" in shown.content.decode()


def test_edit_links_only_where_the_user_may_edit(client, owner, colleague, practice_admin, custom):
    system = Intervention.objects.get(name="Deep Breathing")

    for user, editable in ((owner, True), (practice_admin, True), (colleague, False)):
        client.force_login(user)
        html = client.get(LIST, {"search": "walk"}).content.decode()
        assert (edit_url(custom) in html) is editable
        html = client.get(LIST, {"search": "deep breathing"}).content.decode()
        assert edit_url(system) not in html


# --- Adding a custom intervention ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "colleague", "supervisor", "practice_admin"])
def test_anyone_in_the_practice_adds_a_custom_intervention(client, cast, practice, role):
    user = cast[role]
    client.force_login(user)

    response = client.post(NEW, form_data(), follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert "Nature Walk Mindfulness was added to your practice&#x27;s library." in response.content.decode()
    added = Intervention.objects.get(name="Nature Walk Mindfulness")
    assert (added.practice, added.created_by, added.is_system, added.is_active) == (practice, user, False, True)
    assert (added.modality, added.category, added.evidence_level) == (
        "mindfulness",
        "acceptance_mindfulness",
        "emerging",
    )
    assert names(client.get(LIST, {"search": "nature walk"})) == ["Nature Walk Mindfulness"]


def test_the_new_entry_is_invisible_to_another_practice(client, owner, outsider_admin):
    client.force_login(owner)
    client.post(NEW, form_data())

    client.force_login(outsider_admin)

    assert names(client.get(LIST, {"search": "nature walk"})) == []


def test_the_form_has_a_label_for_every_field(client, owner):
    client.force_login(owner)

    html = client.get(NEW).content.decode()

    for field in ("name", "description", "modality", "category", "evidence_level"):
        assert f'<label for="id_{field}">' in html
    assert 'name="is_active"' not in html


def test_a_name_already_in_the_library_is_refused_and_the_input_kept(client, owner):
    client.force_login(owner)

    response = client.post(NEW, form_data(name="deep breathing", description="My own take on it."))

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["An intervention with this name is already in your library."]
    html = response.content.decode()
    assert 'value="deep breathing"' in html
    assert "My own take on it." in html
    assert Intervention.objects.filter(name__iexact="deep breathing").count() == 1


def test_missing_fields_are_errors_and_the_input_kept(client, owner):
    client.force_login(owner)

    response = client.post(NEW, form_data(name="", modality=None))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"name", "modality"}
    assert "A mindful walk outdoors" in response.content.decode()
    assert not Intervention.objects.filter(practice__isnull=False).exists()


def test_an_account_without_a_practice_cannot_add(client, django_user_model):
    superuser = django_user_model.objects.create_superuser("root@trellis.example", "x-password-1")
    client.force_login(superuser)

    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form_data()).status_code == 403
    assert not Intervention.objects.filter(name="Nature Walk Mindfulness").exists()


# --- Editing ---------------------------------------------------------------------------------------


def test_the_author_edits_their_custom_intervention(client, owner, custom):
    client.force_login(owner)

    page = client.get(edit_url(custom))
    response = client.post(
        edit_url(custom), form_data(name="Walk and Talk", modality="behavioral", category="behavioral", is_active="on")
    )

    assert page.status_code == 200
    assert 'value="Walk and Talk Therapy"' in page.content.decode()
    assert response.status_code == 302
    custom.refresh_from_db()
    assert custom.name == "Walk and Talk"
    assert custom.description.startswith("A mindful walk")
    assert custom.is_active


def test_unticking_in_use_retires_it(client, owner, custom):
    client.force_login(owner)

    client.post(edit_url(custom), form_data(name=custom.name, modality="behavioral", category="behavioral"))

    custom.refresh_from_db()
    assert custom.is_active is False


def test_a_practice_admin_edits_anyones_custom_entry_of_the_practice(client, practice_admin, custom):
    client.force_login(practice_admin)

    response = client.post(
        edit_url(custom),
        form_data(name="Walking Therapy", modality="behavioral", category="behavioral", is_active="on"),
    )

    assert response.status_code == 302
    custom.refresh_from_db()
    assert custom.name == "Walking Therapy"


@pytest.mark.parametrize("role", ["colleague", "supervisor"])
def test_another_clinician_of_the_practice_cannot_edit_it(client, cast, custom, role):
    client.force_login(cast[role])

    assert client.get(edit_url(custom)).status_code == 403
    assert client.post(edit_url(custom), form_data(name="Hijacked", is_active="on")).status_code == 403
    custom.refresh_from_db()
    assert custom.name == "Walk and Talk Therapy"


@pytest.mark.parametrize("role", ["owner", "practice_admin"])
def test_the_system_library_is_not_editable(client, cast, role):
    system = Intervention.objects.get(name="Deep Breathing")
    client.force_login(cast[role])

    assert client.get(edit_url(system)).status_code == 403
    response = client.post(edit_url(system), form_data(name="Shallow Breathing", is_active="on"))

    assert response.status_code == 403
    assert Intervention.objects.get(pk=system.pk).name == "Deep Breathing"


@pytest.mark.parametrize("role", ["owner", "practice_admin"])
def test_another_practices_entry_is_not_found(client, cast, foreign, role):
    client.force_login(cast[role])

    assert client.get(edit_url(foreign)).status_code == 404
    assert client.post(edit_url(foreign), form_data(name="Ours now", is_active="on")).status_code == 404
    assert Intervention.objects.get(pk=foreign.pk).name == "Harbor Breathing Circle"


def test_a_clash_on_edit_is_a_form_error_that_keeps_the_input(client, owner, custom):
    client.force_login(owner)

    response = client.post(
        edit_url(custom),
        form_data(name="Thought Records", description="Changed words", modality="CBT", category="cbt", is_active="on"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["An intervention with this name is already in your library."]
    html = response.content.decode()
    assert 'value="Thought Records"' in html
    assert "Changed words" in html
    assert "Edit Walk and Talk Therapy" in html
    custom.refresh_from_db()
    assert (custom.name, custom.modality) == ("Walk and Talk Therapy", "behavioral")


def test_the_library_pages_cost_the_same_queries_for_one_page_of_rows_or_a_few(client, owner, practice):
    client.force_login(owner)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST, {"search": "deep breathing"})
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)

    assert len(many) == len(few)
