"""The app's error pages: every 4xx/5xx in the user's language, in the app's layout, never a bare English page."""
from __future__ import annotations

from flask import Flask, current_app, render_template, session
from flask_babel import force_locale
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

#: the codes with their own page; any other HTTP error is shown with its code and the generic message
CODES = (400, 403, 404, 405, 409, 413, 429, 500)


def own_message(error) -> str | None:
    """The message a view or hook gave with abort(code, description=…); None for Werkzeug's English default."""
    if not isinstance(error, HTTPException):
        return None
    description = error.description
    return description if description and description != type(error).description else None


def _render(error, code: int):
    return render_template("errors.html", code=code, message=own_message(error)), code


def _server_error(error):
    """A real 500: roll the failed transaction back first, so the page (user, bell, language) can be read."""
    db.session.rollback()
    try:
        return _render(error, 500)
    except Exception:  # noqa: BLE001 — the database itself is gone: a page without the layout still speaks the language
        current_app.logger.exception("The error page could not be rendered with the layout")
        db.session.rollback()
        with force_locale(session.get("lang") if session.get("lang") in current_app.config["LANGUAGES"] else "vi"):
            return render_template("errors_plain.html", code=500), 500


def init_app(app: Flask) -> None:
    """Register the error pages."""
    for code in CODES:
        if code != 500:
            app.register_error_handler(code, lambda error, code=code: _render(error, code))
    app.register_error_handler(InternalServerError, _server_error)
