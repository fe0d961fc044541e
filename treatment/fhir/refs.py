"""References between the exported resources: `Type/id` relative references, which resolve inside the Bundle
against each entry's `fullUrl` (`{base}/Type/id`), and the ids of resources that are not rows of their own."""

from __future__ import annotations

import datetime
import uuid


def reference(resource_type: str, resource_id: uuid.UUID | str, display: str = "") -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}", **({"display": display} if display else {})}


def condition_id(plan_id: uuid.UUID, code: str) -> uuid.UUID:
    """A diagnosis is an entry of the plan's `diagnosis_codes`, not a row: its Condition's id is derived from the
    plan's id and the code, so it is the same in every export of the plan."""
    return uuid.uuid5(plan_id, f"Condition/{code.upper()}")


def instant(moment: datetime.datetime) -> str:
    """A FHIR instant/dateTime: ISO 8601 with its offset (the database's are aware, in UTC)."""
    return moment.isoformat()
