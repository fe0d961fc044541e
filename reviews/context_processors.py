"""The header's unread-notification count, for every page a signed-in user sees."""

from functools import cache, partial

from django.utils.functional import lazy

from reviews.services.notifications import unread_count


def notifications(request):
    """`unread_notifications`: one COUNT query, run only if a template uses it (htmx partials do not),
    and at most once per response however often the templates read it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": lazy(cache(partial(unread_count, user)), int)()}
