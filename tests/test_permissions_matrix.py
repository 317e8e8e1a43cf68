"""Every route, every role: allowed, 403, or redirect to login — and no route left out.

ROUTES lists each URL rule with a concrete URL (built from the `world` fixture's ids) and what each
kind of visitor gets. A new route without a row here fails test_every_route_is_covered.
"""
import importlib
import re
from pathlib import Path

import pytest

from tests.factories import build_world

OK, FORBIDDEN, LOGIN, NOT_FOUND = "ok", "403", "login", "404"
VISITORS = ("anon", "admin", "office", "leader", "unit_officer", "unit_head", "other_unit")

#: what each visitor gets; keys default to the group they belong to
VIEW_ALL = {"anon": LOGIN, "admin": OK, "office": OK, "leader": OK, "unit_officer": FORBIDDEN,
            "unit_head": FORBIDDEN, "other_unit": FORBIDDEN}
OFFICE_ONLY = {**VIEW_ALL, "leader": FORBIDDEN}
ADMIN_ONLY = {**OFFICE_ONLY, "office": FORBIDDEN}
ANY_USER = dict.fromkeys(VISITORS, OK) | {"anon": LOGIN}
UNIT_ONLY = {"anon": LOGIN, "admin": FORBIDDEN, "office": FORBIDDEN, "leader": FORBIDDEN, "unit_officer": OK,
             "unit_head": OK, "other_unit": OK}
#: the assignment belongs to the unit of unit_officer/unit_head, not to other_unit's
ASSIGNMENT_VIEW = dict(VIEW_ALL, unit_officer=OK, unit_head=OK)
ASSIGNMENT_UPDATE = {"anon": LOGIN, "admin": FORBIDDEN, "office": FORBIDDEN, "leader": FORBIDDEN,
                     "unit_officer": OK, "unit_head": OK, "other_unit": FORBIDDEN}
PUBLIC = dict.fromkeys(VISITORS, OK)

#: (method, rule, url template, expectations)
ROUTES: list[tuple[str, str, str, dict]] = [
    ("GET", "/healthz", "/healthz", PUBLIC),
    ("GET", "/login", "/login", {**PUBLIC, **{v: "redirect" for v in VISITORS if v != "anon"}}),
    ("POST", "/login", "/login", {**dict.fromkeys(VISITORS, "redirect"), "anon": OK}),
    ("POST", "/logout", "/logout", dict.fromkeys(VISITORS, "redirect")),
    ("POST", "/lang/<code>", "/lang/en", dict.fromkeys(VISITORS, "redirect")),
    ("GET", "/", "/", dict.fromkeys(VISITORS, "redirect") | {"anon": LOGIN}),
    ("GET", "/dashboard", "/dashboard", VIEW_ALL),
    ("GET", "/my", "/my", UNIT_ONLY),
]


def _classify(response, visitor: str) -> str:
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and "/login" in location and "next=" in location:
        return LOGIN
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 404:
        return NOT_FOUND
    if response.status_code in (301, 302, 303):
        return "redirect"
    return OK if response.status_code < 500 else f"error {response.status_code}"


@pytest.fixture()
def world(db, units, make_user):
    return build_world(db, make_user)


def _tables_of_all_test_modules() -> list[tuple[str, str]]:
    """(method, url template) of ROUTES here and of every test module's ROUTE_PERMISSIONS table."""
    entries = [(method, url) for method, _rule, url, _exp in ROUTES]
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        entries += [(entry[0], entry[1]) for entry in getattr(module, "ROUTE_PERMISSIONS", [])]
    return entries


def test_every_route_is_covered(app):
    """Each (method, endpoint) of the app appears in some permission table that a test walks for every role."""
    adapter = app.url_map.bind("localhost")
    covered = set()
    for method, url in _tables_of_all_test_modules():
        concrete = re.sub(r"\{[^}]+\}", "1", url).split("?")[0]
        try:
            endpoint, _args = adapter.match(concrete, method=method)
        except Exception:  # noqa: BLE001 — a stale row names no route; it simply covers nothing
            continue
        covered.add((method, endpoint))
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.endpoint) not in covered:
                missing.append(f"{method} {rule.rule}")
    assert not missing, "Routes without a permission row: " + ", ".join(missing)


@pytest.mark.parametrize("method,rule,url,expected", ROUTES, ids=[f"{m} {r}" for m, r, _u, _e in ROUTES])
def test_route_permissions(app, world, method, rule, url, expected):
    concrete = url.format(**world.ids)
    for visitor in VISITORS:
        client = world.client(app, visitor)
        response = client.open(concrete, method=method, data=world.post_data.get(rule, {}))
        got = _classify(response, visitor)
        want = expected[visitor]
        assert got == want, f"{method} {concrete} as {visitor}: got {got} ({response.status_code}), want {want}"
