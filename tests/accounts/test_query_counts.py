"""Lists cost the same number of queries whatever their length (measured, not timed)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def caseload(owner, practice):
    teammate = UserFactory(practice=practice)

    def grow(n):
        for _ in range(n):
            PatientFactory(primary_therapist=owner, care_team=[teammate])

    return grow


@pytest.mark.parametrize("url", ["/api/v1/patients", "/patients/"])
def test_patient_list_queries_do_not_grow_with_the_caseload(url, owner, caseload, api, client):
    requester = api.as_(owner) if url.startswith("/api/") else client
    client.force_login(owner)
    caseload(3)
    small = _queries(lambda: requester.get(url))
    caseload(27)
    large = _queries(lambda: requester.get(url))
    assert large == small
    # API: count, page, care teams, the audit append (the chain's end, one INSERT); pages add session, user and
    # messages.
    assert small <= (5 if url.startswith("/api/") else 11)


def test_patient_detail_is_a_fixed_number_of_queries(owner, patient, api):
    assert _queries(lambda: api.as_(owner).get(f"/api/v1/patients/{patient.pk}")) <= 4
