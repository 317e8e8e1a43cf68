"""The Alembic migrations build exactly the schema the models describe (SQLite, and PostgreSQL when tested)."""
import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from models import db
from tracker import create_app


def _fresh_url(tmp_path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"dondoc_migrations_{os.getpid()}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


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
    if os.environ.get("TEST_DATABASE_URL"):
        engine = create_engine(os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS dondoc_migrations_{os.getpid()} CASCADE"))
        engine.dispose()
