from django.core.management.base import BaseCommand

from accounts.services import expired_logins_purge


class Command(BaseCommand):
    help = "Delete expired browser sessions and API tokens (the daily beat task, run by hand)."

    def handle(self, *args, **opts):
        purged = expired_logins_purge()
        self.stdout.write(f"Deleted {purged['sessions']} expired sessions and {purged['tokens']} expired API tokens.")
