"""The reviews API: each concern declares its own routes (reviews and versions, notifications, reports)."""

from reviews.api import notifications, reports, reviews

urlpatterns = [*reviews.urlpatterns, *notifications.urlpatterns, *reports.urlpatterns]
