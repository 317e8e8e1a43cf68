"""Đôn Đốc: the application factory."""
import os
from pathlib import Path

from flask import Flask

from . import config as config_module

TEMPLATE_FOLDER = Path(__file__).resolve().parent.parent / "templates"
BLUEPRINTS = ("auth", "main", "plans", "assignments", "admin", "account", "notifications", "plan_import", "indicators",
              "reports")


def create_app(config: dict | None = None) -> Flask:
    """Create the app from environment settings, overridden by `config` (tests)."""
    app = Flask(__name__, template_folder=str(TEMPLATE_FOLDER), instance_path=str(config_module.INSTANCE_PATH))
    app.config.update(config_module.from_environment())
    app.config["QUERY_STATS"] = os.environ.get("DONDOC_QUERY_STATS") == "1"
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from . import i18n
    from .extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def _load_user(user_id: str):
        from models import User

        return db.session.get(User, int(user_id))

    import importlib

    from . import errors, request_input

    request_input.init_app(app)  # before the blueprints: their `<int:…>` routes use the bounded converter
    for name in BLUEPRINTS:
        module = importlib.import_module(f"tracker.views.{name}")
        app.register_blueprint(module.bp)

    from . import cli, templating

    cli.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    if app.config.get("QUERY_STATS"):
        _register_query_stats(app)
    return app


def freeze_heap_after_first_request(app: Flask) -> None:
    """Move the long-lived heap out of the garbage collector's reach once the first request has warmed it.

    The app's objects (models, compiled templates, catalogs, SQL caches) never become garbage, yet every
    full collection walks them: about 80 ms every few dozen requests on the plan tree, which is what the
    p95 latency measured. Frozen, a full collection costs a few milliseconds.
    """
    import gc

    state = {"frozen": False}

    @app.after_request
    def _freeze(response):
        if not state["frozen"]:
            state["frozen"] = True
            gc.collect()
            gc.freeze()
        return response


def _register_query_stats(app: Flask) -> None:
    """Benchmark aid: X-Query-Count and X-Server-Time-ms headers on every response."""
    import time

    from flask import g
    from sqlalchemy import event

    from .extensions import db

    def count(*_args):
        if hasattr(g, "query_count"):
            g.query_count += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)

    @app.before_request
    def _start():
        g.query_count = 0
        g.started = time.perf_counter()

    @app.after_request
    def _headers(response):
        response.headers["X-Query-Count"] = str(getattr(g, "query_count", 0))
        response.headers["X-Server-Time-ms"] = f"{(time.perf_counter() - g.started) * 1000:.2f}"
        return response

