"""The reviews pages."""

urlpatterns = []
