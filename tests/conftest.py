"""Shared fixtures: an app per test session, a clean database per test, on SQLite or PostgreSQL.

TEST_DATABASE_URL=postgresql://… runs the suite on PostgreSQL (one schema per xdist worker);
unset, each worker gets its own SQLite file. TEST_REDIS_URL points at a real Redis (default
redis://127.0.0.1:6379/15).
"""
import os
import smtplib
from contextlib import contextmanager
from pathlib import Path

import flask_babel
import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event, text

from models import db as _db
from tests.databases import create_schema, drop_schema, pg_url, with_search_path, worker
from tests.factories import PASSWORD, login
from tracker import create_app

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
OUT_DIR = Path(__file__).resolve().parent / "out"


def _schema() -> str:
    """This worker's PostgreSQL schema; the run's pid keeps concurrent runs (two engineers, CI) apart."""
    run = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
    return f"dondoc_test_{worker()}_{run}"


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_root / f'test-{worker()}.sqlite3'}"
    create_schema(url, _schema())
    return with_search_path(pg_url(url), _schema())


def _drop_test_schema() -> None:
    """Leave the shared PostgreSQL database as we found it."""
    if os.environ.get("TEST_DATABASE_URL"):
        drop_schema(os.environ["TEST_DATABASE_URL"], _schema())


class FreshUserClient(FlaskClient):
    """Test client that forgets the cached login between requests.

    The `db` fixture keeps an app context pushed for the whole test, and Flask reuses it for the
    client's requests, so Flask-Login's per-context cache (g._login_user) would leak from one
    client (user) to the next.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("unit_parent_pairs", None)  # tracker.permissions caches the unit tree per request
            flask_babel.refresh()  # the locale is cached per context too
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp_root = tmp_path_factory.mktemp("app")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_root),
        "WTF_CSRF_ENABLED": False,
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "UPLOAD_FOLDER": str(tmp_root / "uploads"),
        "REPORT_FOLDER": str(tmp_root / "reports"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,
        "LOGIN_MAX_FAILURES": 5,
        "RATELIMIT_ENABLED": True,
    })
    app.test_client_class = FreshUserClient
    with app.app_context():
        _db.create_all()
    yield app
    with app.app_context():
        _db.engine.dispose()
    _drop_test_schema()


@pytest.fixture()
def db(app):
    """The database, emptied after the test."""
    with app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()
        empty_database()


def empty_database() -> None:
    """Delete every row of every table (the db fixture's teardown; module-scoped fixtures call it too)."""
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture()
def client(app, db):
    return app.test_client()


@pytest.fixture()
def runner(app, db):
    return app.test_cli_runner()


@pytest.fixture()
def units(db):
    """The Hà Giang unit tree from the shipped data file; returns {code: Unit}."""
    from sqlalchemy import select

    from models import Unit
    from tracker.services.units import DATA_DIR, load_units_file

    load_units_file(DATA_DIR / "ha-giang.yaml")
    db.session.commit()
    return {u.code: u for u in db.session.scalars(select(Unit))}


@pytest.fixture()
def make_user(db, units):
    """Create a user with a role in a unit: make_user("office", "HG-VPUB")."""
    from tracker.services.accounts import create_user

    counter = iter(range(1, 10_000))

    def _make(role: str, unit_code: str = "HG-VPUB", username: str | None = None, password: str = PASSWORD):
        user = create_user(None, username=username or f"{role}{next(counter)}", password=password, role=role,
                           unit_code=unit_code, email=f"{role}@example.gov.vn")
        db.session.commit()
        return user

    return _make


@pytest.fixture()
def login_as(client, make_user):
    """Log the test client in as a fresh user of that role and unit (tests.factories.login); returns the user."""

    def _login(role: str, unit_code: str = "HG-VPUB"):
        user = make_user(role, unit_code)
        login(client, user)
        return user

    return _login


@pytest.fixture()
def count_queries(app):
    """Context manager counting SQL statements: `with count_queries() as counter: …; counter.count`."""

    @contextmanager
    def _count():
        class Counter:
            count = 0
            statements: list = []

        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, *args):
            counter.count += 1
            counter.statements.append(statement)

        engine = _db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return _count


@pytest.fixture(autouse=True)
def _no_real_mail(monkeypatch, request):
    """Fail any test that would talk to a real mail server (tests use a loopback SMTP fixture instead)."""
    if request.node.get_closest_marker("smtp"):
        return

    class _Refuse:
        def __init__(self, *args, **kwargs):
            raise AssertionError("A test tried to send real email")

    monkeypatch.setattr(smtplib, "SMTP", _Refuse)
    monkeypatch.setattr(smtplib, "SMTP_SSL", _Refuse)


def pytest_configure(config):
    config.addinivalue_line("markers", "smtp: the test runs its own loopback SMTP server")


@pytest.fixture(scope="session")
def chromium_session():
    """One headless Chromium per test process, shared by every browser test and journey.

    Playwright's sync API keeps an event loop running while it is open, so a second one in the same
    process (a journey and a browser test landing on the same xdist worker) refuses to start.
    """
    from tests.browser_support import launch, require_browser

    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture()
def live_server(app, db):
    """The test app served in-process for one test (tests.browser_support.serving); its base URL."""
    from tests.browser_support import serving

    with serving(app) as base:
        yield base


@pytest.fixture()
def browser(chromium_session):
    """The process's headless Chromium (tests open their own contexts)."""
    return chromium_session


@pytest.fixture(scope="session")
def report_fonts():
    """The fonts the reports embed (tracker.reports.fonts.find_fonts); the test is skipped without them."""
    from tracker.reports.fonts import FontMissingError, find_fonts

    try:
        return find_fonts()
    except FontMissingError as error:
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def english_catalog(app):
    """Compile the English catalog when the .mo is missing or older than the .po (`make translations` does it too)."""
    from tracker import i18n_tools

    po, mo = i18n_tools.po_path("en"), i18n_tools.mo_path("en")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        i18n_tools.compile_catalog(po, mo)
        with app.app_context():
            flask_babel.get_domain().cache.clear()  # a missing catalog may have been cached as empty
    return mo
