from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews and reports"

    def ready(self) -> None:
        from reviews import fhir, panels
        from reviews.services.closing import version_seal_on_close
        from reviews.services.measure_alerts import deterioration_notify, safety_flag_notify
        from treatment.signals import measure_deteriorated, plan_closed, safety_flag_raised

        panels.register()
        fhir.register()
        plan_closed.connect(version_seal_on_close, dispatch_uid="reviews.version_seal_on_close")
        safety_flag_raised.connect(safety_flag_notify, dispatch_uid="reviews.safety_flag_notify")
        measure_deteriorated.connect(deterioration_notify, dispatch_uid="reviews.deterioration_notify")
