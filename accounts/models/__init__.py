from .audit import AuditEvent
from .patient import DEMOGRAPHIC_FIELDS, CareTeamMembership, Patient, PatientUserObjectPermission
from .practice import Practice
from .user import CLINICAL_ROLES, Role, User

__all__ = [
    "CLINICAL_ROLES",
    "DEMOGRAPHIC_FIELDS",
    "AuditEvent",
    "CareTeamMembership",
    "Patient",
    "PatientUserObjectPermission",
    "Practice",
    "Role",
    "User",
]
