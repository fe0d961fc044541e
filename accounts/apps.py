from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and access"

    def ready(self) -> None:
        # The user_logged_in receivers that keep a session's sign-in state: its MFA state and its practice's
        # time zone.
        from accounts import middleware  # noqa: F401
        from accounts.mfa import login  # noqa: F401
