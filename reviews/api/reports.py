"""reports API."""

urlpatterns = []
