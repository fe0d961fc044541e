"""The built-in intervention library: `fixtures/interventions_library.json`, loaded as system entries."""

import json
from pathlib import Path

from django.conf import settings

LIBRARY_PATH = Path(settings.BASE_DIR) / "fixtures" / "interventions_library.json"
LIBRARY_FIELDS = ("name", "description", "modality", "category", "evidence_level")


def library_entries(path: Path = LIBRARY_PATH) -> list[dict]:
    """The fixture's entries as {"id", name, description, ...}."""
    with path.open(encoding="utf-8") as handle:
        rows = json.load(handle)
    return [{"id": row["pk"], **{f: row["fields"][f] for f in LIBRARY_FIELDS}} for row in rows]


def load_system_library(intervention_model, path: Path = LIBRARY_PATH) -> tuple[int, int]:
    """Create or refresh every system entry by its fixed id; returns (created, updated).

    Takes the model as an argument so a data migration can pass its historical model.
    """
    created = updated = 0
    for entry in library_entries(path):
        pk = entry.pop("id")
        _, was_created = intervention_model.objects.update_or_create(
            pk=pk, defaults={**entry, "is_system": True, "is_active": True, "practice": None}
        )
        created += was_created
        updated += not was_created
    return created, updated
