"""Audit entries: every change, who, when, before and after."""
from datetime import date, datetime
from decimal import Decimal

from models import AuditEntry, db


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def diff(obj, values: dict) -> dict:
    """The {field: [before, after]} of values that differ from obj's attributes."""
    return {
        field: [_plain(getattr(obj, field)), _plain(new)]
        for field, new in values.items()
        if getattr(obj, field) != new
    }


def record(user, action: str, entity, summary: str = "", changes: dict | None = None) -> AuditEntry:
    """Add an audit entry for entity (flushed with the caller's unit of work)."""
    # current_user is a proxy; record the object behind it
    entity = entity._get_current_object() if hasattr(entity, "_get_current_object") else entity
    entry = AuditEntry(
        user_id=getattr(user, "id", None),
        action=action,
        entity_type=type(entity).__name__ if not isinstance(entity, str) else entity,
        entity_id=getattr(entity, "id", None),
        summary=summary[:500],
        changes={k: [_plain(v[0]), _plain(v[1])] for k, v in (changes or {}).items()},
    )
    db.session.add(entry)
    return entry


def apply(user, obj, values: dict, action: str = "update", summary: str = "") -> dict:
    """Set values on obj and audit what changed; returns the changes."""
    changes = diff(obj, values)
    for field, value in values.items():
        setattr(obj, field, value)
    if changes:
        db.session.flush()
        record(user, action, obj, summary, changes)
    return changes
