"""Every write to reviews, reminders, notifications and reports: pages, API, admin and tasks call these."""
