"""Review reminder tasks."""

__all__ = []
