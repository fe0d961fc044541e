from django.conf import settings


def session_timeout(request):
    """The idle time-out, so the page can send an idle user back to the login screen."""
    return {"session_idle_timeout_seconds": settings.SESSION_IDLE_TIMEOUT_MINUTES * 60}
