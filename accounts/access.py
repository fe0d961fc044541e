"""Who may see and change which patient's records: the one helper every queryset goes through.

Access is recorded as django-guardian grants on the patient (written only by
`accounts.permissions.sync_patient_access`). Practice admins see and change their whole practice;
everyone else sees the patients they hold a `view_patient` grant on and changes those they hold a
`change_patient` grant on. Nothing crosses practices. Records that hang off a patient (plans, goals,
sessions, reviews, reports) use `PatientScopedQuerySet` and inherit the same answer.
"""

from __future__ import annotations

from typing import Literal

from django.db import models
from django.db.models import Exists, OuterRef, Subquery, Value

Action = Literal["view", "change"]
ACTIONS: tuple[Action, ...] = ("view", "change")
#: The annotation `with_change_right` adds: whether the user may change the row's patient.
CHANGE_RIGHT = "user_may_change"


def _grants(user, action: Action):
    """The django-guardian grants of `action` on patients that `user` holds (one row per patient)."""
    from django.contrib.auth.models import Permission

    from accounts.models import Patient, PatientUserObjectPermission

    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    permission = Permission.objects.filter(
        codename=f"{action}_patient",
        content_type__app_label=Patient._meta.app_label,
        content_type__model=Patient._meta.model_name,
    )
    # The permission by its id, as a subquery PostgreSQL runs once: joined to it by codename, the planner took the
    # user's grants of it for one row, and found one plan by walking every patient the user may see (EXPLAIN
    # ANALYZE, issue 16); with the id it reads the plan by its key and checks the one grant.
    return PatientUserObjectPermission.objects.filter(
        user_id=user.pk, permission_id=Subquery(permission.order_by().values("id"))
    )


def _visible_patient_ids(user, action: Action):
    """A subquery of the patient ids `user` may `action`, or None for "the whole practice"."""
    from accounts.models import Role

    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    if user.role == Role.PRACTICE_ADMIN:
        return None
    return _grants(user, action).values("content_object_id")


def _usable(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def _change_right(user, patient_ref: str) -> Exists | Value:
    """Whether `user` may change the patient `patient_ref` names, for rows `restrict(user, "view")` let
    through (so the practice is already the user's): the answer `can(user, "change", ...)` gives."""
    from accounts.models import Role

    if user.is_superuser or user.role == Role.PRACTICE_ADMIN:
        return Value(True)
    return Exists(_grants(user, "change").filter(content_object_id=OuterRef(patient_ref)))


class PatientQuerySet(models.QuerySet):
    def restrict(self, user, action: Action = "view") -> PatientQuerySet:
        """Narrow to the patients `user` may `action` (view or change)."""
        if not _usable(user):
            return self.none()
        if user.is_superuser:
            return self
        if user.practice_id is None:
            return self.none()
        ids = _visible_patient_ids(user, action)
        scoped = self.filter(practice_id=user.practice_id)
        return scoped if ids is None else scoped.filter(id__in=ids)

    def visible_to(self, user) -> PatientQuerySet:
        return self.restrict(user, "view")

    def with_change_right(self, user) -> PatientQuerySet:
        """Annotate each patient with `user_may_change` (for a queryset already restricted to `user`)."""
        return self.annotate(**{CHANGE_RIGHT: _change_right(user, "pk")})


class PatientScopedQuerySet(models.QuerySet):
    """For models whose access follows a patient: set `patient_lookup` on the subclass."""

    patient_lookup = "patient"

    def restrict(self, user, action: Action = "view"):
        from accounts.models import Patient

        if not _usable(user):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(**{f"{self.patient_lookup}__in": Patient.objects.restrict(user, action)})

    def visible_to(self, user):
        return self.restrict(user, "view")

    def with_change_right(self, user):
        """Annotate each row with `user_may_change`, whether `user` may change its patient (for a queryset
        already restricted to `user`): one query answers both "may they see it" and "may they change it"."""
        return self.annotate(**{CHANGE_RIGHT: _change_right(user, self.patient_lookup)})


def patient_of(obj):
    """The patient a record belongs to (the record itself for a patient; None if it has none)."""
    from accounts.models import Patient

    return obj if isinstance(obj, Patient) else getattr(obj, "patient", None)


def can(user, action: Action, patient) -> bool:
    """Whether `user` may `action` this patient: the same answer `restrict` gives, for one object."""
    from accounts.models import Patient

    return Patient.objects.restrict(user, action).filter(pk=patient.pk).exists()
