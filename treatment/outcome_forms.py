"""The period of the outcomes by intervention (`treatment.outcomes`): one form for the page, its CSV and the API."""

from __future__ import annotations

import datetime

from django import forms

from accounts.forms import ClinicalDateField
from treatment.outcomes import default_period

UNTIL_BEFORE_SINCE = "The end of the period (until) is before its start (since)."


class OutcomesPeriodForm(forms.Form):
    """`since` and `until` (ISO dates, both optional): a missing one takes the default period's (the twelve months
    up to today on the practice's calendar); `until` before `since` is an error on `until`."""

    since = ClinicalDateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = ClinicalDateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: object, today: datetime.date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.today = today

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        default_since, default_until = default_period(self.today)
        until = cleaned.get("until") or default_until
        # With only `until` given, the twelve months up to it.
        since = cleaned.get("since") or (default_period(until)[0] if cleaned.get("until") else default_since)
        if until < since:
            self.add_error("until", UNTIL_BEFORE_SINCE)
            return cleaned
        cleaned["since"], cleaned["until"] = since, until
        return cleaned

    @property
    def period(self) -> tuple[datetime.date, datetime.date]:
        """The period asked for (after `is_valid()`)."""
        return self.cleaned_data["since"], self.cleaned_data["until"]
