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
    # Off in tests, though on for a new practice: the suite signs in with force_login, which enters no second
    # factor, so with it on every page would send the test to enrolment. The MFA tests turn it on.
    mfa_required = False


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
        # Faker's names repeat and every built patient shares a birthday: the builder registers them as the
        # different people they are (tests/accounts/test_patient_duplicates.py tests the refusal).
        kwargs.setdefault("confirm_duplicate", True)
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


def mark_signed(plan, *, status: str = "signed", version: int | None = 1):
    """The plan's signature state as the signing service leaves it, set directly (the signatures themselves are
    not made): `first_signed_at` now, `signed_version` and `signature_status` as given. Returns the plan."""
    from django.utils import timezone

    from treatment.models import TreatmentPlan

    plan.first_signed_at, plan.signed_version, plan.signature_status = timezone.now(), version, status
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        first_signed_at=plan.first_signed_at, signed_version=version, signature_status=status
    )
    return plan


class PlanFactory(_ServiceFactory):
    """A plan made by `plan_create`. `signed=True`: fully signed at version 1; `clinician_signed=True`: signed by
    its clinician only, awaiting the client (no fully signed version yet)."""

    patient = None
    title = factory.Sequence(lambda n: f"Treatment plan {n}")
    diagnosis_codes = factory.LazyFunction(lambda: [{"code": "F41.1"}])
    presenting_problems = factory.LazyFunction(lambda: ["chronic worry", "sleep difficulties"])
    start_date = datetime.date(2026, 9, 1)
    review_frequency_days = 90

    class Params:
        signed = factory.Trait(
            signature_state=factory.PostGeneration(lambda plan, create, extracted, **kw: mark_signed(plan))
        )
        clinician_signed = factory.Trait(
            signature_state=factory.PostGeneration(
                lambda plan, create, extracted, **kw: mark_signed(plan, status="awaiting_client", version=None)
            )
        )

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


# --- the cast (tests/conftest.py) -------------------------------------------------------------------
# Built by plain functions: the fixtures of tests/conftest.py build each member for the test that asks for it,
# `shared_cast` builds them once for a class of tests that only read (and the class its plan, `make_plan`...).


def make_practice():
    return PracticeFactory(name="Riverside")


def make_other_practice():
    return PracticeFactory(name="Harbor")


def make_supervisor(practice):
    return UserFactory(practice=practice, role=Role.SUPERVISOR, email="supervisor@riverside.example")


def make_owner(practice, supervisor):
    return UserFactory(practice=practice, supervisor=supervisor, email="owner@riverside.example")


def make_colleague(practice):
    return UserFactory(practice=practice, email="colleague@riverside.example")


def make_practice_admin(practice):
    return UserFactory(practice=practice, role=Role.PRACTICE_ADMIN, email="admin@riverside.example")


def make_outsider_admin(other_practice):
    return UserFactory(practice=other_practice, role=Role.PRACTICE_ADMIN, email="admin@harbor.example")


def make_patient(owner):
    return PatientFactory(primary_therapist=owner, first_name="Emily", last_name="Carter")


def make_plan(patient):
    return PlanFactory(patient=patient, title="Anxiety Management Plan")


def make_tree(plan):
    """A long-term goal with a short-term goal with an objective; the objective uses Deep Breathing."""
    long_term = GoalFactory(plan=plan, description="Reduce overall anxiety levels to a manageable state")
    short_term = GoalFactory(
        parent_goal=long_term, goal_type="short_term", description="Learn and practice 3 relaxation techniques"
    )
    objective = GoalFactory(
        parent_goal=short_term,
        goal_type="objective",
        description="Practice deep breathing daily",
        interventions=[{"intervention": intervention("Deep Breathing"), "frequency": "every session"}],
    )
    return {"long_term": long_term, "short_term": short_term, "objective": objective}


def cast_of(owner, colleague, supervisor, practice_admin, outsider_admin):
    return {
        "owner": owner,
        "colleague": colleague,
        "supervisor": supervisor,
        "practice_admin": practice_admin,
        "outsider_admin": outsider_admin,
    }
