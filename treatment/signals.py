"""Seams for apps to the right of treatment (which treatment may not import) to follow its changes."""

from django.dispatch import Signal

#: Sent inside the closing transaction, after the plan is saved, with by (an AuditContext) and plan.
plan_closed = Signal()
