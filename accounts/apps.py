from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and access"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts.middleware import remember_practice_time_zone

        user_logged_in.connect(remember_practice_time_zone, dispatch_uid="accounts.practice_time_zone")
