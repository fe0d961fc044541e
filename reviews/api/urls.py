"""The reviews API: reviews, versions, notifications, progress reports."""

urlpatterns = []
