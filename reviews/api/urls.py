"""The reviews API: each concern declares its own routes (reviews and versions, signatures, notifications, reports)."""

from reviews.api import notifications, reports, reviews, signatures

urlpatterns = [*reviews.urlpatterns, *signatures.urlpatterns, *notifications.urlpatterns, *reports.urlpatterns]
