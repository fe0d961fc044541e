"""Correcting a session's record: an addendum is appended under the original, never written over it.

A session's notes and progress notes are a clinical record; changing them in place would lose what was
written and when. A correction is a `SessionAddendum` (text, author, time), added by whoever may change
the patient's records and kept for good (the model refuses updates and deletes; on PostgreSQL a trigger
refuses them too).

**A closed plan takes addenda.** `require_open` closes a completed or discontinued plan to changes: its
goals, progress and sessions stay as they were when it closed. An addendum changes none of them and moves
no figure; it is the one way a closed record can still be corrected, which a clinical record must allow
(a mistake found after discharge is corrected by an amendment, not left standing). So this service does
not ask `require_open`, and takes no plan lock: nothing it writes is derived from the plan's tree.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import Action, AuditContext, audit_record
from treatment.models import ADDENDUM_MAX_LENGTH, SessionAddendum, TherapySession

from .common import require_change

EMPTY = "Write the correction or addition to this session's record."
TOO_LONG = f"An addendum is at most {ADDENDUM_MAX_LENGTH} characters; this one is {{length}}."


def clean_addendum_text(text: str) -> str:
    """The text as it is stored (without surrounding space), or a ValidationError on `text`."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": EMPTY})
    if len(text) > ADDENDUM_MAX_LENGTH:
        raise ValidationError({"text": TOO_LONG.format(length=len(text))})
    return text


@transaction.atomic
def session_addendum_add(*, by: AuditContext, session: TherapySession, text: str) -> SessionAddendum:
    """Append an addendum by `by.user` to `session`'s record, audited as a create of the addendum."""
    require_change(by, session.patient)
    if by.user is None:
        raise ValidationError({"author": "An addendum is signed by the clinician who writes it."})
    addendum = SessionAddendum(session=session, text=clean_addendum_text(text), author=by.user)
    addendum.full_clean(exclude=["session", "author"], validate_constraints=False)
    addendum.save()
    audit_record(
        by,
        Action.CREATE,
        addendum,
        patient=session.patient,
        changes={"session": [None, str(session.pk)], "text": [None, addendum.text]},
    )
    return addendum
