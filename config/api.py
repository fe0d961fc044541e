"""The v1 API: each app contributes its routes; all of them live under the `api` namespace."""

from accounts.api.urls import urlpatterns as accounts_urls
from interventions.api.urls import urlpatterns as interventions_urls
from reviews.api.urls import urlpatterns as reviews_urls
from treatment.api.urls import urlpatterns as treatment_urls

app_name = "api"
urlpatterns = [*accounts_urls, *interventions_urls, *treatment_urls, *reviews_urls]
