"""goals pages."""

urlpatterns = []
