"""Dashboard page."""

urlpatterns = []
