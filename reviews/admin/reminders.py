"""Admin for reminders."""
