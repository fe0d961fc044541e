"""The Content-Security-Policy (a nonce per response, no inline code or style in any template), the
Permissions-Policy, and HSTS from the environment.

Every page is walked the way test_login_required.py walks the URL patterns: a page added without an
address here fails `test_every_page_is_walked`.
"""

import re
import uuid
from pathlib import Path

import pytest

from tests.config.test_login_required import page_patterns
from tests.config.test_settings import _run

ROOT = Path(__file__).resolve().parents[2]
MISSING = uuid.UUID(int=1)

#: How to reach each page: its address from the test's records (a record the test does not build is a
#: made-up id, so the page answers its 404, which is a page too).
PAGES = {
    "home": lambda r: "/",
    "healthz": lambda r: "/healthz",
    "readyz": lambda r: "/readyz",
    "login": lambda r: "/accounts/login/",
    "admin-login": lambda r: "/admin/login/",
    "login-code": lambda r: "/accounts/login/code/",
    "account": lambda r: "/accounts/",
    "personal-token-revoke": lambda r: f"/accounts/tokens/{MISSING}/revoke/",
    "mfa-enrol": lambda r: "/accounts/mfa/enrol/",
    "logout": lambda r: "/accounts/logout/",
    "password_change": lambda r: "/accounts/password/change/",
    "password_change_done": lambda r: "/accounts/password/change/done/",
    "password_reset": lambda r: "/accounts/password/reset/",
    "password_reset_done": lambda r: "/accounts/password/reset/sent/",
    "password_reset_confirm": lambda r: "/accounts/password/reset/MQ/set-password/",
    "password_reset_complete": lambda r: "/accounts/password/reset/complete/",
    "patient-list": lambda r: "/patients/",
    "patient-create": lambda r: "/patients/new/",
    "patient-detail": lambda r: f"/patients/{r['patient'].pk}/",
    "patient-update": lambda r: f"/patients/{r['patient'].pk}/edit/",
    "plan-create": lambda r: f"/patients/{r['patient'].pk}/plans/new/",
    "plan-detail": lambda r: f"/plans/{r['plan'].pk}/",
    "plan-edit": lambda r: f"/plans/{r['plan'].pk}/edit/",
    "plan-status": lambda r: f"/plans/{r['plan'].pk}/status/",
    "plan-close": lambda r: f"/plans/{r['plan'].pk}/close/",
    "plan-amending": lambda r: f"/plans/{r['plan'].pk}/amending/",
    "diagnosis-search": lambda r: "/diagnoses/search/?diagnosis_q=anxiety",
    "diagnosis-picker": lambda r: "/diagnoses/picker/",
    "plan-problems": lambda r: "/plans/builder/problems/",
    "plan-goal-tree": lambda r: f"/plans/{r['plan'].pk}/goals/",
    "goal-add": lambda r: f"/plans/{r['plan'].pk}/goals/new/",
    "goal-smart-hint": lambda r: "/goals/smart-hint/",
    "goal-edit": lambda r: f"/goals/{r['goal'].pk}/edit/",
    "goal-move": lambda r: f"/goals/{r['goal'].pk}/move/",
    "goal-interventions": lambda r: f"/goals/{r['goal'].pk}/interventions/",
    "goal-intervention-edit": lambda r: f"/goal-interventions/{r['link'].pk}/edit/",
    "session-record": lambda r: f"/plans/{r['plan'].pk}/sessions/new/",
    "session-library": lambda r: f"/plans/{r['plan'].pk}/sessions/library/",
    "session-detail": lambda r: f"/sessions/{MISSING}/",
    "session-addendum-add": lambda r: f"/sessions/{MISSING}/addenda/",
    "goal-history": lambda r: f"/goals/{r['goal'].pk}/history/",
    "measure-administer": lambda r: f"/patients/{r['patient'].pk}/measures/phq9/new/",
    "measurement-detail": lambda r: f"/measurements/{MISSING}/",
    "safety-assessment": lambda r: f"/patients/{r['patient'].pk}/safety-assessment/",
    "intervention-list": lambda r: "/interventions/",
    "intervention-create": lambda r: "/interventions/new/",
    "intervention-edit": lambda r: f"/interventions/{r['link'].intervention_id}/edit/",
    "dashboard": lambda r: "/dashboard/",
    "plan-review": lambda r: f"/plans/{r['plan'].pk}/review/",
    "plan-versions": lambda r: f"/plans/{r['plan'].pk}/versions/",
    "plan-version-compare": lambda r: f"/plans/{r['plan'].pk}/versions/compare/",
    "plan-version": lambda r: f"/plans/{r['plan'].pk}/versions/1/",
    "review-cosign": lambda r: f"/reviews/{MISSING}/cosign/",
    "notification-list": lambda r: "/notifications/",
    "notification-read-all": lambda r: "/notifications/read-all/",
    "notification-read": lambda r: f"/notifications/{MISSING}/read/",
    "plan-report-create": lambda r: f"/plans/{r['plan'].pk}/reports/",
    "report-detail": lambda r: f"/reports/{MISSING}/",
    "report-pdf": lambda r: f"/reports/{MISSING}/pdf/",
    "plan-sign": lambda r: f"/plans/{r['plan'].pk}/sign/",
    "plan-cosign": lambda r: f"/plans/{r['plan'].pk}/cosign/",
    "plan-client-handover": lambda r: f"/plans/{r['plan'].pk}/sign/client/start/",
    "plan-client-sign": lambda r: f"/plans/{r['plan'].pk}/sign/client/",
    "plan-hand-back": lambda r: f"/plans/{r['plan'].pk}/sign/hand-back/",
    "plan-version-document": lambda r: f"/plans/{r['plan'].pk}/versions/1/document/",
    "intervention-outcomes": lambda r: "/outcomes/interventions/",
    "intervention-outcomes-csv": lambda r: "/outcomes/interventions.csv",
    "plan-blanks": lambda r: f"/plans/{r['plan'].pk}/blanks/",
    "plan-save-template": lambda r: f"/plans/{r['plan'].pk}/save-as-template/",
    "plan-template-choices": lambda r: "/plans/builder/templates/",
    "plan-template-list": lambda r: "/templates/",
    "plan-template-detail": lambda r: f"/templates/{MISSING}/",
    "plan-template-edit": lambda r: f"/templates/{MISSING}/edit/",
    "plan-template-copy": lambda r: f"/templates/{MISSING}/copy/",
    "plan-template-delete": lambda r: f"/templates/{MISSING}/delete/",
    "plan-template-goal-add": lambda r: f"/templates/{MISSING}/goals/new/",
    "plan-template-goal-edit": lambda r: f"/templates/{MISSING}/goals/{MISSING}/edit/",
    "plan-template-goal-remove": lambda r: f"/templates/{MISSING}/goals/{MISSING}/remove/",
    "plan-template-goal-interventions": lambda r: f"/templates/{MISSING}/goals/{MISSING}/interventions/",
}
#: Beyond the pages: the admin, the API's browsable docs, and error pages.
OTHERS = ["/admin/", "/admin/accounts/user/", "/admin/accounts/patient/", "/admin/login/", "/api/docs/", "/nowhere/"]

NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=]+)'")


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


def test_every_page_is_walked():
    assert {name for name, _ in page_patterns()} == set(PAGES)


@pytest.fixture
def records(practice_admin, owner, patient, plan, tree):
    link = tree["objective"].goal_interventions.get()
    return {"patient": patient, "plan": plan, "goal": tree["short_term"], "link": link}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_carries_the_policy_and_a_nonce(client, owner, records, name):
    client.force_login(owner)

    url = PAGES[name](records)
    response = client.get(url)

    # Django's admin pages are not ours: their scripts are all files of our origin, allowed without the nonce.
    assert_strict_policy(response, scripts_carry_nonce=not url.startswith("/admin/"))


@pytest.mark.django_db
@pytest.mark.parametrize("url", OTHERS)
def test_the_admin_the_api_docs_and_error_pages_carry_the_policy(client, practice_admin, url):
    client.force_login(practice_admin)

    response = client.get(url, follow=url == "/admin/login/")

    # Django's admin pages are not ours: their scripts are all files of our origin, allowed without the nonce.
    assert_strict_policy(response, scripts_carry_nonce=not url.startswith("/admin/"))


def assert_strict_policy(response, scripts_carry_nonce=True):
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    (nonce,) = set(NONCE.findall(" ".join(policy["script-src"])))
    assert NONCE.findall(" ".join(policy["style-src"])) == [nonce]
    if response.get("Content-Type", "").startswith("text/html") and b"<html" in response.content:
        # A full page: every script is a file, and ours carry the response's own nonce.
        scripts = re.findall(rb"<script\b[^>]*>", response.content)
        assert scripts
        for tag in scripts:
            assert b" src=" in tag, tag
            if scripts_carry_nonce:
                assert f'nonce="{nonce}"'.encode() in tag, tag


@pytest.mark.django_db
def test_each_response_has_a_nonce_of_its_own(client, owner):
    client.force_login(owner)

    first = policy_of(client.get("/dashboard/"))["script-src"]
    second = policy_of(client.get("/dashboard/"))["script-src"]

    assert NONCE.findall(" ".join(first)) != NONCE.findall(" ".join(second))


@pytest.mark.django_db
def test_the_permissions_policy_turns_off_what_a_clinic_app_never_uses(client):
    header = client.get("/accounts/login/")["Permissions-Policy"]

    features = dict(part.strip().split("=") for part in header.split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "bluetooth", "midi"):
        assert features[feature] == "()"


# --- templates -------------------------------------------------------------------------------------

#: What the CSP refuses in a page: style attributes, inline event handlers, htmx's eval'd attributes and trigger
#: filters, <script> elements with a body, <style> elements without a nonce.
INLINE = {
    "style attribute": re.compile(r"\sstyle\s*="),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "hx-on": re.compile(r"\s(data-)?hx-on"),
    "htmx trigger filter": re.compile(r"hx-trigger=\"[^\"]*\["),
    "js: value": re.compile(r"hx-vals=['\"]\s*js:"),
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>"),
    "style element without a nonce": re.compile(r"<style(?![^>]*\bnonce=)[^>]*>"),
}
#: Emails are read by mail clients, which need inline styles, and no browser applies our CSP to them.
EMAIL_TEMPLATES = ("email", "_email.")


def page_templates():
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if not any(part in str(path.relative_to(ROOT)) for part in EMAIL_TEMPLATES):
            yield path


def test_no_template_has_inline_code_or_styles():
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in page_templates()
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]

    assert found == []


def test_the_template_check_finds_what_it_looks_for():
    samples = [
        '<span style="width: 3%">',
        '<button onclick="go()">',
        '<input hx-on:keydown="x()">',
        "<input hx-trigger=\"keydown[key=='Enter']\">",
        "<div hx-vals='js:{a: 1}'>",
        "<script>alert(1)</script>",
        "<style>p {}</style>",
    ]

    assert [any(p.search(sample) for p in INLINE.values()) for sample in samples] == [True] * len(samples)
    assert not any(p.search('<script src="/static/js/a.js" nonce="{{ x }}" defer></script>') for p in INLINE.values())


#: Django's `{# #}` comment ends at the line's end: one spanning lines is printed on the page, text and all.
MULTILINE_COMMENT = re.compile(r"\{#(?:(?!#\}).)*\n")


def test_no_template_comment_spans_lines():
    every = sorted(ROOT.glob("templates/**/*.html")) + sorted(ROOT.glob("*/templates/**/*.html"))
    assert [str(path.relative_to(ROOT)) for path in every if MULTILINE_COMMENT.search(path.read_text())] == []
    assert MULTILINE_COMMENT.search("{# one\n two #}") and not MULTILINE_COMMENT.search("{# one #}\n{# two #}")


# --- HSTS from the environment -----------------------------------------------------------------------


def test_hsts_subdomains_and_preload_come_from_the_environment():
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
        "from django.conf import settings;"
        "print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD)"
    )
    on = _run(
        code,
        DEBUG="false",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
    )
    off = _run(code, DEBUG="false")

    assert on.stdout.split() == ["31536000", "True", "True"], on.stderr
    assert off.stdout.split() == ["0", "False", "False"], off.stderr
