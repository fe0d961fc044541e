"""Administering a standardized instrument on a page: one radio group per item, every item required.

The same fields serve the standalone "Administer a measure" page (`MeasureForm`) and the session page,
which adds a due instrument's items to its own form (`add_item_fields` with `optional=True`: a session may
be recorded without the measure, but an instrument started is answered in full). The form checks what a
browser can get wrong (an item left out, a value not offered); the scoring, the flags and what a score
moves are `treatment.services.measures.measurement_record`'s, which these answers are handed to.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict

from accounts.forms import ClinicalDateField
from treatment.instruments import Instrument, Item

UNANSWERED = "Answer this item: the total counts every item, and none is estimated."


def item_field(instrument: Instrument, item: Item) -> str:
    """The form field name of one item ("phq9_item_9")."""
    return f"{instrument.code}_item_{item.number}"


@dataclass(frozen=True)
class ItemRow:
    """One item of an instrument as the page writes it: its bound field and its options' radios."""

    item: Item
    field: forms.BoundField

    @property
    def options(self) -> list[tuple[int, str, bool, str]]:
        """(value, label, checked, html id) of each answer; the ids are Django's, which the error summary links."""
        current = str(self.field.value() if self.field.value() is not None else "")
        form: Any = self.field.form  # an `InstrumentFormMixin` form
        return [
            (option.value, option.label, str(option.value) == current, f"{self.field.auto_id}_{index}")
            for index, option in enumerate(form.instruments[self.field.name].options)
        ]


@dataclass(frozen=True)
class AdministeredInstrument:
    """An instrument's items bound in a form, for `treatment/_measure_items.html`."""

    instrument: Instrument
    rows: tuple[ItemRow, ...]
    #: The instrument is offered on the session page but not required (the session records without it).
    optional: bool = False
    #: Why the plan's cadence says it is due now ("" when it is not due).
    due: str = ""

    @property
    def code(self) -> str:
        return self.instrument.code

    @property
    def has_errors(self) -> bool:
        return any(row.field.errors for row in self.rows)

    @property
    def started(self) -> bool:
        return any(row.field.value() not in (None, "") for row in self.rows)


class InstrumentFormMixin:
    """Adds an instrument's items to a form and reads its answers back."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    #: {field name: its instrument}, for the rows' options and for reading answers back.
    instruments: dict[str, Instrument]
    administered: list[AdministeredInstrument]

    def add_item_fields(
        self, instrument: Instrument, *, optional: bool = False, due: str = ""
    ) -> AdministeredInstrument:
        if not hasattr(self, "instruments"):
            self.instruments, self.administered = {}, []
        for item in instrument.items:
            name = item_field(instrument, item)
            self.fields[name] = forms.TypedChoiceField(
                label=f"{instrument.short_name} item {item.number}, “{item.text}”",
                choices=[(str(option.value), option.label) for option in instrument.options],
                coerce=int,
                empty_value=None,
                required=not optional,
                error_messages={"required": UNANSWERED},
                widget=forms.RadioSelect,
            )
            self.instruments[name] = instrument
        bound = self  # a Form: `self[name]` is the bound field
        block = AdministeredInstrument(
            instrument=instrument,
            rows=tuple(ItemRow(item, bound[item_field(instrument, item)]) for item in instrument.items),  # type: ignore[index]
            optional=optional,
            due=due,
        )
        self.administered.append(block)
        return block

    def check_started_in_full(self) -> None:
        """An optional instrument with any item answered must be answered in full (every item required)."""
        for block in getattr(self, "administered", []):
            if not block.optional:
                continue
            names = [item_field(block.instrument, item) for item in block.instrument.items]
            answered = [name for name in names if self.cleaned_data.get(name) is not None]
            if answered and len(answered) < len(names):
                for name in names:
                    if self.cleaned_data.get(name) is None and name not in self.errors:  # type: ignore[attr-defined]
                        self.add_error(  # type: ignore[attr-defined]
                            name,
                            f"Answer this item too, or choose “Clear answers” to record the session without the "
                            f"{block.instrument.short_name}.",
                        )

    def answers(self, block: AdministeredInstrument) -> list[int] | None:
        """The instrument's answers in item order, or None when none was given (an optional one left out)."""
        values = [self.cleaned_data.get(item_field(block.instrument, item)) for item in block.instrument.items]
        if all(value is None for value in values):
            return None
        return [int(value) for value in values if value is not None]


class MeasureForm(InstrumentFormMixin, forms.Form):
    """The standalone "Administer a measure" page: the day it was given, then every item."""

    administered_on = ClinicalDateField(
        label="Administered on", widget=forms.DateInput(attrs={"type": "date"}), required=True
    )

    def __init__(self, *args: Any, instrument: Instrument, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["administered_on"].initial = today
        self.fields["administered_on"].widget.attrs["max"] = today.isoformat()
        self.block = self.add_item_fields(instrument)

    def clean_administered_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["administered_on"]
        if value > self.today:
            raise forms.ValidationError(
                f"A measure is recorded once it is given: {value:%Y-%m-%d} is in the future "
                f"(today is {self.today:%Y-%m-%d} at the practice)."
            )
        return value


def without_answers(data: QueryDict, instrument: Instrument) -> QueryDict:
    """Posted data with one instrument's answers taken out (the no-JavaScript "Clear answers" round trip)."""
    data = data.copy()
    for item in instrument.items:
        data.pop(item_field(instrument, item), None)
    return data
