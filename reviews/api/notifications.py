"""notifications API."""

urlpatterns = []
