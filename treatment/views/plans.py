"""plans pages."""

urlpatterns = []
