"""PostgreSQL schemas of the test runs (TEST_DATABASE_URL): each run makes its own and drops it after.

Used by conftest (one schema per xdist worker), test_migrations (one per migration test) and the journeys
(one per product started).
"""
import os

from sqlalchemy import create_engine, text


def worker() -> str:
    """This xdist worker's name (gw0 without xdist)."""
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def pg_url(url: str) -> str:
    """A postgresql:// URL in SQLAlchemy's psycopg (3) spelling."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def with_search_path(url: str, schema: str) -> str:
    """The URL whose connections work in the schema."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def _execute(url: str, *statements: str) -> None:
    engine = create_engine(pg_url(url))
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def create_schema(url: str, schema: str) -> None:
    """The schema, empty (dropped first if an earlier run left it)."""
    _execute(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE", f"CREATE SCHEMA {schema}")


def drop_schema(url: str, schema: str) -> None:
    """Leave the shared database as we found it."""
    _execute(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
