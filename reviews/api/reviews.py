"""reviews API."""

urlpatterns = []
