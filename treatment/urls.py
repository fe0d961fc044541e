"""The treatment pages: plans and the plan builder, the goal tree and its goals and interventions, sessions, and
the outcomes by intervention."""

from treatment.views import (
    amending,
    goal_interventions,
    goals,
    measures,
    outcomes,
    plans,
    session_notes,
    sessions,
    tree,
)

urlpatterns = [
    *plans.urlpatterns,
    *tree.urlpatterns,
    *goals.urlpatterns,
    *goal_interventions.urlpatterns,
    *amending.urlpatterns,
    *sessions.urlpatterns,
    *session_notes.urlpatterns,
    *measures.urlpatterns,
    *outcomes.urlpatterns,
]
