"""The signing pages: the clinician's and the supervisor's, the client's page on the tablet, the locked screen,
and the document page, for the five roles of the cast; the tablet lock; the password on the locked screen."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from reviews.models import PlanSignature, SignatureMethod, SignatureRole
from reviews.signing_lock import SESSION_KEY
from tests.factories import PASSWORD
from tests.reviews.test_signing import png_data_url, sign_client, sign_staff
from treatment.models import SignatureStatus, TreatmentPlan

pytestmark = pytest.mark.django_db

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def locked_browser(user, plan) -> Client:
    """A session already handed to the client for `plan` (as the hand-over leaves it)."""
    client = browser(user)
    session = client.session
    session[SESSION_KEY] = {"plan": str(plan.pk)}
    session.save()
    return client


@pytest.fixture
def supervised(owner):
    owner.needs_supervision = True
    owner.save(update_fields=["needs_supervision"])
    return owner


def status_of(plan) -> str:
    return TreatmentPlan.objects.get(pk=plan.pk).signature_status


# --- the access matrix ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [("owner", 200), ("colleague", 404), ("supervisor", 403), ("practice_admin", 403), ("outsider_admin", 404)],
)
def test_the_clinician_signing_page(role, expected, cast, plan, tree):
    response = browser(cast[role]).get(reverse("plan-sign", args=[plan.pk]))
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("owner", 403), ("colleague", 404), ("supervisor", 200), ("practice_admin", 403), ("outsider_admin", 404)],
)
def test_the_cosign_page(role, expected, cast, supervised, plan, tree):
    sign_staff(supervised, plan)
    response = browser(cast[role]).get(reverse("plan-cosign", args=[plan.pk]))
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("owner", 302), ("colleague", 404), ("supervisor", 403), ("practice_admin", 403), ("outsider_admin", 404)],
)
def test_handing_the_device_to_the_client(role, expected, cast, owner, plan, tree):
    sign_staff(owner, plan)
    client = browser(cast[role])
    response = client.post(reverse("plan-client-handover", args=[plan.pk]))
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"] == reverse("plan-client-sign", args=[plan.pk])
        assert client.session[SESSION_KEY] == {"plan": str(plan.pk)}
    else:
        assert SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("role", "expected"),
    [("owner", 200), ("colleague", 404), ("supervisor", 403), ("practice_admin", 403), ("outsider_admin", 404)],
)
def test_the_client_page(role, expected, cast, owner, plan, tree):
    sign_staff(owner, plan)
    response = locked_browser(cast[role], plan).get(reverse("plan-client-sign", args=[plan.pk]))
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("owner", 200), ("colleague", 404), ("supervisor", 200), ("practice_admin", 200), ("outsider_admin", 404)],
)
def test_the_locked_screen(role, expected, cast, owner, plan, tree):
    """Anyone who reads the plan may unlock their own session; who cannot see it gets 404 as everywhere."""
    response = locked_browser(cast[role], plan).get(reverse("plan-hand-back", args=[plan.pk]))
    assert response.status_code == expected


# --- the clinician signs, the supervisor co-signs ------------------------------------------------------


def test_the_signing_page_shows_the_version_and_what_the_signature_attests(owner, plan, tree):
    from reviews.services.signatures import intent_statement

    response = browser(owner).get(reverse("plan-sign", args=[plan.pk]))
    page = response.content.decode()
    assert "You are signing version 1" in page
    assert intent_statement(SignatureRole.CLINICIAN) in page
    assert 'name="otp_code"' not in page  # no authenticator: no code field


def test_the_clinician_signs_with_the_password(owner, plan, tree):
    response = browser(owner).post(reverse("plan-sign", args=[plan.pk]), {"password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == f"{plan.get_absolute_url()}#plan-signatures"
    signature = PlanSignature.objects.get()
    assert (signature.role, signature.signer, signature.method) == ("clinician", owner, SignatureMethod.PASSWORD)
    assert status_of(plan) == SignatureStatus.AWAITING_CLIENT


def test_a_wrong_password_keeps_the_page_and_counts(owner, plan, tree):
    response = browser(owner).post(reverse("plan-sign", args=[plan.pk]), {"password": "not-it"})

    assert response.status_code == 403
    page = response.content.decode()
    assert "The plan was not signed" in page and "That password is not right." in page
    assert 'value="not-it"' not in page  # the password is never sent back
    assert not PlanSignature.objects.exists()
    assert AccessAttempt.objects.get(username=owner.email).failures_since_start == 1


def test_an_enrolled_clinician_is_asked_for_the_code(owner, plan, tree):
    from accounts.audit import AuditContext
    from accounts.mfa.login import STATE, VERIFIED
    from accounts.mfa.services import mfa_enrol, totp_key_new

    mfa_enrol(by=AuditContext(user=owner), user=owner, key=totp_key_new(), code=None)
    client = browser(owner)
    session = client.session
    session[STATE] = VERIFIED  # this session entered its code at sign-in
    session.save()
    assert 'name="otp_code"' in client.get(reverse("plan-sign", args=[plan.pk])).content.decode()
    response = client.post(reverse("plan-sign", args=[plan.pk]), {"password": PASSWORD, "otp_code": ""})
    assert response.status_code == 400
    assert "Enter the code your authenticator app shows to sign." in response.content.decode()


def test_signing_twice_with_nothing_new_is_a_conflict(owner, plan, tree):
    sign_staff(owner, plan)
    response = browser(owner).post(reverse("plan-sign", args=[plan.pk]), {"password": PASSWORD})
    assert response.status_code == 409
    assert PlanSignature.objects.count() == 1


def test_the_supervisor_cosigns(supervised, supervisor, plan, tree):
    sign_staff(supervised, plan)
    sign_client(supervised, plan)
    response = browser(supervisor).post(reverse("plan-cosign", args=[plan.pk]), {"password": PASSWORD})

    assert response.status_code == 302
    assert status_of(plan) == SignatureStatus.SIGNED


# --- the client in the room ----------------------------------------------------------------------------


def test_the_client_page_shows_the_plan_in_plain_words_and_nothing_else(owner, plan, tree):
    sign_staff(owner, plan)
    client = browser(owner)
    client.post(reverse("plan-client-handover", args=[plan.pk]))
    response = client.get(reverse("plan-client-sign", args=[plan.pk]))
    page = response.content.decode()

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    goals = page.index("What we are working towards")
    assert page.index(tree["long_term"].description) > goals
    assert page.index(tree["short_term"].description) > page.index(tree["long_term"].description)
    assert "Deep Breathing" in page and "every session" in page
    assert "F41.1" not in page  # no diagnosis codes for the client
    # No way out of the page: no navigation, no link at all.
    assert "<nav" not in page and "<a " not in page
    assert 'id="signature-canvas"' in page and 'aria-label="Signature pad (optional)' in page


def test_the_client_signs_by_drawing_and_the_page_locks_until_handed_back(owner, plan, tree):
    sign_staff(owner, plan)
    client = browser(owner)
    client.post(reverse("plan-client-handover", args=[plan.pk]))
    response = client.post(
        reverse("plan-client-sign", args=[plan.pk]),
        {"role": "client", "method": "drawn", "signer_name": "Emily Carter", "image": png_data_url(40, 10)},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("plan-hand-back", args=[plan.pk])
    signature = PlanSignature.objects.get(role="client")
    assert (signature.method, signature.signer_name, signature.recorded_by) == ("drawn", "Emily Carter", owner)
    assert bytes(signature.image).startswith(b"\x89PNG")
    assert status_of(plan) == SignatureStatus.SIGNED
    # Still locked: the plan page sends to the locked screen.
    assert client.get(plan.get_absolute_url())["Location"] == reverse("plan-hand-back", args=[plan.pk])


def test_a_guardian_signs_by_typed_name_with_the_relationship(owner, plan, tree):
    sign_staff(owner, plan)
    client = locked_browser(owner, plan)
    response = client.post(
        reverse("plan-client-sign", args=[plan.pk]),
        {"role": "guardian", "method": "typed", "signer_name": "Ruth Carter", "relationship": "mother"},
    )
    assert response.status_code == 302
    signature = PlanSignature.objects.get(role="guardian")
    assert (signature.method, signature.relationship, signature.image) == ("typed", "mother", None)


def test_a_declined_signature_needs_the_reason_and_keeps_what_was_typed(owner, plan, tree):
    sign_staff(owner, plan)
    client = locked_browser(owner, plan)
    response = client.post(
        reverse("plan-client-sign", args=[plan.pk]),
        {"role": "client", "method": "declined", "signer_name": "Emily Carter", "reason": ""},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "The plan was not signed" in page and 'href="#id_reason"' in page
    assert ('value="Emily Carter"' in page and 'value="declined" ' in page.split('id="id_method_2"')[0][-80:]) or (
        'value="declined" id="id_method_2" checked' in page
    )
    assert not PlanSignature.objects.filter(role="client").exists()

    response = client.post(
        reverse("plan-client-sign", args=[plan.pk]),
        {"role": "client", "method": "declined", "signer_name": "Emily Carter", "reason": "Wants to think it over"},
    )
    assert response.status_code == 302
    assert PlanSignature.objects.get(role="client").reason == "Wants to think it over"


def test_the_client_page_without_the_hand_over_goes_back_to_the_plan(owner, plan, tree):
    sign_staff(owner, plan)
    response = browser(owner).get(reverse("plan-client-sign", args=[plan.pk]))
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()


# --- the lock ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/dashboard/", "/patients/", "plan", "/accounts/account/", "/admin/", "other-plan-client-page"],
)
def test_a_locked_session_reaches_no_other_page(path, owner, patient, plan, tree):
    from tests.factories import make_plan

    other = make_plan(patient)
    sign_staff(owner, plan)
    client = browser(owner)
    client.post(reverse("plan-client-handover", args=[plan.pk]))
    url = {
        "plan": plan.get_absolute_url(),
        "other-plan-client-page": reverse("plan-client-sign", args=[other.pk]),
    }.get(path, path)

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("plan-hand-back", args=[plan.pk])


def test_a_locked_session_is_refused_by_the_api(owner, plan, tree):
    sign_staff(owner, plan)
    client = locked_browser(owner, plan)
    response = client.get(f"/api/v1/treatment-plans/{plan.pk}")
    assert response.status_code == 403
    assert response.json()["code"] == "client_signing_locked"


def test_the_hand_over_gives_the_session_a_new_key(owner, plan, tree):
    sign_staff(owner, plan)
    client = browser(owner)
    before = client.session.session_key
    client.post(reverse("plan-client-handover", args=[plan.pk]))
    assert client.session.session_key != before


def test_a_wrong_password_on_the_locked_screen_stays_locked_and_counts(owner, plan, tree):
    client = locked_browser(owner, plan)
    response = client.post(reverse("plan-hand-back", args=[plan.pk]), {"password": "not-it"})

    assert response.status_code == 403
    assert "That password is not right." in response.content.decode()
    assert AccessAttempt.objects.get(username=owner.email).failures_since_start == 1
    assert client.session[SESSION_KEY] == {"plan": str(plan.pk)}
    assert client.get(plan.get_absolute_url())["Location"] == reverse("plan-hand-back", args=[plan.pk])


def test_the_lockout_holds_on_the_locked_screen(owner, plan, tree, settings):
    client = locked_browser(owner, plan)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("plan-hand-back", args=[plan.pk]), {"password": "not-it"})
    response = client.post(reverse("plan-hand-back", args=[plan.pk]), {"password": PASSWORD})

    assert response.status_code == 403
    assert "locked" in response.content.decode()
    assert client.session[SESSION_KEY] == {"plan": str(plan.pk)}


def test_the_right_password_hands_the_device_back(owner, plan, tree):
    client = locked_browser(owner, plan)
    response = client.post(reverse("plan-hand-back", args=[plan.pk]), {"password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == f"{plan.get_absolute_url()}#plan-signatures"
    assert SESSION_KEY not in client.session
    assert client.get(plan.get_absolute_url()).status_code == 200
    assert AuditEvent.objects.filter(object_id=str(plan.pk), changes__client_signing="handed back").exists()


# --- what the pages cost -------------------------------------------------------------------------------


def _grow(plan, owner, long_terms):
    """`long_terms` long-term goals, each with a short-term goal with an objective (3 goals each)."""
    from tests.factories import GoalFactory

    for n in range(long_terms):
        top = GoalFactory(plan=plan, description=f"Goal {n}")
        middle = GoalFactory(plan=plan, parent_goal=top, goal_type="short_term", description=f"Step {n}")
        GoalFactory(plan=plan, parent_goal=middle, goal_type="objective", description=f"Objective {n}")


def test_the_plan_page_costs_the_same_for_1_and_3_signatures(
    owner, supervised, patient, django_assert_max_num_queries, django_assert_num_queries
):
    from tests.factories import PlanFactory

    few, many = PlanFactory(patient=patient, title="Few"), PlanFactory(patient=patient, title="Many")
    _grow(few, owner, 1)
    _grow(many, owner, 1)
    sign_staff(owner, few)
    sign_staff(owner, many)
    sign_client(owner, many, method=SignatureMethod.DRAWN, image=png_data_url(30, 10))
    sign_staff(owner.supervisor, many, role=SignatureRole.SUPERVISOR)
    client = browser(owner)
    client.get(few.get_absolute_url())

    with django_assert_max_num_queries(30) as small:
        page = client.get(few.get_absolute_url()).content.decode()
    assert page.count('class="signature-list"') == 1 and "Hand to client to sign" in page
    with django_assert_num_queries(len(small.captured_queries)):
        page = client.get(many.get_absolute_url()).content.decode()
    assert 'data-signature-status="signed"' in page and "Download signed plan (PDF)" in page


@pytest.mark.parametrize("name", ["plan-sign", "plan-client-sign"])
def test_the_signing_pages_cost_the_same_for_3_and_30_goals(
    name, owner, patient, django_assert_max_num_queries, django_assert_num_queries
):
    from tests.factories import PlanFactory

    small, large = PlanFactory(patient=patient, title="Small"), PlanFactory(patient=patient, title="Large")
    _grow(small, owner, 1)
    _grow(large, owner, 10)
    if name == "plan-client-sign":
        sign_staff(owner, small)
        sign_staff(owner, large)
    client = browser(owner)

    def get(plan):
        if name == "plan-client-sign":
            session = client.session
            session[SESSION_KEY] = {"plan": str(plan.pk)}
            session.save()
        return client.get(reverse(name, args=[plan.pk]))

    get(small)
    with django_assert_max_num_queries(25) as few:
        assert get(small).status_code == 200
    with django_assert_num_queries(len(few.captured_queries)):
        body = get(large).content.decode()
    assert ("Objective 9" in body) == (name == "plan-client-sign")
