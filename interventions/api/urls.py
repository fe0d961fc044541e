from accounts.api.routers import OptionalSlashRouter
from interventions.api import views

router = OptionalSlashRouter()
router.register("interventions", views.InterventionViewSet, basename="intervention")

urlpatterns = router.urls
