"""Admin for reviews."""
