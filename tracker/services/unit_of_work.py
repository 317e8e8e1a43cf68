"""Optimistic locking and flushing for services, in one place.

Services never commit or roll back (docs/architecture.md): they flush, and a lost race or a stale form
becomes a ConflictError. The caller that owns the transaction (a view through tracker.transaction.committed,
a job, a CLI command) rolls everything back; nothing here undoes work the caller did before calling us.

Every record edited through a form carries an integer `version` column that SQLAlchemy also uses as its
version_id_col: the form posts the version it was opened at, check_version compares, and the UPDATE itself
carries the version, so of two simultaneous saves the database lets exactly one through.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from models import db
from tracker.services.errors import CONFLICT_MESSAGE, ConflictError, WorkflowError

#: what a form gets when its hidden version field was tampered with or lost
BAD_VERSION_MESSAGE = _l("Phiên bản dữ liệu không hợp lệ; hãy tải lại trang")


def check_version(obj, expected_version: int | str | None, message=CONFLICT_MESSAGE) -> None:
    """Refuse an edit made from a form opened before someone else's save (None: the caller did not say)."""
    if expected_version is None:
        return
    try:
        seen = int(expected_version)
    except (TypeError, ValueError):
        raise WorkflowError(BAD_VERSION_MESSAGE) from None
    if seen != obj.version:
        raise ConflictError(message)


def flush_or_conflict(message=CONFLICT_MESSAGE, *, duplicate_message=None) -> None:
    """Flush; a concurrent writer that won between our read and our write becomes a ConflictError.

    With `duplicate_message`, a unique index refusing the row (a double-click recorded first) does too. The
    session is left for the caller to roll back.
    """
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConflictError(message) from error
    except IntegrityError as error:
        if duplicate_message is None:
            raise
        raise ConflictError(duplicate_message) from error
