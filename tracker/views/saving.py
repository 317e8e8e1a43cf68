"""How a view saves: `with saving():` around the service calls of one request.

Commits on success; rolls back on any error; a PermissionDenied from a service becomes the 403 page (it is
a WorkflowError too, so views catching WorkflowError for a 400 or 409 would otherwise show it as a message).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import abort

from tracker.services.errors import CONFLICT_MESSAGE, PermissionDenied
from tracker.transaction import committed


@contextmanager
def saving(conflict_message=CONFLICT_MESSAGE) -> Iterator[None]:
    try:
        with committed(conflict_message):
            yield
    except PermissionDenied:
        abort(403)
