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


class _ServiceFactory(factory.Factory):
    """Builds through a service, as production does (grants, audit, rollup)."""

    class Meta:
        model = dict
        abstract = True

    _build = classmethod(lambda cls, model_class, *args, **kwargs: cls._create(model_class, *args, **kwargs))


class PlanFactory(_ServiceFactory):
    patient = None
    title = factory.Sequence(lambda n: f"Treatment plan {n}")
    diagnosis_codes = factory.LazyFunction(lambda: [{"code": "F41.1"}])
    presenting_problems = factory.LazyFunction(lambda: ["chronic worry", "sleep difficulties"])
    start_date = datetime.date(2026, 9, 1)
    review_frequency_days = 90

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from accounts.audit import AuditContext
        from treatment.services import plan_create

        return plan_create(by=AuditContext.system("tests"), **kwargs)


class GoalFactory(_ServiceFactory):
    plan = None
    goal_type = "long_term"
    parent_goal = None
    description = factory.Sequence(lambda n: f"Goal {n}: reduce anxiety to a manageable level")
    priority = 1

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from accounts.audit import AuditContext
        from treatment.services import goal_add

        if kwargs.get("parent_goal") is not None and kwargs.get("plan") is None:
            kwargs["plan"] = kwargs["parent_goal"].plan
        return goal_add(by=AuditContext.system("tests"), **kwargs)


def intervention(name: str):
    """A system library intervention by name (the library is loaded by a migration)."""
    from interventions.models import Intervention

    return Intervention.objects.get(name=name, is_system=True)
