from celery import shared_task

from accounts.services import expired_logins_purge


@shared_task(name="accounts.purge_expired_logins")
def purge_expired_logins() -> dict[str, int]:
    """Daily (celery-beat): remove expired sessions and API tokens.

    A run lost to a broker outage loses nothing: the next one deletes whatever has expired by then, and an
    expired session or token is refused when used anyway.
    """
    return expired_logins_purge()
