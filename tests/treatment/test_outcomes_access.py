"""Outcomes by intervention from the outside: the page, its CSV and the API for the five roles of the cast, each
seeing its own scope only; the period's errors; sorting; the audit events; constant queries on the page."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from tests.factories import UserFactory
from tests.treatment.outcomes_support import at, library, patient_goal

pytestmark = pytest.mark.django_db

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]
PERIOD = {"since": "2026-01-01", "until": "2026-06-30"}
API = "/api/v1/analytics/interventions"
PAGE = "/outcomes/interventions/"
CSV = "/outcomes/interventions.csv"

#: Per role: the rows it sees, {intervention: (patients, mean rating)}, None for a withheld row.
SEES = {
    "owner": {"Deep Breathing": (5, 4.0)},
    "colleague": {"Cognitive Defusion": (5, 2.0), "Values Clarification": None},
    "supervisor": {"Deep Breathing": (5, 4.0)},
    "practice_admin": {"Cognitive Defusion": (5, 2.0), "Deep Breathing": (5, 4.0), "Values Clarification": None},
    # Their own practice's patients only: a figure of ours never adds to theirs.
    "outsider_admin": {"Deep Breathing": (5, 1.0)},
}
SCOPE = {
    "owner": "caseload",
    "colleague": "caseload",
    "supervisor": "caseload_and_supervisees",
    "practice_admin": "practice",
    "outsider_admin": "practice",
}


def build(c):
    """The owner's five patients on Deep Breathing (rated 4), the colleague's five on Cognitive Defusion (2) and
    one on Values Clarification, and five patients of the other practice on Deep Breathing (1)."""
    breathing, defusion, values = (
        library("Deep Breathing"),
        library("Cognitive Defusion"),
        library("Values Clarification"),
    )
    harbor = UserFactory(practice=c["other_practice"], email="therapist@harbor.example")
    for _ in range(5):
        patient_goal(c["owner"], [breathing], rating=4, progress=[(at(c["since"]), 5)])
        patient_goal(c["colleague"], [defusion], rating=2, progress=[(at(c["since"]), 3)])
        patient_goal(harbor, [breathing], rating=1, progress=[(at(c["since"]), 2)])
    patient_goal(c["colleague"], [values], rating=5)


class TestScope:
    @pytest.fixture(scope="class")
    @classmethod
    def shared_data(cls, shared_cast):
        import datetime

        build({**shared_cast, "since": datetime.date(2026, 2, 1)})
        return {"cast": shared_cast["cast"]}

    @pytest.fixture
    def cast(self, shared):
        return shared["cast"]

    @pytest.mark.parametrize("role", ROLES)
    def test_the_api_answers_the_callers_scope(self, api, cast, role):
        response = api.as_(cast[role]).get(API, PERIOD)

        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["scope"], body["since"], body["until"], body["minimum_cell_size"]) == (
            SCOPE[role],
            "2026-01-01",
            "2026-06-30",
            5,
        )
        seen = {}
        for row in body["results"]:
            if row["suppressed"]:
                assert row["patients"] == row["mean_rating"] == {"value": None, "suppressed": True}
                seen[row["intervention"]["name"]] = None
            else:
                seen[row["intervention"]["name"]] = (row["patients"]["value"], row["mean_rating"]["value"])
        assert seen == SEES[role]

    @pytest.mark.parametrize("role", ROLES)
    def test_the_page_shows_the_callers_scope(self, client, cast, role):
        client.force_login(cast[role])
        response = client.get(PAGE, PERIOD)

        assert response.status_code == 200
        html = response.content.decode()
        for name in ("Deep Breathing", "Cognitive Defusion", "Values Clarification"):
            assert (f'<th scope="row">{name} ' in html) is (name in SEES[role]), name
        assert html.count("&lt; 5</span></td>") == (7 if "Values Clarification" in SEES[role] else 0)

    @pytest.mark.parametrize("role", ROLES)
    def test_the_csv_has_the_page_rows_and_is_audited(self, client, cast, role):
        client.force_login(cast[role])
        response = client.get(CSV, PERIOD)

        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert lines[0] == [
            "Intervention",
            "Modality",
            "Library",
            "Patients",
            "Goals",
            "Mean rating (1-5)",
            "Progress change (points)",
            "Score change",
            "Response (%)",
            "Remission (%)",
        ]
        rows = {line[0]: line[3:] for line in lines[1:]}
        assert set(rows) == set(SEES[role])
        for name, figures in SEES[role].items():
            if figures is None:
                assert rows[name] == ["< 5"] * 7
            else:
                assert rows[name][:3] == [str(figures[0]), str(figures[0]), f"{figures[1]:g}"]
                assert rows[name][4:] == ["", "", ""]  # no measure-driven objective: no data
        event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
        assert (event.object_type, event.patient_id, event.user_id, event.channel) == (
            "treatment.interventionoutcomes",
            None,
            cast[role].pk,
            "web",
        )
        assert event.changes == {
            "scope": SCOPE[role],
            "since": "2026-01-01",
            "until": "2026-06-30",
            "rows": len(SEES[role]),
        }

    def test_the_api_read_is_audited_naming_no_patient(self, api, cast):
        api.as_(cast["practice_admin"]).get(API, PERIOD)

        event = AuditEvent.objects.get(object_type="treatment.interventionoutcomes")
        assert (event.action, event.channel, event.patient_id) == ("view", "api", None)
        assert event.changes == {"scope": "practice", "since": "2026-01-01", "until": "2026-06-30", "rows": 3}

    def test_the_page_read_is_audited(self, client, cast):
        client.force_login(cast["owner"])
        client.get(PAGE, PERIOD)

        event = AuditEvent.objects.get(object_type="treatment.interventionoutcomes")
        assert (event.action, event.channel, event.patient_id) == ("view", "web", None)

    def test_with_and_without_the_trailing_slash(self, api, cast):
        client = api.as_(cast["owner"])
        assert client.get(API, PERIOD).json() == client.get(f"{API}/", PERIOD).json()

    def test_the_api_sorts(self, api, cast):
        body = api.as_(cast["practice_admin"]).get(API, {**PERIOD, "sort": "-mean_rating"}).json()
        # Descending by rating; the withheld row last.
        names = [row["intervention"]["name"] for row in body["results"]]
        assert names == ["Deep Breathing", "Cognitive Defusion", "Values Clarification"]

    def test_the_page_sorts_on_the_server_and_says_so(self, client, cast):
        client.force_login(cast["practice_admin"])
        html = client.get(PAGE, {**PERIOD, "sort": "-mean_rating"}).content.decode()

        assert (
            html.index(">Deep Breathing ") < html.index(">Cognitive Defusion ") < html.index(">Values Clarification ")
        )
        resort = "?since=2026-01-01&amp;until=2026-06-30&amp;sort=mean_rating"
        assert f'<th scope="col" aria-sort="descending"><a href="{resort}">Mean rating (1-5)</a></th>' in html
        assert html.count("aria-sort=") == 1
        ascending = client.get(PAGE, {**PERIOD, "sort": "mean_rating"}).content.decode()
        assert ascending.index(">Cognitive Defusion ") < ascending.index(">Deep Breathing ")
        assert 'aria-sort="ascending"' in ascending

    def test_the_chart_draws_each_shown_progress_figure(self, client, cast):
        client.force_login(cast["practice_admin"])
        html = client.get(PAGE, PERIOD).content.decode()

        assert (
            '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Mean progress change by intervention: '
            in html
        )
        assert "Deep Breathing: +50 percentage points" in html
        assert "Cognitive Defusion: +30 percentage points" in html
        assert "Values Clarification:" not in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "2026-13-01"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"since": "2026-05-01", "until": "2026-04-30"}, "until"),
        ({"since": "1800-01-01"}, "since"),
    ],
)
def test_the_api_names_a_bad_date(api, owner, query, field):
    response = api.as_(owner).get(API, query)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not AuditEvent.objects.filter(object_type="treatment.interventionoutcomes").exists()


def test_the_api_names_a_bad_sort(api, owner):
    response = api.as_(owner).get(API, {"sort": "patient_name"})

    assert response.status_code == 400
    assert list(response.json()) == ["sort"]


def test_the_period_defaults_to_the_twelve_months_up_to_today(api, owner):
    body = api.as_(owner).get(API, {"since": "", "until": ""}).json()
    today = owner.practice.today()

    assert body["until"] == today.isoformat()
    assert (
        body["since"]
        == today.replace(year=today.year - 1)
        .fromordinal(today.replace(year=today.year - 1).toordinal() + 1)
        .isoformat()
    )


def test_the_page_keeps_a_bad_period_and_says_what_is_wrong(client, owner):
    client.force_login(owner)
    response = client.get(PAGE, {"since": "2026-05-01", "until": "2026-04-30"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "The end of the period (until) is before its start (since)." in html
    assert 'value="2026-05-01"' in html and 'value="2026-04-30"' in html
    assert 'class="alert alert-error error-summary"' in html
    assert "Download CSV" not in html


def test_the_csv_refuses_a_bad_period(client, owner):
    client.force_login(owner)
    response = client.get(CSV, {"since": "2026-05-01", "until": "2026-04-30"})

    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_signed_out_callers_are_refused(client, api):
    assert api.get(API).status_code == 401
    assert client.get(PAGE).status_code == 302
    assert client.get(CSV).status_code == 302


def test_the_dashboard_and_the_navigation_link_to_the_page(client, owner):
    client.force_login(owner)
    html = client.get("/dashboard/").content.decode()

    assert html.count(f'href="{PAGE}"') == 2


def _page_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE, PERIOD).status_code == 200
    return len(queries)


def test_the_page_takes_the_same_queries_for_5_and_50_patients(client, owner):
    import datetime

    names = ["Deep Breathing", "Cognitive Defusion", "Activity Scheduling"]
    client.force_login(owner)
    for i in range(5):
        patient_goal(owner, [library(names[i % 3])], rating=3, progress=[(at(datetime.date(2026, 2, 1)), 4)])
    small = _page_queries(client)
    for i in range(45):
        patient_goal(owner, [library(names[i % 3])], rating=3, progress=[(at(datetime.date(2026, 2, 1)), 4)])
    assert _page_queries(client) == small
