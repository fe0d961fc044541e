"""The intervention library in Django admin: a practice admin sees the system library and their own practice's
entries (never another practice's), cannot change or delete system entries, and adds and edits their own
through `interventions.services`, whose name rule shows as a form error that writes nothing."""

import pytest

from accounts.models import Role
from interventions.models import Intervention
from tests.factories import UserFactory, intervention

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/interventions/intervention/"
ADD = "/admin/interventions/intervention/add/"


def change_url(obj):
    return f"/admin/interventions/intervention/{obj.pk}/change/"


@pytest.fixture
def admin_client(client, practice_admin):
    client.force_login(practice_admin)
    return client


@pytest.fixture
def ours(practice, owner):
    return Intervention.objects.create(
        name="Riverside Worry Journal",
        description="A worry log kept between sessions.",
        modality="CBT",
        category="cbt",
        evidence_level="emerging",
        practice=practice,
        created_by=owner,
    )


@pytest.fixture
def theirs(other_practice):
    return Intervention.objects.create(
        name="Harbor Tide Breathing", modality="mindfulness", category="relaxation", practice=other_practice
    )


def form(**overrides):
    return {
        "name": "Walk and Talk",
        "description": "Sessions held while walking outdoors.",
        "modality": "behavioral",
        "category": "behavioral",
        "evidence_level": "emerging",
        "is_active": "on",
        **overrides,
    }


def test_the_changelist_shows_the_system_library_and_the_own_practices_entries(admin_client, ours, theirs):
    response = admin_client.get(CHANGELIST, {"all": ""})

    assert response.status_code == 200
    shown = set(response.context["cl"].result_list)
    assert shown == set(Intervention.objects.filter(is_system=True)) | {ours}
    assert len(shown) == 56
    assert b"Harbor Tide Breathing" not in response.content


def test_the_other_practices_admin_sees_their_own_entries_not_ours(client, outsider_admin, ours, theirs):
    client.force_login(outsider_admin)

    response = client.get(CHANGELIST, {"is_system__exact": "0"})

    assert list(response.context["cl"].result_list) == [theirs]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"is_system__exact": "0"}, {"Riverside Worry Journal"}),
        ({"q": "riverside"}, {"Riverside Worry Journal"}),
        ({"q": "harbor"}, set()),
        ({"modality__exact": "CBT", "evidence_level__exact": "emerging"}, {"Riverside Worry Journal"}),
    ],
)
def test_the_changelist_filters_and_searches_within_what_the_admin_sees(admin_client, ours, theirs, params, expected):
    response = admin_client.get(CHANGELIST, params)

    assert response.status_code == 200
    assert {i.name for i in response.context["cl"].result_list} == expected


def test_a_custom_entry_opens_as_an_editable_form(admin_client, ours):
    response = admin_client.get(change_url(ours))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is True
    assert b'name="_save"' in response.content


def test_a_system_entry_opens_read_only(admin_client):
    deep_breathing = intervention("Deep Breathing")

    response = admin_client.get(change_url(deep_breathing))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert b'name="_save"' not in response.content
    assert b"Deep Breathing" in response.content


def test_posting_a_change_to_a_system_entry_is_refused_and_changes_nothing(admin_client):
    deep_breathing = intervention("Deep Breathing")
    before = Intervention.objects.filter(pk=deep_breathing.pk).values().get()

    response = admin_client.post(change_url(deep_breathing), form(name="Deep Breathing (ours)", is_active=""))

    assert response.status_code == 403
    assert Intervention.objects.filter(pk=deep_breathing.pk).values().get() == before


def test_another_practices_entry_is_not_found(admin_client, theirs):
    page = admin_client.get(change_url(theirs))
    post = admin_client.post(change_url(theirs), form(name="Taken Over"))

    assert (page.status_code, page["Location"]) == (302, "/admin/")
    assert post.status_code == 302
    assert b"Harbor Tide" not in page.content
    theirs.refresh_from_db()
    assert theirs.name == "Harbor Tide Breathing"


def test_adding_creates_a_custom_entry_for_the_admins_practice(admin_client, practice, practice_admin):
    response = admin_client.post(ADD, form())

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    created = Intervention.objects.get(name="Walk and Talk")
    assert (created.practice, created.created_by, created.is_system, created.is_active) == (
        practice,
        practice_admin,
        False,
        True,
    )
    assert (created.modality, created.category, created.evidence_level) == ("behavioral", "behavioral", "emerging")


@pytest.mark.parametrize("name", ["riverside worry journal", "  Deep Breathing ", "DEEP BREATHING"])
def test_a_name_already_in_the_library_is_a_form_error_and_writes_nothing(admin_client, ours, name):
    count = Intervention.objects.count()

    response = admin_client.post(ADD, form(name=name))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "An intervention with this name is already in your library."
    ]
    assert Intervention.objects.count() == count


def test_a_name_only_another_practice_uses_is_free(admin_client, practice, theirs):
    response = admin_client.post(ADD, form(name="Harbor Tide Breathing"))

    assert response.status_code == 302
    assert Intervention.objects.filter(name="Harbor Tide Breathing", practice=practice).exists()


def test_editing_a_custom_entry_goes_through_the_service(admin_client, ours, owner):
    response = admin_client.post(change_url(ours), form(name="  Worry Journal  ", is_active=""))

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    ours.refresh_from_db()
    # The service trims the name; retiring keeps the author.
    assert (ours.name, ours.is_active, ours.created_by, ours.is_system) == ("Worry Journal", False, owner, False)


def test_renaming_a_custom_entry_to_a_system_name_is_a_form_error(admin_client, ours):
    response = admin_client.post(change_url(ours), form(name="Deep Breathing"))

    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    ours.refresh_from_db()
    assert (ours.name, ours.modality) == ("Riverside Worry Journal", "CBT")


def test_a_custom_entry_keeps_its_own_name_on_save(admin_client, ours):
    response = admin_client.post(change_url(ours), form(name="Riverside Worry Journal", evidence_level="moderate"))

    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.evidence_level == "moderate"


@pytest.mark.parametrize("which", ["system", "custom"])
def test_nothing_can_be_deleted(admin_client, ours, which):
    obj = intervention("Deep Breathing") if which == "system" else ours
    url = f"/admin/interventions/intervention/{obj.pk}/delete/"

    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Intervention.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.SUPERVISOR])
@pytest.mark.parametrize("url", [CHANGELIST, ADD])
def test_clinicians_cannot_reach_the_library_admin(client, practice, role, url):
    client.force_login(UserFactory(practice=practice, role=role))

    response = client.get(url)
    post = client.post(ADD, form())

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert post.status_code == 302
    assert not Intervention.objects.filter(name="Walk and Talk").exists()


def test_a_superuser_adds_a_custom_entry_for_a_named_practice(client, other_practice):
    client.force_login(UserFactory(practice=None, is_superuser=True, email="root@trellis.example"))

    missing = client.post(ADD, form())
    response = client.post(ADD, form(practice=str(other_practice.pk)))

    assert "practice" in missing.context["adminform"].form.errors
    assert response.status_code == 302
    assert Intervention.objects.get(name="Walk and Talk").practice == other_practice
