"""The reviews pages: the dashboard, reviews and versions, notifications, progress reports."""

from reviews.views import dashboard, notifications, reports, reviews

urlpatterns = [*dashboard.urlpatterns, *reviews.urlpatterns, *notifications.urlpatterns, *reports.urlpatterns]
