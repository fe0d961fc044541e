from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and access"

    def ready(self) -> None:
        # The user_logged_in receivers that keep a session's sign-in state: its MFA state and its practice's
        # time zone.
        from django.utils.autoreload import file_changed

        from accounts import middleware  # noqa: F401
        from accounts.fragments import forget_fragments
        from accounts.mfa import login  # noqa: F401

        # A template edited under the development server: the fragments rendered from the old one go.
        file_changed.connect(forget_fragments, dispatch_uid="trellis-forget-fragments")
