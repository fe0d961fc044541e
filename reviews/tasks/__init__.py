"""Celery tasks of the reviews app (autodiscovered as `reviews.tasks`)."""

from reviews.tasks.reminders import *  # noqa: F403
from reviews.tasks.reports import *  # noqa: F403
