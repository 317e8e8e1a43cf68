"""Template globals: permissions, status labels, pagination links."""
from flask import request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from tracker.domain.status import Status, status_label
from tracker.permissions import can
from tracker.services.accounts import ROLE_LABELS
from tracker.services.status import status_of


def init_app(app) -> None:
    """Expose helpers every template uses."""

    # globals rather than a context processor, so imported macros see them too
    app.jinja_env.globals.update({
        "can": lambda capability: can(current_user, capability),
        "status_label": lambda s: _(status_label(Status(s))) if s else "",
        "STATUSES": list(Status),
        "status_of": status_of,
        "current_locale": lambda: str(get_locale() or "vi"),
        "ROLE_LABELS": ROLE_LABELS,
    })

    @app.template_global()
    def page_url(page: int, param: str = "page") -> str:
        """This page's URL with one query argument changed (pagination keeps filters)."""
        args = request.args.to_dict(flat=False)
        args[param] = [str(page)]
        return url_for(request.endpoint, **(request.view_args or {}), **args)
