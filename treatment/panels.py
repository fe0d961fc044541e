"""The plan page's side panels that other apps contribute: treatment offers the slot, they fill it.

Treatment is below reviews in the layers (`pyproject.toml`), so the plan page cannot name the reviews,
versions or reports panels. Instead an app registers a `PlanPanel` when it is ready (`reviews.apps`):
the template to include (it gets the plan page's context) and the reverse relations of the plan it reads,
which the page prefetches with the plan so a panel costs a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch


@dataclass(frozen=True)
class PlanPanel:
    """A panel in the plan page's side column, after the recent sessions."""

    template: str
    #: What `prefetch_related` needs for the panel to read without a query per row.
    prefetch: tuple[str | Prefetch, ...] = ()
    #: Panels are shown by `order`, then in the order they were registered.
    order: int = 100


_panels: list[PlanPanel] = []


def register_plan_panel(panel: PlanPanel) -> None:
    """Add a panel to the plan page (once: registering the same template again replaces it)."""
    _panels[:] = [p for p in _panels if p.template != panel.template]
    _panels.append(panel)


def plan_panels() -> list[PlanPanel]:
    return sorted(_panels, key=lambda panel: panel.order)


def panel_prefetches() -> tuple[str | Prefetch, ...]:
    return tuple(lookup for panel in plan_panels() for lookup in panel.prefetch)
