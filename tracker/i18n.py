"""Locale selection and the Vietnamese formatting filters used by templates."""
from datetime import UTC, date, datetime

from flask import current_app, has_request_context, session
from flask_babel import format_decimal, format_percent, to_user_timezone
from flask_login import current_user

from tracker import messages


def select_locale() -> str:
    """The user's saved choice, then the session's, then Vietnamese (the CLI and the worker: no request)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app) -> None:
    """Register template filters and the renderers of stored messages; dates are dd/mm/yyyy in every language."""
    app.jinja_env.globals.update(
        notification_subject=lambda n: messages.notification_text(n, "subject"),
        notification_body=lambda n: messages.notification_text(n, "body"),
        digest_headline=messages.digest_headline, section_title=messages.section_title,
        item_label=messages.item_label, item_timing=messages.item_timing, message=messages.render,
        rank_change_label=messages.rank_change_label, report_title=messages.report_title)

    @app.template_filter("d")
    def _date(value):
        if value is None or value == "":
            return ""
        if isinstance(value, datetime):
            # SQLite hands back naive datetimes; every stored datetime is UTC
            value = to_user_timezone(value if value.tzinfo else value.replace(tzinfo=UTC))
            return value.strftime("%d/%m/%Y %H:%M")
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        return str(value)

    @app.template_filter("num")
    def _number(value, places: int = 2):
        if value is None or value == "":
            return ""
        pattern = "#,##0" + ("." + "0" * places if places else "")
        return format_decimal(value, format=pattern)

    @app.template_filter("pct")
    def _percent(value, places: int = 1):
        if value is None:
            return ""
        return format_percent(float(value) / 100, format="#,##0" + ("." + "0" * places if places else "") + "%")
