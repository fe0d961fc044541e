from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and access"

    def ready(self) -> None:
        # Connects the receiver that records each session sign-in's MFA state.
        from accounts.mfa import login  # noqa: F401
