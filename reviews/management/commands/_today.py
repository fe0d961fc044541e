"""The `--today YYYY-MM-DD` option of the commands that run a scheduled task by hand."""

import datetime

from django.core.management.base import CommandError


def add_today_argument(parser, help: str) -> None:
    parser.add_argument("--today", metavar="YYYY-MM-DD", help=help)


def parse_today(value: str | None, example: str) -> datetime.date | None:
    """The date given, None when none was; a malformed one stops the command with a sentence."""
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--today must be a date written YYYY-MM-DD, such as {example}; {value!r} is not one."
        ) from None
