from .diagnosis import DiagnosisCode
from .goal import GoalIntervention, GoalProgress, GoalStatus, GoalType, TreatmentGoal
from .plan import PlanStatus, ReviewStatus, TreatmentPlan
from .session import SessionIntervention, TherapySession

__all__ = [
    "DiagnosisCode",
    "GoalIntervention",
    "GoalProgress",
    "GoalStatus",
    "GoalType",
    "PlanStatus",
    "ReviewStatus",
    "SessionIntervention",
    "TherapySession",
    "TreatmentGoal",
    "TreatmentPlan",
]
