"""The display status in SQL and on loaded rows, beside the pure rule (tracker.domain.status), and which
units have gone quiet.

`status_expr` is the same rule as `compute_status`, as a SQL CASE so dashboards count by status in one GROUP
BY; a test keeps the two equal for every combination. The deadline in force is `Assignment.due_in_force`, one
hybrid property for Python and SQL.
"""
from datetime import date, timedelta

from sqlalchemy import Boolean, case, cast, func, literal, select

from models import Assignment
from tracker import clock
from tracker.domain import status as st


def status_expr(today: date):
    """SQL CASE computing the display status, the same rule as tracker.domain.status.compute_status."""
    judged_due = func.coalesce(Assignment.due_at_completion, Assignment.due_in_force)
    return case(
        (Assignment.state == st.CONFIRMED,
         case((Assignment.completed_on <= judged_due, literal(st.Status.DONE_ON_TIME.value)),
              else_=literal(st.Status.DONE_LATE.value))),
        (Assignment.state == st.SUBMITTED, literal(st.Status.AWAITING.value)),
        (Assignment.state == st.RETURNED, literal(st.Status.RETURNED.value)),
        (Assignment.due_in_force < today, literal(st.Status.OVERDUE.value)),
        (cast(Assignment.started, Boolean).is_(True), literal(st.Status.IN_PROGRESS.value)),
        else_=literal(st.Status.NOT_STARTED.value),
    )


def status_of(assignment: Assignment, today: date) -> st.Status:
    """Display status of one loaded assignment."""
    return st.compute_status(
        assignment.state, assignment.due_at_completion or assignment.due_in_force, today,
        assignment.completed_on, assignment.started)


#: workflow states in which a unit still owes the work (submitted work waits for the office, not the unit)
OWING_STATES = ("open", "returned")


def stale_units_query(day: date, days: int):
    """SQL rows (unit_id, owed, last_update, since) of each unit that owes work and touched none of it in the
    `days` days up to Vietnam's `day`.

    The one rule behind the dashboard, the digest and the report. A touch is a progress update, else the day
    the work was assigned (a plan loaded today makes no unit stale); `last_update` is None when the unit never
    reported; `since` is its last touch. Callers narrow it with .where() on plans or units.
    """
    touched = func.coalesce(Assignment.last_update_at, Assignment.created_at)
    since = func.max(touched)
    return (select(Assignment.unit_id, func.count(Assignment.id).label("owed"),
                   func.max(Assignment.last_update_at).label("last_update"), since.label("since"))
            .where(Assignment.state.in_(OWING_STATES))
            .group_by(Assignment.unit_id)
            .having(since < clock.start_of_day(day - timedelta(days=days - 1))))
