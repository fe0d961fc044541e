"""The interventions pages."""

urlpatterns = []
