"""Celery tasks of the accounts app, and how every task in the project retries a database it could not reach."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from accounts.audit_verify import ChainBroken, checkpoint_write, verify_chain
from accounts.services import expired_logins_purge

logger = logging.getLogger("trellis.audit")

#: The database errors a task retries: a connection lost or refused, which a later attempt may not meet.
DB_ERRORS = (OperationalError, InterfaceError)
#: The retry a task that works on the database declares (`@shared_task(name=..., **DB_RETRY)`): a few
#: attempts, backing off with jitter so workers that lost the database together do not return together.
DB_RETRY = {"autoretry_for": DB_ERRORS, "retry_backoff": True, "retry_jitter": True, "max_retries": 3}


@shared_task(name="accounts.purge_expired_logins")
def purge_expired_logins() -> dict[str, int]:
    """Daily (celery-beat): remove expired sessions and API tokens.

    A run lost to a broker outage loses nothing: the next one deletes whatever has expired by then, and an
    expired session or token is refused when used anyway.
    """
    return expired_logins_purge()


@shared_task(name="accounts.verify_audit_chain", **DB_RETRY)
def verify_audit_chain() -> dict[str, int | None]:
    """Daily (celery-beat): walk the whole audit chain; if it holds, record a checkpoint of where it ends.

    A broken chain is logged as an error and fails the task, and no checkpoint is written over it. A run lost
    to a broker outage costs nothing but a day's checkpoint: the next run walks everything again.
    """
    try:
        report = verify_chain()
    except ChainBroken as broken:
        logger.error("audit chain broken: %s", broken.message, extra={"audit_broken_seq": broken.seq})
        raise
    checkpoint_write(report)
    return {"checked": report.checked, "last_seq": report.last_seq}
