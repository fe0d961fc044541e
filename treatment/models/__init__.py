from .diagnosis import DiagnosisCode
from .goal import GoalIntervention, GoalProgress, GoalStatus, GoalType, TreatmentGoal
from .plan import PlanStatus, ReviewStatus, TreatmentPlan
from .session import ADDENDUM_MAX_LENGTH, SessionAddendum, SessionIntervention, TherapySession

__all__ = [
    "ADDENDUM_MAX_LENGTH",
    "DiagnosisCode",
    "GoalIntervention",
    "GoalProgress",
    "GoalStatus",
    "GoalType",
    "PlanStatus",
    "ReviewStatus",
    "SessionAddendum",
    "SessionIntervention",
    "TherapySession",
    "TreatmentGoal",
    "TreatmentPlan",
]
