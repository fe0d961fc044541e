"""Who holds which guardian grant on a patient, and what `restrict` answers from them.

Grants are asserted as exact sets of (email, codename) rows: a stray grant is as wrong as a missing one.
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import services
from accounts.access import can
from accounts.audit import AuditContext
from accounts.models import AuditEvent, CareTeamMembership, Patient, PatientUserObjectPermission, Role, User
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

BY = AuditContext.system("tests")


def as_admin(user):
    return AuditContext.system("tests", user=user)


def grants(patient):
    rows = PatientUserObjectPermission.objects.filter(content_object=patient)
    return set(rows.values_list("user__email", "permission__codename"))


def clinician(user):
    return {(user.email, "view_patient"), (user.email, "change_patient")}


def viewer(user):
    return {(user.email, "view_patient")}


def fresh(user):
    """A new instance, so guardian and ModelBackend caches from earlier checks do not answer."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def other_supervisor(practice):
    return UserFactory(practice=practice, role=Role.SUPERVISOR, email="supervisor2@riverside.example")


@pytest.fixture
def new_therapist(practice, other_supervisor):
    return UserFactory(practice=practice, supervisor=other_supervisor, email="new@riverside.example")


def test_creating_a_patient_grants_the_therapist_and_their_supervisor(owner, supervisor, patient):
    assert grants(patient) == clinician(owner) | viewer(supervisor)


def test_grants_are_guardian_object_permissions(owner, supervisor, colleague, patient):
    owner, supervisor, colleague = fresh(owner), fresh(supervisor), fresh(colleague)

    assert owner.has_perm("accounts.view_patient", patient)
    assert owner.has_perm("accounts.change_patient", patient)
    assert supervisor.has_perm("accounts.view_patient", patient)
    assert not supervisor.has_perm("accounts.change_patient", patient)
    assert not colleague.has_perm("accounts.view_patient", patient)


def test_practice_admin_sees_and_changes_the_whole_practice_without_grants(practice_admin, patient):
    assert not PatientUserObjectPermission.objects.filter(user=practice_admin).exists()
    assert list(Patient.objects.restrict(practice_admin, "view")) == [patient]
    assert list(Patient.objects.restrict(practice_admin, "change")) == [patient]


def test_restrict_answers_view_and_change_per_role(cast, patient):
    visible = {name for name, user in cast.items() if can(user, "view", patient)}
    changeable = {name for name, user in cast.items() if can(user, "change", patient)}

    assert visible == {"owner", "supervisor", "practice_admin"}
    assert changeable == {"owner", "practice_admin"}


def test_a_grant_row_never_reaches_across_practices(patient, other_practice):
    """Defence in depth: even a stray grant to another practice's clinician shows them nothing."""
    stranger = UserFactory(practice=other_practice)
    for codename in ("view_patient", "change_patient"):
        PatientUserObjectPermission.objects.create(
            content_object=patient, user=stranger, permission=Permission.objects.get(codename=codename)
        )

    assert not Patient.objects.restrict(stranger, "view").exists()
    assert not Patient.objects.restrict(stranger, "change").exists()


def test_inactive_and_anonymous_users_see_nothing(owner, patient):
    from django.contrib.auth.models import AnonymousUser

    User.objects.filter(pk=owner.pk).update(is_active=False)

    assert not Patient.objects.visible_to(fresh(owner)).exists()
    assert not Patient.objects.visible_to(AnonymousUser()).exists()


def test_restrict_rejects_an_unknown_action(owner):
    with pytest.raises(ValueError, match="delete"):
        Patient.objects.restrict(owner, "delete")


def test_care_team_member_gets_view_and_change(owner, supervisor, colleague):
    patient = PatientFactory(primary_therapist=owner, care_team=[colleague])

    assert grants(patient) == clinician(owner) | clinician(colleague) | viewer(supervisor)
    assert can(colleague, "change", patient)


def test_care_team_members_supervisor_gets_view(owner, supervisor, new_therapist, other_supervisor):
    patient = PatientFactory(primary_therapist=owner, care_team=[new_therapist])

    assert viewer(other_supervisor) <= grants(patient)
    assert not can(other_supervisor, "change", patient)


def test_removing_a_care_team_member_revokes_their_access(owner, supervisor, colleague):
    patient = PatientFactory(primary_therapist=owner, care_team=[colleague])

    services.care_team_set(by=BY, patient=patient, members=[])

    assert grants(patient) == clinician(owner) | viewer(supervisor)
    assert not can(colleague, "view", patient)
    assert list(patient.care_team.all()) == [owner]


def test_transfer_moves_the_grants_to_the_new_therapist_and_their_supervisor(
    owner, supervisor, practice_admin, new_therapist, other_supervisor, patient
):
    services.patient_transfer(by=as_admin(practice_admin), patient=patient, therapist=new_therapist)

    assert grants(patient) == clinician(new_therapist) | viewer(other_supervisor)
    assert not can(owner, "view", patient)
    assert not can(supervisor, "view", patient)


def test_transfer_back_regrants_the_first_therapist(owner, supervisor, practice_admin, new_therapist, patient):
    services.patient_transfer(by=as_admin(practice_admin), patient=patient, therapist=new_therapist)
    services.patient_transfer(by=as_admin(practice_admin), patient=patient, therapist=owner)

    assert grants(patient) == clinician(owner) | viewer(supervisor)


def test_changing_a_therapists_supervisor_moves_the_supervisors_view(
    practice, owner, supervisor, other_supervisor, patient
):
    services.staff_save(email=owner.email, role=Role.THERAPIST, practice=practice, supervisor=other_supervisor)

    assert grants(patient) == clinician(owner) | viewer(other_supervisor)
    assert not can(supervisor, "view", patient)
    assert can(other_supervisor, "view", patient)


def test_deactivating_a_therapist_removes_their_grants(practice, owner, supervisor, patient):
    services.staff_save(
        email=owner.email, role=Role.THERAPIST, practice=practice, supervisor=supervisor, is_active=False
    )

    assert not PatientUserObjectPermission.objects.filter(user=owner).exists()
    assert not Patient.objects.visible_to(fresh(owner)).exists()


def test_a_supervisor_who_loses_the_role_loses_their_supervisees_patients(practice, owner, supervisor, patient):
    services.staff_save(email=supervisor.email, role=Role.THERAPIST, practice=practice)

    owner.refresh_from_db()
    assert owner.supervisor is None
    assert grants(patient) == clinician(owner)


def test_deactivating_a_supervisor_removes_their_grants(practice, owner, supervisor, patient):
    services.staff_save(email=supervisor.email, role=Role.SUPERVISOR, practice=practice, is_active=False)

    assert not PatientUserObjectPermission.objects.filter(user=supervisor).exists()


def test_only_a_practice_admin_may_transfer(owner, supervisor, new_therapist, patient):
    for actor in (None, owner, supervisor):
        with pytest.raises(PermissionDenied):
            services.patient_transfer(
                by=AuditContext.system("tests", user=actor), patient=patient, therapist=new_therapist
            )

    assert grants(patient) == clinician(owner) | viewer(supervisor)


@pytest.mark.parametrize("where", ["primary_therapist", "care_team"])
def test_services_refuse_a_clinician_from_another_practice(practice, owner, other_practice, where):
    stranger = UserFactory(practice=other_practice)
    therapist, team = (stranger, []) if where == "primary_therapist" else (owner, [stranger])
    before = (Patient.objects.count(), AuditEvent.objects.count(), CareTeamMembership.objects.count())

    with pytest.raises(ValidationError) as error:
        services.patient_create(
            by=BY,
            practice=practice,
            primary_therapist=therapist,
            care_team=team,
            first_name="Ann",
            last_name="Lee",
            date_of_birth="1990-01-01",
        )

    assert where in error.value.message_dict
    assert (Patient.objects.count(), AuditEvent.objects.count(), CareTeamMembership.objects.count()) == before


def test_a_practice_admin_cannot_be_a_primary_therapist(practice, practice_admin):
    with pytest.raises(ValidationError) as error:
        PatientFactory(primary_therapist=practice_admin)

    assert "primary_therapist" in error.value.message_dict
    assert not Patient.objects.exists()


def test_records_hanging_off_a_patient_inherit_its_access(cast, patient):
    """PatientScopedQuerySet: what plans, goals and sessions will use (here on care-team rows)."""
    from accounts.models import CareTeamMembership

    visible = {name: set(CareTeamMembership.objects.restrict(user, "view")) for name, user in cast.items()}
    changeable = {name: set(CareTeamMembership.objects.restrict(user, "change")) for name, user in cast.items()}
    rows = set(CareTeamMembership.objects.filter(patient=patient))

    assert rows
    assert visible == {
        "owner": rows,
        "colleague": set(),
        "supervisor": rows,
        "practice_admin": rows,
        "outsider_admin": set(),
    }
    assert changeable == {
        "owner": rows,
        "colleague": set(),
        "supervisor": set(),
        "practice_admin": rows,
        "outsider_admin": set(),
    }
