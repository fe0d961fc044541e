"""The treatment pages: plans and the plan builder, the goal tree and its goals and interventions, sessions, and
the outcomes by intervention, and the plan-template library and builder."""

from treatment.views import (
    amending,
    blanks,
    builder_lists,
    goal_interventions,
    goals,
    measures,
    outcomes,
    plans,
    session_notes,
    sessions,
    template_builder,
    template_choice,
    templates,
    tree,
)

urlpatterns = [
    *plans.urlpatterns,
    *builder_lists.urlpatterns,
    *tree.urlpatterns,
    *goals.urlpatterns,
    *goal_interventions.urlpatterns,
    *amending.urlpatterns,
    *blanks.urlpatterns,
    *sessions.urlpatterns,
    *session_notes.urlpatterns,
    *measures.urlpatterns,
    *outcomes.urlpatterns,
    *template_choice.urlpatterns,
    *templates.urlpatterns,
    *template_builder.urlpatterns,
]
