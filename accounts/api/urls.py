from django.urls import re_path

from accounts.api import views
from accounts.api.personal_tokens import PersonalTokenViewSet
from accounts.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("patients", views.PatientViewSet, basename="patient")
router.register("audit-events", views.AuditEventViewSet, basename="auditevent")
router.register("staff", views.StaffViewSet, basename="staff")
router.register("auth/personal-tokens", PersonalTokenViewSet, basename="personaltoken")

urlpatterns = [
    re_path(r"^auth/token/?$", views.TokenView.as_view(), name="auth-token"),
    *router.urls,
]
