from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.mfa.views import admin_login
from config.readiness import readyz

admin.site.site_header = "Trellis administration"
admin.site.site_title = "Trellis admin"
admin.site.index_title = "Practice administration"

urlpatterns = [
    path("readyz", readyz, name="readyz"),
    # The admin's sign-in with the code step after the password (before admin.site.urls, which it replaces).
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI under the CSP: its init script is served from ?script, not inline (templates/api/swagger_ui.html).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("", include("accounts.urls")),
    path("", include("treatment.urls")),
    path("", include("interventions.urls")),
    path("", include("reviews.urls")),
]

# JSON in the API's error shape under /api/, the HTML error pages elsewhere (accounts/errors.py).
handler400 = "accounts.errors.bad_request"
handler403 = "accounts.errors.permission_denied"
handler404 = "accounts.errors.page_not_found"
handler500 = "accounts.errors.server_error"
