from django.core.management.base import BaseCommand

from reviews.services.documents import documents_recover
from reviews.services.reports import reports_recover_stalled, reports_requeue_unclaimed


class Command(BaseCommand):
    help = (
        "Send again the progress reports no worker has claimed and the renders that stopped without finishing, "
        "and the treatment-plan documents likewise, and fail the ones that cannot finish (the beat task of every "
        "2 minutes, run by hand, e.g. once the "
        "broker is back). Safe to re-run: a report is sent once per sweep at most."
    )

    def handle(self, *args, **opts):
        stalled = reports_recover_stalled()
        unclaimed = reports_requeue_unclaimed()
        documents = documents_recover()
        self.stdout.write(
            f"Unclaimed reports: {unclaimed['requeued']} sent again, {unclaimed['failed']} failed (never picked up). "
            f"Stalled renders: {stalled['requeued']} sent again, {stalled['failed']} failed (last attempt). "
            f"Treatment-plan documents: {documents['requeued']} sent again, {documents['failed']} failed."
        )
