from .audit import AuditEvent
from .patient import DEMOGRAPHIC_FIELDS, CareTeamMembership, Patient, PatientUserObjectPermission
from .practice import Practice
from .user import Role, User

__all__ = [
    "DEMOGRAPHIC_FIELDS",
    "AuditEvent",
    "CareTeamMembership",
    "Patient",
    "PatientUserObjectPermission",
    "Practice",
    "Role",
    "User",
]
