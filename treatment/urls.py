"""The treatment pages: plans and the plan builder, the goal tree, recording sessions."""

from treatment.views import goals, plans, sessions

urlpatterns = [*plans.urlpatterns, *goals.urlpatterns, *sessions.urlpatterns]
