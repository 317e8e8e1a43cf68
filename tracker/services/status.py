"""The display status in SQL and on loaded rows, beside the pure rule (tracker.domain.status).

`status_expr` is the same rule as `compute_status`, as a SQL CASE so dashboards count by status in one GROUP
BY; a test keeps the two equal for every combination. The deadline in force is `Assignment.due_in_force`, one
hybrid property for Python and SQL.
"""
from datetime import date

from sqlalchemy import Boolean, case, cast, func, literal

from models import Assignment
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
