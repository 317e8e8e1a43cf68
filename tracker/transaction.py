"""The one place a request, a job or a command ends its unit of work: commit, or roll everything back.

Services flush and raise (tracker.services.unit_of_work); whoever called them owns the transaction and uses
`committed()` instead of writing commit/rollback pairs by hand.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm.exc import StaleDataError

from models import db
from tracker.services.errors import CONFLICT_MESSAGE, ConflictError


@contextmanager
def committed(conflict_message=CONFLICT_MESSAGE) -> Iterator[None]:
    """Commit what the block did. On any exception roll it all back and re-raise; a concurrent writer that
    won at commit time becomes a ConflictError with `conflict_message`."""
    try:
        yield
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise ConflictError(conflict_message) from error
    except BaseException:
        db.session.rollback()
        raise
