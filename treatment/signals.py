"""Seams for apps to the right of treatment (which treatment may not import) to follow its changes."""

from django.dispatch import Signal

#: Sent inside the closing transaction, after the plan is saved, with by (an AuditContext) and plan.
plan_closed = Signal()

#: Sent inside the recording transaction, once per new flag, with by (an AuditContext), flag (a SafetyFlag)
#: and measurement: the receivers notify the patient's clinician and their supervisor (`reviews`).
safety_flag_raised = Signal()

#: Sent inside the recording transaction when a measurement makes objectives newly reliably worse than their
#: baseline, with by, measurement and goals (the objectives, each in an open plan).
measure_deteriorated = Signal()
