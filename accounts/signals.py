"""Seams for apps to the right of accounts (which accounts may not import) to follow its changes."""

from django.dispatch import Signal

#: Sent inside the transfer's transaction with by, patient, previous (User or None), therapist.
patient_transferred = Signal()
