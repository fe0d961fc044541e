from celery import shared_task

from accounts.services import expired_logins_purge


@shared_task(name="accounts.purge_expired_logins")
def purge_expired_logins() -> dict[str, int]:
    """Daily (celery-beat): remove expired sessions and API tokens."""
    return expired_logins_purge()
