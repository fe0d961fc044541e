"""Progress report tasks."""

__all__ = []
