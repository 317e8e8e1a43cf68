"""Who may do what: capabilities per role, and the unit scope of unit users."""
from functools import wraps

from flask import abort, g, has_request_context
from flask_login import current_user, login_required
from sqlalchemy import select

from models import Unit, db

#: capability → roles holding it. One table so the permission test can walk it.
CAPABILITIES: dict[str, frozenset[str]] = {
    "view_all": frozenset({"admin", "office", "leader"}),
    "view_unit": frozenset({"unit_officer", "unit_head"}),
    "manage_plans": frozenset({"admin", "office"}),
    "review": frozenset({"admin", "office"}),
    "update_assignment": frozenset({"unit_officer", "unit_head"}),
    "request_extension": frozenset({"unit_officer", "unit_head"}),
    "manage_units": frozenset({"admin"}),
    #: a province's letterhead, place, number pattern and signer (what its documents print)
    "manage_issuing_body": frozenset({"admin"}),
    "manage_users": frozenset({"admin"}),
    "view_audit": frozenset({"admin", "office"}),
    "office_dashboard": frozenset({"admin", "office", "leader"}),
    "manage_reports": frozenset({"admin", "office"}),
    "manage_indicators": frozenset({"admin", "office"}),
    "manage_frameworks": frozenset({"admin"}),
    "enter_ratio_figures": frozenset({"admin", "office", "unit_officer", "unit_head"}),
    "manage_reminders": frozenset({"admin", "office"}),
}


def can(user, capability: str) -> bool:
    """Whether the user's role holds the capability."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in CAPABILITIES[capability]


def require(capability: str):
    """View decorator: log in first, then 403 without the capability."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(current_user, capability):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_any(*capabilities: str):
    """View decorator: log in first, then 403 unless the role holds one of the capabilities."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(can(current_user, capability) for capability in capabilities):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


#: readers of plans, indicators and reports: everyone who sees all units, and unit users (scope checked later)
viewer_required = require_any("view_all", "view_unit")


def descendant_ids(root_id: int, parent_pairs) -> set[int]:
    """The root and every unit below it, from (id, parent_id) pairs."""
    children: dict[int | None, list[int]] = {}
    for unit_id, parent_id in parent_pairs:
        children.setdefault(parent_id, []).append(unit_id)
    found, stack = set(), [root_id]
    while stack:
        unit_id = stack.pop()
        if unit_id in found:
            continue
        found.add(unit_id)
        stack.extend(children.get(unit_id, ()))
    return found


def unit_parent_pairs() -> list[tuple[int, int | None]]:
    """(id, parent_id) of every unit, read once per request: permission checks and scopes all need it."""
    if has_request_context() and "unit_parent_pairs" in g:
        return g.unit_parent_pairs
    pairs = [(row[0], row[1]) for row in db.session.execute(select(Unit.id, Unit.parent_id))]
    if has_request_context():
        g.unit_parent_pairs = pairs
    return pairs


def ancestor_ids(unit_id: int) -> list[int]:
    """The unit and every unit above it, nearest first."""
    parents = dict(unit_parent_pairs())
    chain: list[int] = []
    while unit_id is not None and unit_id not in chain:
        chain.append(unit_id)
        unit_id = parents.get(unit_id)
    return chain


def unit_scope(user) -> set[int] | None:
    """Unit ids the user may see; None means every unit."""
    if can(user, "view_all"):
        return None
    return descendant_ids(user.unit_id, unit_parent_pairs())


def can_see_unit(user, unit_id: int) -> bool:
    """Whether the unit is within the user's scope."""
    scope = unit_scope(user)
    return scope is None or unit_id in scope


def can_update_assignment(user, assignment) -> bool:
    """Unit users update what their unit (or a unit below it) owes."""
    return can(user, "update_assignment") and can_see_unit(user, assignment.unit_id)
