"""The one writer of guardian grants on patients.

Grants are derived, never edited by hand: the primary therapist and care team get view + change,
and each of their supervisors gets view. `sync_patient_access` makes the grant rows match that rule,
adding what is missing and removing what no longer applies (a transfer of care, a care-team change,
a new supervisor). Practice admins need no grants: their access comes from their role.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from accounts.audit import Action, AuditContext, audit_record
from accounts.models import Patient, PatientUserObjectPermission, User

CLINICIAN_PERMS = ("view_patient", "change_patient")
SUPERVISOR_PERMS = ("view_patient",)


def _permission_ids() -> dict[str, int]:
    ct = ContentType.objects.get_for_model(Patient)
    perms = Permission.objects.filter(content_type=ct, codename__in=CLINICIAN_PERMS)
    return {p.codename: p.pk for p in perms}


def desired_grants(patient: Patient) -> set[tuple[object, str]]:
    """(user id, codename) pairs the rule gives for this patient."""
    clinicians = list(User.objects.filter(is_active=True, practice_id=patient.practice_id, care_team_patients=patient))
    if patient.primary_therapist_id and all(u.pk != patient.primary_therapist_id for u in clinicians):
        primary = patient.primary_therapist
        if primary.is_active and primary.practice_id == patient.practice_id:
            clinicians.append(primary)
    wanted = {(u.pk, codename) for u in clinicians for codename in CLINICIAN_PERMS}
    for u in clinicians:
        if u.supervisor_id and u.supervisor.is_active and u.supervisor.practice_id == patient.practice_id:
            wanted |= {(u.supervisor_id, codename) for codename in SUPERVISOR_PERMS}
    return wanted


GRANTS = PatientUserObjectPermission._meta.label_lower


def _listed(grants: set[tuple[object, str]]) -> list[str]:
    return sorted(f"{user_id}:{codename}" for user_id, codename in grants)


@dataclass(frozen=True)
class GrantChange:
    """A rewrite of one patient's grant rows (before and after) whose audit event is still to be written."""

    patient: Patient
    before: frozenset[tuple[object, str]]
    after: frozenset[tuple[object, str]]

    def audit(self, by: AuditContext | None) -> None:
        audit_record(
            by or AuditContext.system("accounts.permissions.sync_patient_access"),
            Action.UPDATE,
            self.patient,
            object_type=GRANTS,
            changes={"grants": [_listed(set(self.before)), _listed(set(self.after))]},
        )


def rewrite_grants(patient: Patient, perm_ids: dict[str, int] | None = None) -> GrantChange | None:
    """Make the grant rows on `patient` equal to what the rule gives; the change, if any, for the caller to audit.

    For a caller with more to write in its transaction: it audits the change after its last write (audit last,
    `accounts.audit.audit_record`). Everyone else calls `sync_patient_access`.
    """
    perm_ids = perm_ids or _permission_ids()
    codename_by_id = {v: k for k, v in perm_ids.items()}
    existing = {
        (row.user_id, codename_by_id[row.permission_id]): row.pk
        for row in PatientUserObjectPermission.objects.filter(content_object=patient)
    }
    wanted = desired_grants(patient)
    stale = [pk for key, pk in existing.items() if key not in wanted]
    if stale:
        PatientUserObjectPermission.objects.filter(pk__in=stale).delete()
    PatientUserObjectPermission.objects.bulk_create(
        [
            PatientUserObjectPermission(content_object=patient, user_id=user_id, permission_id=perm_ids[codename])
            for user_id, codename in wanted - existing.keys()
        ]
    )
    if wanted == existing.keys():
        return None
    return GrantChange(patient=patient, before=frozenset(existing), after=frozenset(wanted))


@transaction.atomic
def sync_patient_access(
    patient: Patient, perm_ids: dict[str, int] | None = None, *, by: AuditContext | None = None
) -> None:
    """Make the grant rows on `patient` equal to what the rule gives; a change is audited with the grants before
    and after (`"user id:codename"`), on behalf of `by` (else as the system)."""
    change = rewrite_grants(patient, perm_ids)
    if change is not None:
        change.audit(by)


def rewrite_grants_for_clinicians(users: Iterable[User]) -> list[GrantChange]:
    """Re-derive grants on every patient these clinicians treat (their supervisor changed, say), in pk order; the
    changes for the caller to audit after its last write (audit last, `accounts.audit.audit_record`)."""
    user_ids = [u.pk for u in users]
    treated = Patient.objects.filter(primary_therapist_id__in=user_ids) | Patient.objects.filter(care_team__in=user_ids)
    # The patients' rows first, in one statement, as every other writer of a patient's grants takes its patient's
    # row first (it writes the patient): an edit of one of them, which may be past its audit event and about to
    # rewrite the same grants, is waited for here, before any of ours.
    patients = Patient.objects.select_for_update(no_key=True).filter(pk__in=treated.values("pk")).order_by("pk")
    perm_ids = _permission_ids()
    changes = (rewrite_grants(patient, perm_ids) for patient in patients)
    return [change for change in changes if change is not None]
