"""Writes to people and patients. The API, the HTML views, the admin and the commands all call these."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.audit import Action, AuditContext, audit_record, diff, snapshot
from accounts.models import CLINICAL_ROLES, DEMOGRAPHIC_FIELDS, CareTeamMembership, Patient, Practice, Role, User
from accounts.permissions import GrantChange, rewrite_grants, rewrite_grants_for_clinicians, sync_patient_access
from accounts.signals import patient_transferred


def _check_clinician(user: User | None, practice: Practice, field: str) -> None:
    if user is None:
        return
    if user.practice_id != practice.pk:
        raise ValidationError({field: "This clinician does not work in the patient's practice."})
    if not user.is_active:
        raise ValidationError({field: "This account is deactivated."})
    if user.role not in CLINICAL_ROLES:
        raise ValidationError({field: "Only a therapist or supervisor can treat patients."})


def check_external_id(practice: Practice, external_id: str, exclude_pk=None) -> None:
    if not external_id:
        return
    clash = Patient.objects.filter(practice=practice, external_id=external_id).exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"external_id": "Another patient in this practice has this identifier."})


class PossibleDuplicate(ValidationError):
    """A patient of the same name and date of birth is already in the practice: registering another one needs
    `confirm_duplicate`. `visible` are those of them the user may view (a page links them); the others are
    only counted (`hidden`), never described."""

    def __init__(self, *, visible: list[Patient], hidden: int) -> None:
        self.visible, self.hidden = visible, hidden
        if visible:
            named = ", ".join(f"{p.full_name} (born {p.date_of_birth:%Y-%m-%d}, id {p.pk})" for p in visible)
            message = f"This may be a patient already registered: {named}."
        else:
            message = "A patient with this name and date of birth is already registered in the practice."
        message += " If this is a different person, confirm to register them anyway."
        super().__init__({"confirm_duplicate": ValidationError(message, code="possible_duplicate")})


def check_duplicate(*, by: AuditContext, practice: Practice, first_name: str, last_name: str, date_of_birth) -> None:
    """Refuse a patient whose name and date of birth (case and spacing aside) match one in the practice.

    Every patient of the practice counts, those the user may not see too (a duplicate is a duplicate); which
    of them the user may view decides only what the refusal shows.
    """
    matches = list(
        Patient.objects.filter(
            practice=practice,
            first_name__iexact=" ".join((first_name or "").split()),
            last_name__iexact=" ".join((last_name or "").split()),
            date_of_birth=date_of_birth,
        ).values_list("pk", flat=True)
    )
    if not matches:
        return
    visible: list[Patient] = []
    if by.user is not None:
        visible = list(Patient.objects.restrict(by.user, "view").filter(pk__in=matches).order_by("created_at"))
    raise PossibleDuplicate(visible=visible, hidden=len(matches) - len(visible))


def primary_therapist_for(*, actor: User, requested: User | None, field: str = "primary_therapist") -> User | None:
    """Who treats a patient `actor` registers: a clinician treats whom they register; only a
    practice admin (or a platform superuser) may name another clinician, or nobody yet."""
    if actor.acts_for_practice():
        return requested
    if requested is not None and requested.pk != actor.pk:
        raise ValidationError({field: "Only a practice admin can assign a patient to someone else."})
    return actor


@transaction.atomic
def patient_create(
    *,
    by: AuditContext,
    practice: Practice,
    primary_therapist: User | None,
    care_team: list[User] | None = None,
    confirm_duplicate: bool = False,
    **fields,
) -> Patient:
    """Register a patient; the primary therapist and care team get access to the record.

    A patient of the same name and date of birth in the practice is refused (`PossibleDuplicate`) unless
    `confirm_duplicate` says this is a different person.
    """
    _check_clinician(primary_therapist, practice, "primary_therapist")
    for member in care_team or []:
        _check_clinician(member, practice, "care_team")
    check_external_id(practice, fields.get("external_id", ""))
    patient = Patient(practice=practice, primary_therapist=primary_therapist, **fields)
    patient.full_clean()
    if not confirm_duplicate:
        check_duplicate(
            by=by,
            practice=practice,
            first_name=patient.first_name,
            last_name=patient.last_name,
            date_of_birth=patient.date_of_birth,
        )
    patient.save()
    members = {m.pk: m for m in (care_team or [])}
    if primary_therapist:
        members[primary_therapist.pk] = primary_therapist
    CareTeamMembership.objects.bulk_create([CareTeamMembership(patient=patient, user=m) for m in members.values()])
    sync_patient_access(patient, by=by)
    audit_record(by, Action.CREATE, patient, changes=diff({}, snapshot(patient, DEMOGRAPHIC_FIELDS)))
    return patient


@transaction.atomic
def patient_update(*, by: AuditContext, patient: Patient, **fields) -> Patient:
    """Change a patient's demographics or status; the audit event keeps old and new values."""
    unknown = set(fields) - set(DEMOGRAPHIC_FIELDS)
    if unknown:
        raise ValueError(f"Not patient fields: {sorted(unknown)}")
    before = snapshot(patient, DEMOGRAPHIC_FIELDS)
    for name, value in fields.items():
        setattr(patient, name, value)
    check_external_id(patient.practice, patient.external_id, exclude_pk=patient.pk)
    patient.full_clean()
    patient.save()
    changes = diff(before, snapshot(patient, DEMOGRAPHIC_FIELDS))
    if changes:
        audit_record(by, Action.UPDATE, patient, changes=changes)
    return patient


@transaction.atomic
def care_team_set(*, by: AuditContext, patient: Patient, members: list[User]) -> Patient:
    """Replace the care team (the primary therapist always stays on it) and re-derive access."""
    for member in members:
        _check_clinician(member, patient.practice, "care_team")
    wanted = {m.pk for m in members}
    if patient.primary_therapist_id:
        wanted.add(patient.primary_therapist_id)
    current = set(patient.care_team_memberships.values_list("user_id", flat=True))
    if wanted == current:
        return patient
    patient.care_team_memberships.exclude(user_id__in=wanted).delete()
    CareTeamMembership.objects.bulk_create(
        [CareTeamMembership(patient=patient, user_id=uid) for uid in wanted - current]
    )
    sync_patient_access(patient, by=by)
    audit_record(
        by,
        Action.UPDATE,
        patient,
        changes={"care_team": [sorted(map(str, current)), sorted(map(str, wanted))]},
    )
    return patient


@transaction.atomic
def patient_transfer(*, by: AuditContext, patient: Patient, therapist: User) -> Patient:
    """Transfer of care: the new therapist becomes primary; the previous one loses access.

    Only a practice admin of the patient's practice (or a platform superuser) may transfer.
    """
    actor = by.user
    if actor is None or not actor.acts_for_practice(patient.practice_id):
        raise PermissionDenied("Only a practice admin can transfer care.")
    _check_clinician(therapist, patient.practice, "therapist_id")
    previous_id = patient.primary_therapist_id
    if previous_id == therapist.pk:
        raise ValidationError({"therapist_id": "This therapist is already the primary therapist."})
    patient.primary_therapist = therapist
    patient.save(update_fields=["primary_therapist", "updated_at"])
    if previous_id is not None:
        patient.care_team_memberships.filter(user_id=previous_id).delete()
    CareTeamMembership.objects.get_or_create(patient=patient, user=therapist)
    grants = rewrite_grants(patient)
    # Treatment moves the open plans along with the care (it may import us; we may not import it). It locks them
    # all before it audits the moves, and our own events follow: audit last, so a plan writer never deadlocks us.
    patient_transferred.send(sender=Patient, by=by, patient=patient, previous_id=previous_id, therapist=therapist)
    if grants is not None:
        grants.audit(by)
    audit_record(
        by,
        Action.UPDATE,
        patient,
        changes={"primary_therapist": [str(previous_id) if previous_id else None, str(therapist.pk)]},
    )
    return patient


#: What a staff member's audit event records of the account.
STAFF_AUDITED = (
    "email",
    "role",
    "practice",
    "supervisor",
    "is_active",
    "full_name",
    "credentials",
    "license_number",
    "needs_supervision",
)


@transaction.atomic
def staff_save(
    *,
    email: str,
    role: str,
    practice: Practice | None,
    password: str | None = None,
    full_name: str | None = None,
    credentials: str | None = None,
    license_number: str | None = None,
    supervisor: User | None = None,
    is_active: bool | None = None,
    needs_supervision: bool | None = None,
    user: User | None = None,
    by: AuditContext | None = None,
) -> tuple[User, bool]:
    """Create or update a member of staff (matched by email); returns (user, created).

    Keeps patient grants true to the new facts: a changed supervisor or deactivation re-derives
    access on every patient the person treats. The account's creation or change (role, supervisor,
    activation, ...; a new password as such, never its value) is audited on behalf of `by` (else as the
    system), and so is each supervisee left without a supervisor.
    """
    by = by or AuditContext.system("accounts.services.staff_save")
    email = User.objects.normalize_email(email).lower()
    if role not in Role.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(Role.values)}."})
    if user is None:
        user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        user = User(email=email)
        if not password:
            raise ValidationError({"password": "A new account needs a password."})
    old = (user.role, user.supervisor_id, user.is_active, user.practice_id)
    before = {} if created else snapshot(user, STAFF_AUDITED)
    user.email = email
    user.role = role
    user.practice = practice
    user.supervisor = supervisor
    if full_name is not None:
        user.full_name = full_name
    if credentials is not None:
        user.credentials = credentials
    if license_number is not None:
        user.license_number = license_number
    if is_active is not None:
        user.is_active = is_active
    if needs_supervision is not None:
        user.needs_supervision = needs_supervision
    if password:
        validate_password(password, user)
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    changes = diff(before, snapshot(user, STAFF_AUDITED))
    if password:
        changes["password"] = [None if created else "(kept)", "(set)"]
    # Every write first, then the events in their usual order (audit last, `accounts.audit.audit_record`).
    unsupervised: list[User] = []
    grants: list[GrantChange] = []
    if not created and old != (user.role, user.supervisor_id, user.is_active, user.practice_id):
        supervisees = list(user.supervisees.all())
        if old[0] == Role.SUPERVISOR and role != Role.SUPERVISOR:
            User.objects.filter(pk__in=[s.pk for s in supervisees]).update(supervisor=None)
            unsupervised = supervisees
        # The person's own patients, and (as a supervisor) their supervisees' patients.
        grants = rewrite_grants_for_clinicians([user, *supervisees])
    if changes:
        audit_record(by, Action.CREATE if created else Action.UPDATE, user, changes=changes)
    for supervisee in unsupervised:
        audit_record(by, Action.UPDATE, supervisee, changes={"supervisor": [str(user.pk), None]})
    for change in grants:
        change.audit(by)
    return user, created


def password_changed(*, user: User) -> int:
    """After a password change or reset, no API token issued under the old password still works.

    (Other browser sessions end by themselves: Django ties a session to the password's hash.)
    """
    from knox.models import AuthToken

    revoked, _ = AuthToken.objects.filter(user=user).delete()
    return revoked


def expired_logins_purge() -> dict[str, int]:
    """Delete expired browser sessions and API tokens: a stolen copy of either is then worthless."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from knox.models import AuthToken

    now = timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    tokens, _ = AuthToken.objects.filter(expiry__lt=now).delete()
    return {"sessions": sessions, "tokens": tokens}
