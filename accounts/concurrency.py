"""What a write meets when the record is not in the state it assumed.

- Optimistic concurrency: a write that names the state it edited (If-Match) fails if that state is gone
  (`StaleWrite`, the API's 412).
- A closed record: a completed or discontinued plan is final, read-only (`RecordClosed`). It is one answer
  everywhere, 409 Conflict: the request may be well formed and allowed to the user, but the record's state
  refuses it, and no retry will change that. The API answers `{"detail": ...}`; a page answers the 409 page
  with a link to the record; an htmx request is sent to the record's page, where the message is shown
  (`accounts.middleware.RecordClosedMiddleware`).
"""

from __future__ import annotations


class RecordClosed(Exception):
    """The record is closed to changes (a completed or discontinued plan); answered 409 everywhere."""

    def __init__(self, message: str, *, url: str = ""):
        super().__init__(message)
        self.message = message
        #: Where the closed record can still be read.
        self.url = url


class StaleWrite(Exception):
    """Someone else saved the record after the client read it; the API answers 412."""

    def __init__(self, current_etag: str):
        super().__init__("This record changed since you loaded it. Reload it and make your change again.")
        self.current_etag = current_etag


def check_if_match(current_etag: str, if_match: str | None) -> None:
    """Raise StaleWrite unless `if_match` (an If-Match header value) names `current_etag`.

    No header means an unconditional write (simple partner systems); `*` matches any state.
    """
    if if_match is None or not if_match.strip():
        return
    tags = [tag.strip() for tag in if_match.split(",")]
    if "*" in tags:
        return
    normalized = {tag[2:] if tag.startswith("W/") else tag for tag in tags}
    if current_etag not in normalized:
        raise StaleWrite(current_etag)
