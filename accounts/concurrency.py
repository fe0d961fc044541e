"""Optimistic concurrency: a write that names the state it edited (If-Match) fails if that state is gone."""

from __future__ import annotations


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
