"""Bad input never gives a 500: every route, as every visitor, with out-of-range ids and page numbers and NUL bytes.

The walk is built from `app.url_map` and from the query parameters the views read (found in their source), so a
new route or a new parameter is covered without editing this file. Each refusal is the app's own error page,
in the visitor's language (Vietnamese unless English was chosen), and changes nothing.
"""
import inspect
import re

import pytest
from sqlalchemy import func, select

from models import AuditEntry, Unit
from tests.factories import build_world, post_login

VISITORS = ("anon", "admin", "office", "leader", "unit_officer", "unit_head")
#: ids no database row can have: past PostgreSQL's 32-bit integer, past SQLite's 64-bit one, absurd, negative
BAD_NUMBERS = ("2147483648", "9223372036854775808", "99999999999999999999", "-1")
#: the world's id for each URL argument name; other integer arguments get 1
WORLD_ARGUMENT = {"plan_id": "plan", "activity_id": "activity", "assignment_id": "assignment", "unit_id": "unit",
                  "user_id": "user", "group_id": "group", "task_id": "task"}
STRING_ARGUMENTS = {"code": "en", "fmt": "pdf", "token": "x"}
#: letters only Vietnamese has: the error page speaks Vietnamese when one of them is in its message
VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
ERROR_MESSAGE = re.compile(r'<p class="error-message">(.*?)</p>', re.S)


PARAMETER = re.compile(r"(?:args\.(?:get|getlist)|\b(?:page_arg|int_args?))\(\s*\"(\w+)\"")


def _source_reading(function, seen: set | None = None) -> str:
    """The source of a view and of the helpers of its module that it calls, transitively."""
    seen = set() if seen is None else seen
    function = inspect.unwrap(function)
    if function in seen:
        return ""
    seen.add(function)
    source = inspect.getsource(function)
    module = inspect.getmodule(function)
    for name in set(re.findall(r"\b(\w+)\(", source)):
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == module.__name__:
            source += _source_reading(helper, seen)
    return source


def _parameters_read(app, endpoint: str) -> list[str]:
    """The query parameters an endpoint reads (a page-number parser without a name reads "page")."""
    source = _source_reading(app.view_functions[endpoint])
    names = set(PARAMETER.findall(source))
    if re.search(r"\bpage_arg\(\s*\)", source):
        names.add("page")
    return sorted(names)


def _all_parameters(app) -> set[str]:
    return {name for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for name in _parameters_read(app, rule.endpoint)}


def _rules(app, methods=("GET", "POST")) -> list[tuple[str, object]]:
    return [(method, rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in sorted(rule.methods & set(methods))]


def _url(rule, ids: dict, override: dict | None = None) -> str:
    values = {}
    for name in rule.arguments:
        if name in STRING_ARGUMENTS:
            values[name] = STRING_ARGUMENTS[name]
        else:
            values[name] = str(ids.get(WORLD_ARGUMENT.get(name), 1))
    values.update(override or {})
    url = rule.rule
    for name, value in values.items():
        url = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>", value, url)
    return url


def _error_message(response) -> str | None:
    match = ERROR_MESSAGE.search(response.get_data(as_text=True))
    return re.sub(r"\s+", " ", match.group(1)).strip() if match else None


def _assert_refused_in_vietnamese(response, expected: tuple[int, ...], where: str) -> str:
    assert response.status_code in expected, f"{where}: {response.status_code}"
    message = _error_message(response)
    assert message, f"{where}: {response.status_code} without the app's error page"
    assert VIETNAMESE.search(message), f"{where}: not Vietnamese: {message}"
    return message


@pytest.fixture()
def world(db, units, make_user):
    return build_world(db, make_user)


@pytest.fixture()
def clients(app, world):
    """A logged-in test client per visitor."""
    return {visitor: world.client(app, visitor) for visitor in VISITORS}


def _changes(db) -> tuple:
    return (db.session.scalar(select(func.count(AuditEntry.id))), db.session.scalar(select(func.count(Unit.id))))


def _int_rules(app):
    return [(method, rule) for method, rule in _rules(app)
            if any(type(converter).__name__ != "UnicodeConverter" for converter in rule._converters.values())]


def test_the_walk_covers_every_route_and_parameter(app):
    """A guard for the walks below: they see the routes with ids and the page parameters."""
    assert len(_int_rules(app)) > 40
    assert {"page", "pe", "pu", "p7", "p30", "ps", "pl", "hp", "group", "unit", "plan", "node"} <= _all_parameters(app)


def test_out_of_range_ids_in_the_path_are_404_for_every_route_and_visitor(app, db, world, clients):
    before = _changes(db)
    for method, rule in _int_rules(app):
        for name in rule.arguments - set(STRING_ARGUMENTS):
            for bad in BAD_NUMBERS:
                url = _url(rule, world.ids, {name: bad})
                for visitor, client in clients.items():
                    response = client.open(url, method=method)
                    _assert_refused_in_vietnamese(response, (404,), f"{method} {url} as {visitor}")
    assert _changes(db) == before


@pytest.mark.parametrize("bad", ["99999999999999999999", "2147483648", "-1", "abc"])
def test_out_of_range_page_numbers_and_ids_in_the_query_never_give_a_500(app, db, world, clients, bad):
    before = _changes(db)
    for _method, rule in _rules(app, ("GET",)):
        base = _url(rule, world.ids)
        # only the visitors the page lets in read its parameters
        readers = [visitor for visitor, client in clients.items() if client.get(base).status_code == 200]
        for name in _parameters_read(app, rule.endpoint):
            url = f"{base}?{name}={bad}"
            for visitor in readers:
                response = clients[visitor].get(url)
                where = f"GET {url} as {visitor}"
                assert response.status_code < 500, where
                if response.status_code in (400, 404) and _error_message(response) is not None:
                    _assert_refused_in_vietnamese(response, (400, 404), where)
    assert _changes(db) == before


def test_a_page_number_past_any_database_offset_is_a_404_page(client, world, clients):
    for url in ("/plans/?page=99999999999999999999", f"/plans/{world.ids['plan']}?page=9223372036854775808",
                "/dashboard?page=-3", "/notifications?page=99999999999999999999"):
        response = clients["office"].get(url)
        message = _assert_refused_in_vietnamese(response, (404,), url)
        assert "page" in message or "Trang" in message


def test_nul_in_a_query_parameter_is_refused_with_a_400_naming_it_on_every_route(app, db, world, clients):
    before = _changes(db)
    for method, rule in _rules(app):
        url = _url(rule, world.ids) + "?q=ab%00c"
        for visitor, client in clients.items():
            response = client.open(url, method=method)
            message = _assert_refused_in_vietnamese(response, (400,), f"{method} {url} as {visitor}")
            assert "«q»" in message
    assert _changes(db) == before


def test_nul_in_a_form_field_is_refused_with_a_400_naming_it_on_every_post_route(app, db, world, clients):
    before = _changes(db)
    for _method, rule in _rules(app, ("POST",)):
        url = _url(rule, world.ids)
        for visitor, client in clients.items():
            response = client.post(url, data={"note": "tiến\x00độ", "name": "Sở A"})
            message = _assert_refused_in_vietnamese(response, (400,), f"POST {url} as {visitor}")
            assert "«note»" in message
    assert _changes(db) == before


def test_nul_in_the_path_is_refused(world, clients):
    for url in ("/calendar/ab%00c.ics", "/indicators/frameworks/76%006"):
        _assert_refused_in_vietnamese(clients["office"].get(url), (400, 404), url)


def test_nul_in_the_login_name_is_a_400_and_nobody_is_logged_in(client, world):
    response = post_login(client, world.users["office"].username + "\x00", world.password)
    message = _assert_refused_in_vietnamese(response, (400,), "login")
    assert "«username»" in message
    assert client.get("/dashboard").status_code == 302


def test_nul_in_an_upload_file_name_is_refused_and_nothing_is_saved(db, world, clients):
    import io

    from models import Attachment, ProgressUpdate

    url = f"/assignments/{world.ids['assignment']}/progress"
    response = clients["unit_officer"].post(url, data={
        "percent": "50", "note": "Đã làm một nửa", "version": "1",
        "files": (io.BytesIO(b"%PDF-1.4 test"), "bao-cao\x00.pdf")}, content_type="multipart/form-data")
    message = _assert_refused_in_vietnamese(response, (400,), url)
    assert "«files»" in message
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert db.session.scalar(select(func.count(ProgressUpdate.id))) == 0


def test_the_refusal_speaks_english_when_english_was_chosen(app, world):
    client = app.test_client()
    client.post("/lang/en", data={"next": "/login"})
    response = client.get("/login?next=%00")
    assert response.status_code == 400
    message = _error_message(response)
    assert message and not VIETNAMESE.search(message) and "«next»" in message
    response = client.get("/assignments/2147483648")
    assert response.status_code == 404
    message = _error_message(response)
    assert message and not VIETNAMESE.search(message)


def _fail_mid_request(monkeypatch, app, db):
    """Make the dashboard's first figure write a duplicate unit: the flush fails and leaves the transaction broken."""
    from tracker.services import dashboards

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # serve the 500 page as production does
    existing = db.session.scalar(select(Unit).where(Unit.code == "HG-STP"))

    def broken(*_args, **_kwargs):
        db.session.add(Unit(code=existing.code, name="Bản sao", kind_id=existing.kind_id))
        db.session.flush()

    monkeypatch.setattr(dashboards, "status_counts", broken)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_failed_transaction_shows_the_apps_500_page_in_the_users_language_and_saves_nothing(
        monkeypatch, app, db, world, clients, language):
    client = clients["office"]
    if language == "en":
        client.post("/lang/en", data={"next": "/"})
    before = _changes(db)
    _fail_mid_request(monkeypatch, app, db)
    response = client.get("/dashboard")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    message = _error_message(response)
    assert message, page[:300]
    assert bool(VIETNAMESE.search(message)) == (language == "vi"), message
    assert "Internal Server Error" not in page
    assert 'class="topbar"' in page and world.users["office"].unit.name in page  # the app's layout, after a rollback
    assert _changes(db) == before


def test_a_whole_number_the_database_cannot_hold_is_a_field_error_not_a_500(db, world, clients):
    """A new plan with 99999999999999999999 declared activities: the form says the number is too large."""
    from models import Plan

    response = clients["office"].post("/plans/new", data={
        "code": "KH-SO-LON", "kind": "plan", "title": "Kế hoạch thử số lớn", "year": "2024",
        "declared_activities": "99999999999999999999"})
    assert response.status_code in (200, 400)  # the form again, with the field's message
    assert "Số hoạt động theo văn bản: số quá lớn" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Plan.id)).where(Plan.code == "KH-SO-LON")) == 0


def test_when_even_the_layout_cannot_be_read_the_500_page_still_speaks_the_users_language(monkeypatch, app, world,
                                                                                          clients):
    from sqlalchemy.exc import OperationalError

    from tracker.services import notifications

    def database_gone(*_args, **_kwargs):
        raise OperationalError("SELECT count(*) FROM notification", {}, Exception("server closed the connection"))

    client = clients["office"]
    client.post("/lang/en", data={"next": "/"})
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(notifications, "unread_count", database_gone)  # every page with the layout shows the bell
    response = client.get("/plans/")
    assert response.status_code == 500
    message = _error_message(response)
    assert message and not VIETNAMESE.search(message), message
    assert "Internal Server Error" not in response.get_data(as_text=True)
