from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("patients/", views.PatientListView.as_view(), name="patient-list"),
    path("patients/new/", views.PatientCreateView.as_view(), name="patient-create"),
    path("patients/<uuid:pk>/", views.PatientDetailView.as_view(), name="patient-detail"),
    path("patients/<uuid:pk>/edit/", views.PatientUpdateView.as_view(), name="patient-update"),
]
