"""Celery tasks of the reviews app (autodiscovered as `reviews.tasks`).

The rule for every task this project queues or schedules: **the row is the truth; the broker carries a
hint.** A message only says "there is work"; the work itself is recorded in the database first (a
`pending` report, a reminder not yet sent), and a sweep celery-beat runs often finds it again if the
message is lost, so a broker outage delays work, never loses it, and never fails the request that asked.
"""

from reviews.tasks.documents import *  # noqa: F403
from reviews.tasks.reminders import *  # noqa: F403
from reviews.tasks.reports import *  # noqa: F403
