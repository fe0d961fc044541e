"""Factories for every model the tests build; one place, as the conventions ask."""

import datetime

import factory
from factory.django import DjangoModelFactory

from accounts.models import Practice, Role, User

PASSWORD = "correct-horse-battery-9"


class PracticeFactory(DjangoModelFactory):
    class Meta:
        model = Practice
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Practice {n}")
    time_zone = "America/New_York"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@clinic.example")
    full_name = factory.Faker("name")
    credentials = "LCSW"
    practice = factory.SubFactory(PracticeFactory)
    role = Role.THERAPIST
    password = factory.django.Password(PASSWORD)


class PatientFactory(factory.Factory):
    """Builds patients through the service, so grants and care team are what production makes."""

    class Meta:
        model = dict

    practice = None
    primary_therapist = None
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = datetime.date(1990, 5, 17)
    status = "active"

    @classmethod
    def _create(cls, model_class, *args, care_team=(), **kwargs):
        from accounts.audit import AuditContext
        from accounts.services import patient_create

        therapist = kwargs.pop("primary_therapist")
        practice = kwargs.pop("practice") or therapist.practice
        return patient_create(
            by=AuditContext.system("tests"),
            practice=practice,
            primary_therapist=therapist,
            care_team=list(care_team),
            **kwargs,
        )

    _build = _create
