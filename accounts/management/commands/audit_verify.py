from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.audit_verify import ChainBroken, verify_chain


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--since takes a date as YYYY-MM-DD, not {value!r}.") from error


class Command(BaseCommand):
    help = "Walk the audit chain and check every event's MAC, its sequence and the latest checkpoint."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=str, help="check the events from this date (YYYY-MM-DD) on")

    def handle(self, *args: object, **opts: str | None) -> None:
        since = _date(opts["since"]) if opts["since"] else None
        try:
            report = verify_chain(since=since)
        except ChainBroken as broken:
            raise CommandError(f"The audit chain is broken. {broken.message}") from broken
        if report.checked == 0:
            self.stdout.write("Checked 0 audit events: there are none in that period.")
            return
        self.stdout.write(
            f"Checked {report.checked} audit events (#{report.first_seq} to #{report.last_seq}): the chain is intact."
        )
