from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews and reports"

    def ready(self) -> None:
        from reviews import panels

        panels.register()
