from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    name = "treatment"
    verbose_name = "Treatment plans"

    def ready(self):
        from accounts.signals import patient_transferred
        from treatment.services.plans import plans_follow_transfer

        patient_transferred.connect(plans_follow_transfer, dispatch_uid="treatment.plans_follow_transfer")
