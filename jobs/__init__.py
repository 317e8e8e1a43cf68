"""Background jobs run by RQ workers. Jobs take plain ids, build their own app context, commit their own work."""
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, has_app_context

_app: Flask | None = None


def job_app() -> Flask:
    """The worker process's app, created once from the environment (DATABASE_URL, REDIS_URL, MAIL_*)."""
    global _app
    if _app is None:
        from tracker import create_app

        _app = create_app()
    return _app


@contextmanager
def app_context() -> Iterator[None]:
    """Run inside the caller's app context when there is one (tests, CLI), else the worker's own."""
    if has_app_context():
        yield
        return
    with job_app().app_context():
        yield
