"""The reviews pages: the dashboard, reviews and versions, notifications, progress reports, signing, documents."""

from reviews.views import dashboard, documents, notifications, reports, reviews, signing

urlpatterns = [
    *dashboard.urlpatterns,
    *reviews.urlpatterns,
    *notifications.urlpatterns,
    *reports.urlpatterns,
    *signing.urlpatterns,
    *documents.urlpatterns,
]
