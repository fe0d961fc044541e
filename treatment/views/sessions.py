"""sessions pages."""

urlpatterns = []
