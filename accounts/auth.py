"""Login safety glue for django-axes: one account, one counter, whatever door is used."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render


def axes_username(request, credentials=None) -> str:
    """The account an attempt is for, normalised so `Ann@X.org` and `ann@x.org` count together."""
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if value is None:
        data = getattr(request, "data", None) or request.POST
        value = data.get("username") or data.get("email")
    return str(value or "").strip().lower()


def lockout_response(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = (
        f"Too many failed sign-in attempts: this account is locked for {minutes} minutes. "
        "Ask your practice admin if you need access sooner."
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
