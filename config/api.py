"""The v1 API: each app contributes its routes; all of them live under the `api` namespace."""

from accounts.api.urls import urlpatterns as accounts_urls

app_name = "api"
urlpatterns = [*accounts_urls]
