"""Signing in is the default (Django's LoginRequiredMiddleware): every page needs it unless it opts out, and only
the pages that must be public do. The API answers 401 itself; the admin has its own sign-in."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

#: The pages anyone may open, by URL name: signing in, resetting a password, the health probes, and the start
#: page (which sends a visitor to sign in); the code step of a sign-in and the admin's sign-in (accounts.mfa).
PUBLIC = {
    "home",
    "healthz",
    "readyz",
    "login",
    "login-code",
    "admin-login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def page_patterns(patterns=None, prefix=""):
    """(url name, view) of every page: the project's patterns outside the API, the schema and the admin."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith(("admin/", "api/")):
                continue
            yield from page_patterns(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and not route.startswith(("api/", "static/", "media/")):
            yield pattern.name, pattern.callback


def test_only_the_public_pages_opt_out_of_signing_in():
    public = {name for name, view in page_patterns() if getattr(view, "login_required", True) is False}
    assert public == PUBLIC


@pytest.mark.django_db
def test_a_visitor_is_sent_to_sign_in_from_a_page_that_declares_nothing(client, plan):
    response = client.get(reverse("plan-detail", args=[plan.pk]))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('plan-detail', args=[plan.pk])}"


@pytest.mark.django_db
def test_the_public_pages_answer_a_visitor(client):
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("password_reset")).status_code == 200
    assert client.get(reverse("home"))["Location"] == reverse("login")
    assert client.get("/api/v1/treatment-plans").status_code == 401
