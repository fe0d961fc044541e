"""Reviews in Django admin: reviews and versions (read-only), reminders and notifications, reports."""

from reviews.admin import reminders, reports, reviews  # noqa: F401  (each module registers its models)
