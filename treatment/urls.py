"""The treatment pages: plans and the plan builder, the goal tree and its goals and interventions, sessions, and
the outcomes by intervention."""

from treatment.views import goal_interventions, goals, outcomes, plans, session_notes, sessions, tree

urlpatterns = [
    *plans.urlpatterns,
    *tree.urlpatterns,
    *goals.urlpatterns,
    *goal_interventions.urlpatterns,
    *sessions.urlpatterns,
    *session_notes.urlpatterns,
    *outcomes.urlpatterns,
]
