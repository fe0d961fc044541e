from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import account_views, views
from accounts.mfa import views as mfa_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/login/code/", mfa_views.LoginCodeView.as_view(), name="login-code"),
    path("accounts/", account_views.AccountView.as_view(), name="account"),
    path(
        "accounts/tokens/<uuid:pk>/revoke/",
        account_views.PersonalTokenRevokeView.as_view(),
        name="personal-token-revoke",
    ),
    path("accounts/mfa/enrol/", mfa_views.EnrolView.as_view(), name="mfa-enrol"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("patients/", views.PatientListView.as_view(), name="patient-list"),
    path("patients/new/", views.PatientCreateView.as_view(), name="patient-create"),
    path("patients/<uuid:pk>/", views.PatientDetailView.as_view(), name="patient-detail"),
    path("patients/<uuid:pk>/edit/", views.PatientUpdateView.as_view(), name="patient-update"),
]
