"""manage.py create_staff and the demo's people (seed_demo's first half): safe to re-run; refusals write nothing.

The whole seed_demo command, plans included, is tested in tests/treatment/test_seed_demo.py.
"""

import pytest
from django.core.management import CommandError, call_command

from accounts.audit import AuditContext
from accounts.demo import DEMO_PASSWORD, DEMO_STAFF, seed_people
from accounts.models import Patient, PatientUserObjectPermission, Practice, Role, User
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

PASSWORD = "long-enough-pass-42"


def create_staff(**options):
    options.setdefault("password", PASSWORD)
    return call_command("create_staff", **options)


def signs_in(client, email, password):
    """Through the real login page: Client.login() gives axes no request, which it refuses."""
    client.logout()
    client.post("/accounts/login/", {"username": email, "password": password})
    return "_auth_user_id" in client.session


def counts():
    return User.objects.count(), Practice.objects.count(), PatientUserObjectPermission.objects.count()


def test_create_staff_creates_the_practice_when_missing(client, capsys):
    create_staff(email="Ann@Lakeside.example", role="therapist", practice="Lakeside", full_name="Ann Example")

    user = User.objects.get()
    assert user.email == "ann@lakeside.example"
    assert (user.practice.name, user.role, user.full_name) == ("Lakeside", Role.THERAPIST, "Ann Example")
    assert "Created practice Lakeside" in capsys.readouterr().out
    assert signs_in(client, "ann@lakeside.example", PASSWORD)


def test_create_staff_joins_an_existing_practice(practice):
    create_staff(email="ann@riverside.example", role="supervisor", practice="Riverside")

    assert Practice.objects.count() == 1
    assert User.objects.get(email="ann@riverside.example").practice == practice


def test_rerunning_create_staff_updates_role_and_password(client, owner, password):
    create_staff(email=owner.email, role="supervisor", password="a-brand-new-secret-7")

    owner.refresh_from_db()
    assert owner.role == Role.SUPERVISOR
    assert User.objects.filter(email__iexact=owner.email).count() == 1
    assert not signs_in(client, owner.email, password)
    assert signs_in(client, owner.email, "a-brand-new-secret-7")


def test_create_staff_links_a_supervisor_who_then_sees_the_patients(practice, owner, supervisor):
    other = User.objects.create_user("rivera@riverside.example", practice=practice, role=Role.SUPERVISOR)
    patient = PatientFactory(primary_therapist=owner)

    create_staff(email=owner.email, role="therapist", supervisor="RIVERA@riverside.example")

    owner.refresh_from_db()
    assert owner.supervisor == other
    assert Patient.objects.visible_to(other).get() == patient
    assert not Patient.objects.visible_to(supervisor).exists()


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"supervisor": "nobody@riverside.example"}, "nobody@riverside.example"),
        ({"supervisor": "colleague@riverside.example"}, "supervisor"),
        ({"supervisor": "admin@harbor.example"}, "same practice"),
        ({"password": "short-pw-11"}, "12 characters"),
        ({"password": "password1234"}, "too common"),
    ],
)
def test_create_staff_refuses_bad_input_and_writes_nothing(colleague, outsider_admin, options, says):
    before = counts()

    with pytest.raises(CommandError, match=says):
        create_staff(email="new@brandnew.example", role="therapist", practice="Brand New", **options)

    assert counts() == before
    assert not User.objects.filter(email="new@brandnew.example").exists()
    assert not Practice.objects.filter(name="Brand New").exists()


def test_a_new_account_needs_a_practice(db):
    with pytest.raises(CommandError, match="--practice"):
        create_staff(email="ann@x.example", role="therapist")

    assert not User.objects.exists()


def test_a_refused_update_leaves_the_account_as_it_was(client, owner, password):
    with pytest.raises(CommandError, match="12 characters"):
        create_staff(email=owner.email, role="practice_admin", password="tooshort")

    owner.refresh_from_db()
    assert owner.role == Role.THERAPIST
    assert signs_in(client, owner.email, password)


def test_rerunning_create_staff_without_supervisor_keeps_the_supervisor(owner, supervisor, patient):
    """A password reset by re-running the command must not silently cut the supervisor's access."""
    create_staff(email=owner.email, role="therapist", password="a-brand-new-secret-7")

    owner.refresh_from_db()
    assert owner.supervisor == supervisor
    assert Patient.objects.visible_to(supervisor).get() == patient


def seed():
    seed_people(AuditContext.system("tests"))


def test_demo_people_are_idempotent():
    seed()
    first = (User.objects.count(), Patient.objects.count(), Practice.objects.count())
    grants = set(PatientUserObjectPermission.objects.values_list("user_id", "content_object_id", "permission_id"))

    seed()

    assert first == (len(DEMO_STAFF), 8, 2)
    assert (User.objects.count(), Patient.objects.count(), Practice.objects.count()) == first
    assert (
        set(PatientUserObjectPermission.objects.values_list("user_id", "content_object_id", "permission_id")) == grants
    )


def test_the_demo_practices_do_not_require_mfa():
    """The demo's shared logins sign in with the password alone, even over a database whose demo practices
    took the migration's default (MFA required)."""
    Practice.objects.create(name="Harbor Family Therapy", mfa_required=True)

    seed()

    assert list(Practice.objects.values_list("mfa_required", flat=True)) == [False, False]


@pytest.mark.parametrize("email", [row[0] for row in DEMO_STAFF])
def test_demo_logins_work(client, email):
    seed()

    assert signs_in(client, email, DEMO_PASSWORD)
    assert client.get("/patients/").status_code == 200


def test_demo_access_follows_the_rules():
    seed()

    def visible(email):
        return set(Patient.objects.visible_to(User.objects.get(email=email)).values_list("external_id", flat=True))

    assert visible("lee@riverside.example") == {"RCC-1001", "RCC-1002", "RCC-1003"}
    assert visible("patel@riverside.example") == {"RCC-1003", "RCC-1004", "RCC-1005", "RCC-1007"}
    assert visible("rivera@riverside.example") == {f"RCC-100{n}" for n in range(1, 8)}
    assert visible("admin@harbor.example") == {"HFT-2001"}
