"""Đôn Đốc: the application factory."""
from pathlib import Path

from flask import Flask, render_template

from . import config as config_module

TEMPLATE_FOLDER = Path(__file__).resolve().parent.parent / "templates"
BLUEPRINTS = ("auth", "main", "plans", "assignments", "admin", "account")


def create_app(config: dict | None = None) -> Flask:
    """Create the app from environment settings, overridden by `config` (tests)."""
    app = Flask(__name__, template_folder=str(TEMPLATE_FOLDER), instance_path=str(config_module.INSTANCE_PATH))
    app.config.update(config_module.from_environment())
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

    for name in BLUEPRINTS:
        module = importlib.import_module(f"tracker.views.{name}")
        app.register_blueprint(module.bp)

    from . import cli, templating

    cli.init_app(app)
    templating.init_app(app)
    _register_error_handlers(app)
    return app


def _register_error_handlers(app: Flask) -> None:
    for code in (400, 403, 404, 409, 413, 429, 500):
        app.register_error_handler(code, lambda error, code=code: (
            render_template("errors.html", code=code, error=error), code))
