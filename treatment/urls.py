"""The treatment pages."""

urlpatterns = []
