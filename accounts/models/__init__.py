from .append_only import AppendOnlyModel, AppendOnlyQuerySet, AppendOnlyQuerySetMixin
from .audit import AuditCheckpoint, AuditEvent
from .files import StoredFile
from .mfa import RecoveryCode, RecoveryCodeDevice, recovery_code_digest
from .patient import DEMOGRAPHIC_FIELDS, CareTeamMembership, Patient, PatientUserObjectPermission
from .practice import MAX_REVIEW_LEAD_DAYS, PaperSize, Practice
from .tokens import PersonalToken
from .user import CLINICAL_ROLES, Role, User

__all__ = [
    "CLINICAL_ROLES",
    "DEMOGRAPHIC_FIELDS",
    "MAX_REVIEW_LEAD_DAYS",
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "AppendOnlyQuerySetMixin",
    "AuditCheckpoint",
    "AuditEvent",
    "CareTeamMembership",
    "PaperSize",
    "Patient",
    "PatientUserObjectPermission",
    "PersonalToken",
    "Practice",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "Role",
    "StoredFile",
    "User",
    "recovery_code_digest",
]
