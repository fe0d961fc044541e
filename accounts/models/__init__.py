from .audit import AuditEvent
from .patient import CareTeamMembership, Patient, PatientUserObjectPermission
from .practice import Practice
from .user import Role, User

__all__ = [
    "AuditEvent",
    "CareTeamMembership",
    "Patient",
    "PatientUserObjectPermission",
    "Practice",
    "Role",
    "User",
]
