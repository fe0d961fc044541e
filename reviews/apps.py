from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews and reports"

    def ready(self) -> None:
        from reviews import panels
        from reviews.services.closing import version_seal_on_close
        from treatment.signals import plan_closed

        panels.register()
        plan_closed.connect(version_seal_on_close, dispatch_uid="reviews.version_seal_on_close")
