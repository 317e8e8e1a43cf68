"""Dashboard figures: status counts grouped by plan, group and unit, each in one query."""
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import Activity, Assignment, Plan, Task, TaskGroup, Unit, db
from tracker import clock
from tracker.domain.status import Rollup, Status
from tracker.services.status import stale_units_query, status_expr


def _scoped(query, unit_ids: set[int] | None, plan_ids: list[int] | None = None):
    if unit_ids is not None:
        query = query.where(Assignment.unit_id.in_(unit_ids))
    if plan_ids:
        query = query.where(Assignment.plan_id.in_(plan_ids))
    return query


def status_counts(today: date, unit_ids: set[int] | None = None, plan_ids: list[int] | None = None):
    """Rollup of every assignment in scope."""
    status = status_expr(today)
    rows = db.session.execute(_scoped(select(status, func.count(Assignment.id)), unit_ids, plan_ids)
                              .group_by(status)).all()
    return Rollup({Status(s): n for s, n in rows})


def counts_by(key_column, today: date, unit_ids=None, plan_ids=None, joins=()) -> dict:
    """{key: Rollup} grouped by key_column (e.g. TaskGroup.id, Assignment.unit_id)."""
    status = status_expr(today)
    query = select(key_column, status, func.count(Assignment.id))
    for join in joins:
        query = query.join(*join) if isinstance(join, tuple) else query.join(join)
    query = _scoped(query, unit_ids, plan_ids).group_by(key_column, status)
    grouped: dict = {}
    for key, s, n in db.session.execute(query).all():
        grouped.setdefault(key, {})[Status(s)] = n
    return {key: Rollup(counts) for key, counts in grouped.items()}


def by_group(today: date, plan_ids=None, unit_ids=None) -> list[tuple[TaskGroup, object]]:
    """Completion per task group (across the chosen plans)."""
    rollups = counts_by(TaskGroup.id, today, unit_ids, plan_ids,
                        joins=((Activity, Assignment.activity_id == Activity.id), (Task, Activity.task_id == Task.id),
                               (TaskGroup, Task.group_id == TaskGroup.id)))
    groups = db.session.scalars(select(TaskGroup).where(TaskGroup.id.in_(rollups)).options(
        joinedload(TaskGroup.plan)).order_by(TaskGroup.plan_id, TaskGroup.position)).all()
    return [(g, rollups[g.id]) for g in groups]


def by_unit(today: date, plan_ids=None, unit_ids=None) -> list[tuple[Unit, object]]:
    """Completion per unit, most overdue first."""
    rollups = counts_by(Assignment.unit_id, today, unit_ids, plan_ids)
    units = db.session.scalars(select(Unit).where(Unit.id.in_(rollups))).all()
    pairs = [(u, rollups[u.id]) for u in units]
    pairs.sort(key=lambda pair: (-pair[1].overdue, pair[1].completion_rate, pair[0].sort_order))
    return pairs


def by_plan(today: date, unit_ids=None) -> dict[int, object]:
    """{plan_id: Rollup}."""
    return counts_by(Assignment.plan_id, today, unit_ids)


def assignment_list_query(today: date, unit_ids=None, plan_ids=None, status: str | None = None,
                          due_within: int | None = None):
    """Assignments in scope with what list pages show, eagerly loaded, soonest due first."""
    query = (select(Assignment)
             .options(joinedload(Assignment.unit), joinedload(Assignment.activity).joinedload(Activity.plan))
             .order_by(Assignment.due_in_force, Assignment.id))
    query = _scoped(query, unit_ids, plan_ids)
    if status:
        query = query.where(status_expr(today) == status)
    if due_within is not None:
        query = query.where(Assignment.state.in_(("open", "returned")),
                            Assignment.due_in_force.between(today, today + timedelta(days=due_within)))
    return query


def stale_units(today: date, days: int, unit_ids=None, plan_ids=None) -> list[tuple[Unit, int, date | None]]:
    """Units that owe work and touched none of it in `days` days (tracker.services.status.stale_units_query):
    (unit, owed count, day of the last update or None)."""
    rows = db.session.execute(_scoped(stale_units_query(today, days), unit_ids, plan_ids)).all()
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_([r.unit_id for r in rows])))}
    return sorted(((units[r.unit_id], r.owed, r.last_update and clock.local_date(r.last_update)) for r in rows),
                  key=lambda t: t[0].sort_order)


def plans_for_year(year: int | None = None) -> list[Plan]:
    """Plans and directives, newest year first."""
    query = select(Plan).order_by(Plan.year.desc(), Plan.kind, Plan.code)
    if year:
        query = query.where(Plan.year == year)
    return list(db.session.scalars(query))


def plans_of_issuers(plans: list[Plan], issuer_ids: list[int]) -> list[Plan]:
    """The plans issued by one of these units (a province office sees its own province's plans first)."""
    wanted = set(issuer_ids)
    return [plan for plan in plans if plan.issuer_unit_id in wanted]
