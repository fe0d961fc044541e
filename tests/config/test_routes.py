"""Every API path answers with and without a trailing slash, as partner systems send both (accounts/api/routers.py).

The routes are read from the URL resolver, not listed by hand: each one under /api/v1/ gets a concrete path (its
groups filled with values its own pattern accepts), and both forms of that path must resolve to that route's view
with the same kwargs. `resolve()` runs no middleware, so this is the URLconf answering both ways, not APPEND_SLASH
redirecting one to the other; a few real requests confirm it end to end (200 both ways, never a 301). This one
module is the trailing-slash dimension of the suite: every other test calls a route in one form only.
"""

import itertools
import re
import uuid
from dataclasses import dataclass

import pytest
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.utils.regex_helper import normalize

PREFIX = "api/v1/"

#: How many routes live under /api/v1/ today, every one answering both ways. A route added or removed changes it:
#: update it on purpose, in the same change as the route.
API_ROUTE_COUNT = 65  # + the measures and outcomes (issue 15), the signatures and the plan document (issue 13),
# the plan templates and save-as-template (issue 17)


@dataclass(frozen=True)
class Route:
    name: str
    template: str  # the path without its optional trailing slash, e.g. "api/v1/goals/%(pk)s"
    regex: re.Pattern
    callback: object
    kwargs: dict  # the values the concrete path fills its groups with

    @property
    def path(self) -> str:
        """The concrete path, without a trailing slash."""
        return "/" + (self.template % self.kwargs).rstrip("/")

    def __str__(self):
        return self.name


def _leaves(patterns, chain=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _leaves(entry.url_patterns, (*chain, entry))
        elif isinstance(entry, URLPattern):
            yield (*chain, entry)


def _full_regex(chain) -> str:
    """The regex a path must match to reach the last pattern of `chain` (each resolver strips its own prefix)."""
    return "^" + "".join(entry.pattern.regex.pattern.removeprefix("^") for entry in chain)


def _fill(template: str, params: list[str], regex: re.Pattern) -> dict:
    """Values for `params` that make a path the route's own regex accepts: a UUID, a number or an ICD-10 code."""
    candidates = [str(uuid.uuid4()), "1", "F41.1"]
    for values in itertools.product(candidates, repeat=len(params)):
        kwargs = dict(zip(params, values, strict=True))
        if regex.fullmatch(template % kwargs):
            return kwargs
    raise AssertionError(f"no value fits the groups {params} of {regex.pattern}")


def api_routes() -> list[Route]:
    routes = []
    for chain in _leaves(get_resolver().url_patterns):
        regex = re.compile(_full_regex(chain))
        if not regex.pattern.startswith("^" + PREFIX):
            continue
        [(template, params)] = normalize(regex.pattern)  # one path shape: optional parts (the "/?") left out
        leaf = chain[-1]
        routes.append(Route(leaf.name or template, template, regex, leaf.callback, _fill(template, params, regex)))
    return routes


ROUTES = api_routes()


def _resolve(path: str):
    try:
        return resolve(path)
    except Resolver404:
        pytest.fail(f"{path} resolves to no route", pytrace=False)


def _answers_both_ways(route: Route) -> bool:
    try:
        return resolve(route.path).func is resolve(route.path + "/").func is route.callback
    except Resolver404:
        return False


def test_the_api_has_the_routes_it_had_and_each_answers_both_ways():
    names = sorted(route.name for route in ROUTES)

    assert len(ROUTES) == API_ROUTE_COUNT, names
    assert len(set(names)) == len(names), names
    assert [route.name for route in ROUTES if not _answers_both_ways(route)] == []


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_route_resolves_with_and_without_a_trailing_slash(route):
    bare, slashed = route.path, route.path + "/"
    assert not bare.endswith("/")

    for path in (bare, slashed):
        match = _resolve(path)
        assert match.func is route.callback, f"{path} resolves to {match.view_name}, not {route.name}"
        assert match.kwargs == route.kwargs, path
        assert match.args == (), path
        assert match.namespace == "api", path
        assert match.url_name == route.name, path
    assert _resolve(bare).route == _resolve(slashed).route


# --- end to end: real requests, both forms ---------------------------------------------------------


@pytest.fixture
def admin_api(api, practice_admin):
    return api.as_(practice_admin)


REQUESTED = [
    "treatment-plans",
    "treatment-plans/{plan}",
    "treatment-plans/{plan}/goals",
    "goals/{goal}/interventions",
    "patients",
    "diagnosis-codes/F41.1",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", REQUESTED)
def test_a_practice_admin_gets_the_same_200_with_and_without_the_slash(admin_api, plan, tree, path):
    url = "/api/v1/" + path.format(plan=plan.pk, goal=tree["objective"].pk)

    bare, slashed = admin_api.get(url), admin_api.get(url + "/")

    assert bare.status_code == 200, bare.content
    assert slashed.status_code == 200, slashed.content
    assert "Location" not in bare
    assert "Location" not in slashed
    assert bare.json() == slashed.json()
    assert bare.json() != {"count": 0, "next": None, "previous": None, "results": []}  # a body worth comparing
