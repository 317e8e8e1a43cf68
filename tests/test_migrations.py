"""The Alembic migrations build exactly the schema the models describe (SQLite, and PostgreSQL when tested)."""
import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from models import db
from tests.databases import create_schema, drop_schema, pg_url, with_search_path
from tracker import create_app


def _schema() -> str:
    return f"dondoc_migrations_{os.getpid()}"


def _fresh_url(tmp_path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    create_schema(url, _schema())
    return with_search_path(pg_url(url), _schema())


def _drop_schema() -> None:
    if os.environ.get("TEST_DATABASE_URL"):
        drop_schema(os.environ["TEST_DATABASE_URL"], _schema())


def test_upgrade_gives_the_models_schema_and_downgrade_undoes_it(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": _fresh_url(tmp_path), "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diffs == [], f"models and migrations differ: {diffs}"
        downgrade(revision="base")
        with db.engine.connect() as conn:
            remaining = set(db.inspect(conn).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()
    _drop_schema()


def test_locking01_gives_existing_rows_version_1_and_downgrades_with_data(tmp_path):
    """Units, users and unit kinds saved before the version column start at version 1; going back keeps them."""
    url = _fresh_url(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(revision="review01")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO unit_kind (id, code, name, level, sort_order) "
                              "VALUES (1, 'department', 'Sở', 1, 0)"))
            conn.execute(text("INSERT INTO unit (id, code, name, search_text, aliases, kind_id, parent_id, sort_order, "
                              "created_at, updated_at) VALUES (1, 'HG', 'Tỉnh', '', '[]', 1, NULL, 0, "
                              "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), (2, 'HG-STP', 'Sở Tư pháp', '', '[]', 1, 1, 1, "
                              "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            conn.execute(text('INSERT INTO "user" (id, username, password_hash, full_name, role, unit_id, active, '
                              "email_enabled, digest, ics_token, created_at, updated_at) VALUES (1, 'cu', 'x', 'Cũ', "
                              "'admin', 2, TRUE, TRUE, TRUE, 'token', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        upgrade(revision="locking01")
        with db.engine.connect() as conn:
            for table in ("unit_kind", "unit", '"user"'):
                assert conn.execute(text(f"SELECT DISTINCT version FROM {table}")).scalars().all() == [1], table
        downgrade(revision="review01")
        with db.engine.connect() as conn:
            assert conn.execute(text('SELECT unit_id FROM "user"')).scalar_one() == 2
            assert conn.execute(text("SELECT count(*) FROM unit")).scalar_one() == 2
            assert "version" not in {column["name"] for column in db.inspect(conn).get_columns("unit")}
        downgrade(revision="base")
        db.engine.dispose()
    _drop_schema()


def test_users01_leaves_existing_users_free_and_downgrades_with_data(tmp_path):
    """Users saved before must_change_password keep their passwords (false); going back keeps the rows."""
    url = _fresh_url(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(revision="locking01")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO unit_kind (id, code, name, level, sort_order) "
                              "VALUES (1, 'department', 'Sở', 1, 0)"))
            conn.execute(text("INSERT INTO unit (id, code, name, search_text, aliases, kind_id, parent_id, sort_order, "
                              "created_at, updated_at) VALUES (1, 'HG', 'Tỉnh', '', '[]', 1, NULL, 0, "
                              "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            conn.execute(text('INSERT INTO "user" (id, username, password_hash, full_name, role, unit_id, active, '
                              "email_enabled, digest, ics_token, created_at, updated_at) VALUES (1, 'cu', 'x', 'Cũ', "
                              "'admin', 1, TRUE, TRUE, TRUE, 'token', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        upgrade(revision="users01")
        with db.engine.connect() as conn:
            assert conn.execute(text('SELECT must_change_password FROM "user"')).scalar_one() in (False, 0)
        downgrade(revision="locking01")
        with db.engine.connect() as conn:
            assert conn.execute(text('SELECT username FROM "user"')).scalar_one() == "cu"
            assert "must_change_password" not in {c["name"] for c in db.inspect(conn).get_columns("user")}
        downgrade(revision="base")
        db.engine.dispose()
    _drop_schema()


def test_province01_leaves_existing_provinces_derived_and_downgrades_with_data(tmp_path):
    """Units saved before the issuing-body columns keep printing what their name gives (NULL); going back keeps
    them."""
    url = _fresh_url(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(revision="users01")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO unit_kind (id, code, name, level, sort_order) "
                              "VALUES (1, 'province', 'Tỉnh', 0, 0)"))
            conn.execute(text("INSERT INTO unit (id, code, name, search_text, aliases, kind_id, parent_id, sort_order, "
                              "created_at, updated_at) VALUES (1, 'P', 'UBND tỉnh X', '', '[]', 1, NULL, 0, "
                              "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        upgrade(revision="province01")
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT place_name, letterhead_parent, number_pattern FROM unit")).one()
            assert tuple(row) == (None, None, None)
        downgrade(revision="users01")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM unit")).scalar_one() == "UBND tỉnh X"
            assert "place_name" not in {column["name"] for column in db.inspect(conn).get_columns("unit")}
        downgrade(revision="base")
        db.engine.dispose()
    _drop_schema()
