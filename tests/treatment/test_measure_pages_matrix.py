"""Who gets which answer from the measure pages: administering, a measurement's result, the risk assessment.

Reading follows the patient: the care team (`owner`), the supervisor and the practice admin read; a colleague off
the care team and another practice's admin get 404. Administering and assessing follow the change right: the owner
and the practice admin may, the supervisor gets 403, the others 404. A denied write changes nothing and audits no
write; an allowed read is audited.
"""

import pytest

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from treatment.models import Measurement, SafetyAssessment, SafetyFlag, SafetyFlagStatus
from treatment.services.measures import measurement_record

pytestmark = pytest.mark.django_db

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]
READ = {"owner": 200, "colleague": 404, "supervisor": 200, "practice_admin": 200, "outsider_admin": 404}
WRITE_FORM = {**READ, "supervisor": 403}
WRITE = {"owner": 302, "colleague": 404, "supervisor": 403, "practice_admin": 302, "outsider_admin": 404}
#: A risk assessment is a clinician's: the practice admin, who may change the records, is refused it too.
ASSESS_FORM = {**WRITE_FORM, "practice_admin": 403}
ASSESS = {**WRITE, "practice_admin": 403}


@pytest.fixture
def flagged(owner, patient):
    """A PHQ-9 whose item 9 raised an open safety flag."""
    return measurement_record(
        by=AuditContext.system("tests", user=owner), patient=patient, instrument="phq9", answers=[1] * 9
    )


def views_of(user, obj) -> int:
    return AuditEvent.objects.filter(user=user, action="view", object_id=str(obj.pk), channel="web").count()


@pytest.mark.parametrize("role", ROLES)
def test_the_administer_page_answers_each_role(client, cast, patient, role):
    user = cast[role]
    client.force_login(user)

    response = client.get(f"/patients/{patient.pk}/measures/gad7/new/")

    assert response.status_code == WRITE_FORM[role]
    if response.status_code == 200:
        assert views_of(user, patient) == 1
        assert b"Administer the GAD-7" in response.content
    else:
        assert b"Emily Carter" not in response.content


@pytest.mark.parametrize("role", ROLES)
def test_administering_answers_each_role(client, cast, patient, role):
    user = cast[role]
    client.force_login(user)
    data = {"administered_on": patient.practice.today().isoformat(), **{f"gad7_item_{n}": "1" for n in range(1, 8)}}

    response = client.post(f"/patients/{patient.pk}/measures/gad7/new/", data)

    assert response.status_code == WRITE[role]
    measurements = Measurement.objects.filter(patient=patient)
    if WRITE[role] == 302:
        measurement = measurements.get()
        assert (measurement.total_score, measurement.administered_by) == (7, user)
        assert response["Location"] == f"/measurements/{measurement.pk}/"
    else:
        assert not measurements.exists()
        assert not AuditEvent.objects.filter(user=user, action="create").exists()


@pytest.mark.parametrize("role", ROLES)
def test_the_result_page_answers_each_role(client, cast, flagged, role):
    user = cast[role]
    client.force_login(user)

    response = client.get(f"/measurements/{flagged.pk}/")

    assert response.status_code == READ[role]
    html = response.content.decode()
    if READ[role] == 200:
        assert views_of(user, flagged) == 1
        assert "Safety flag raised: assess the risk now" in html
        # The form for those who may record the assessment; the others are told who does.
        assert ('name="note"' in html) == (role == "owner")
    else:
        assert "Emily Carter" not in html and "Safety flag" not in html


@pytest.mark.parametrize("role", ROLES)
def test_the_assessment_form_answers_each_role(client, cast, patient, flagged, role):
    user = cast[role]
    client.force_login(user)

    assert client.get(f"/patients/{patient.pk}/safety-assessment/").status_code == ASSESS_FORM[role]
    response = client.post(f"/patients/{patient.pk}/safety-assessment/", {"note": "Asked directly; low risk."})

    assert response.status_code == ASSESS[role]
    flag = SafetyFlag.objects.get(patient=patient)
    if ASSESS[role] == 302:
        assert flag.status == SafetyFlagStatus.CLEARED and flag.cleared_by == user
    else:
        assert flag.status == SafetyFlagStatus.OPEN
        assert not SafetyAssessment.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_the_patient_page_banner_offers_the_assessment_to_the_clinician(client, cast, patient, flagged, role):
    user = cast[role]
    client.force_login(user)

    response = client.get(patient.get_absolute_url())

    assert response.status_code == READ[role]
    if READ[role] == 200:
        html = response.content.decode()
        assert "Safety flag: assess risk" in html
        assert (f'href="/patients/{patient.pk}/safety-assessment/"' in html) == (role == "owner")
        assert (f'href="/patients/{patient.pk}/measures/phq9/new/"' in html) == (role in ("owner", "practice_admin"))


def test_signed_out_nothing_is_shown_or_changed(client, patient, flagged):
    for url in (
        f"/patients/{patient.pk}/measures/phq9/new/",
        f"/measurements/{flagged.pk}/",
        f"/patients/{patient.pk}/safety-assessment/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post(f"/patients/{patient.pk}/safety-assessment/", {"note": "x"}).status_code == 302
    assert SafetyFlag.objects.get().status == SafetyFlagStatus.OPEN
