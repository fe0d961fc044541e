"""notifications pages."""

urlpatterns = []
