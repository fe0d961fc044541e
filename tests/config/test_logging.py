"""Logs an operator can use: one JSON line per request with its id, user, practice, path, status and duration;
the same request id on every line the request causes; no PHI; 403 and 404 at INFO without a traceback."""

import contextlib
import io
import json
import logging

import pytest
from django.conf import settings
from django.utils.module_loading import import_string
from knox.models import AuthToken
from pythonjsonlogger.json import JsonFormatter
from rest_framework.test import APIClient

from accounts.request_log import RequestContextFilter

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def json_log():
    """The production format (settings.LOGGING's `json` formatter) on the root logger; the parsed lines
    are in the yielded list once the block ends."""
    spec = dict(settings.LOGGING["formatters"]["json"])
    assert import_string(spec.pop("()")) is JsonFormatter
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**spec))
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


def token_client(user) -> APIClient:
    api = APIClient()
    _, token = AuthToken.objects.create(user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def test_each_request_is_one_json_line_with_who_what_and_how_long(client, owner, patient):
    client.force_login(owner)
    api = token_client(owner)
    with json_log() as lines:
        page = client.get(patient.get_absolute_url(), HTTP_X_REQUEST_ID="lb-7f3a")
        read = api.get(f"/api/v1/patients/{patient.pk}")
    assert (page.status_code, read.status_code) == (200, 200)

    requests = [line for line in lines if line["logger"] == "trellis.request"]
    assert [(r["method"], r["path"], r["status"]) for r in requests] == [
        ("GET", patient.get_absolute_url(), 200),
        ("GET", f"/api/v1/patients/{patient.pk}", 200),
    ]
    for line in requests:
        assert line["level"] == "INFO"
        assert line["user_id"] == str(owner.pk)
        assert line["practice_id"] == str(owner.practice_id)
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
        assert line["time"]
    # A proxy's id is kept and sent back; without one, the request gets its own.
    assert requests[0]["request_id"] == page["X-Request-ID"] == "lb-7f3a"
    assert requests[1]["request_id"] == read["X-Request-ID"] != "lb-7f3a"
    assert len(read["X-Request-ID"]) == 32


def test_an_unsafe_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID='x" injected\nline')
    assert response.status_code == 200
    assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"].isalnum()


def test_every_line_a_request_causes_carries_its_id(client, owner, patient):
    client.force_login(owner)

    def view_logs(**kwargs):
        logging.getLogger("treatment.services").warning("something the operator should see")

    with json_log() as lines:
        from django.test.signals import template_rendered

        template_rendered.connect(view_logs)
        try:
            response = client.get(patient.get_absolute_url(), HTTP_X_REQUEST_ID="trace-1")
        finally:
            template_rendered.disconnect(view_logs)
    assert response.status_code == 200
    inner = [line for line in lines if line["logger"] == "treatment.services"]
    assert inner and {line["request_id"] for line in inner} == {"trace-1"}
    assert {line["user_id"] for line in inner} == {str(owner.pk)}


def test_a_request_that_touches_a_patient_logs_no_patient_name(client, owner, patient, practice_admin):
    """The page, the API read, a search by her surname (the query string is not logged) and a refusal."""
    client.force_login(owner)
    api = token_client(owner)
    with json_log() as lines:
        responses = [
            client.get(patient.get_absolute_url()),
            client.get("/patients/", {"search": "Carter"}),
            api.get(f"/api/v1/patients/{patient.pk}"),
            api.get("/api/v1/patients", {"search": "Carter"}),
            api.patch(f"/api/v1/patients/{patient.pk}", {"first_name": "Emilia"}, format="json"),
        ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200]
    assert len([line for line in lines if line["logger"] == "trellis.request"]) == 5
    text = json.dumps(lines)
    for name in ("Emily", "Emilia", "Carter"):
        assert name not in text


def test_refusals_are_info_without_a_traceback(client, colleague, supervisor, patient, caplog):
    caplog.set_level(logging.INFO)
    client.force_login(colleague)
    hidden = client.get(patient.get_absolute_url())
    api = token_client(supervisor)
    forbidden = api.patch(f"/api/v1/patients/{patient.pk}", {"first_name": "X"}, format="json")
    client.force_login(supervisor)
    forbidden_page = client.get(f"{patient.get_absolute_url()}edit/")
    assert (hidden.status_code, forbidden.status_code, forbidden_page.status_code) == (404, 403, 403)

    refusals = [r for r in caplog.records if r.name == "django.request"]
    assert sorted(r.status_code for r in refusals) == [403, 403, 404]
    assert {(r.levelname, r.exc_info) for r in refusals} == {("INFO", None)}
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_pdf_libraries_are_quiet_below_warning():
    for name in ("weasyprint", "fontTools", "fontTools.subset", "axes"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING


def test_development_lines_are_readable_with_the_request_id(settings):
    record = logging.LogRecord("treatment.services", logging.WARNING, __file__, 1, "slow rollup", None, None)
    RequestContextFilter().filter(record)
    line = logging.Formatter(settings.LOGGING["formatters"]["text"]["format"]).format(record)
    assert line.endswith("WARNING treatment.services [- user=-] slow rollup")
