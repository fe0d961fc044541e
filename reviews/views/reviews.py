"""reviews pages."""

urlpatterns = []
