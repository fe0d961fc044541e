"""Model-level permissions that follow from a role, so the role stays the one source of truth."""

from functools import cache

from django.apps import apps
from django.contrib.auth.backends import BaseBackend

from accounts.models import Role

# Apps whose records a practice admin manages in Django admin (scoped to their practice there).
PRACTICE_APPS = ("accounts", "interventions", "treatment", "reviews")
# Records a practice admin may read but never write: the audit trail, and the guardian grants,
# which are derived from care teams and supervision by accounts.permissions.
READ_ONLY = {"accounts.auditevent", "accounts.patientuserobjectpermission", "accounts.practice:add"}


@cache
def practice_admin_permissions() -> frozenset[str]:
    """Clinical records are never deleted, so no delete permission is ever given."""
    perms = set()
    for app_label in PRACTICE_APPS:
        for model in apps.get_app_config(app_label).get_models():
            label = model._meta.label_lower
            for action in model._meta.default_permissions:
                if action == "delete":
                    continue
                if action != "view" and (label in READ_ONLY or f"{label}:{action}" in READ_ONLY):
                    continue
                perms.add(f"{model._meta.app_label}.{action}_{model._meta.model_name}")
    return frozenset(perms)


class RolePermissionBackend(BaseBackend):
    """Gives practice admins the model permissions Django admin asks for; authenticates nobody."""

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or getattr(user_obj, "role", None) != Role.PRACTICE_ADMIN:
            return set()
        return set(practice_admin_permissions())

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))
