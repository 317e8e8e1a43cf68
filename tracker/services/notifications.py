"""Event notifications and the in-app list.

Units hear of new assignments, of the office's review of their work and of its extension decisions; the
office of the issuing province hears of every submitted completion and extension request awaiting its decision.

Rows go to the outbox in the caller's transaction. Emails for users who chose "immediate" are enqueued once
that transaction commits (a session hook), so a worker never looks for a row that is not there yet; if
Redis is down the row simply waits for the cron process's periodic sweep.
"""
from datetime import date

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from models import Assignment, ExtensionRequest, Notification, Plan, ProgressUpdate, User, db, utcnow
from tracker import clock, messages
from tracker.permissions import descendant_ids, unit_parent_pairs
from tracker.services.reminders import insert_ignore

_PENDING_KEY = "dondoc_immediate_mail"


def _unit_users(unit_ids: set[int], roles=("unit_officer", "unit_head")) -> list[tuple]:
    if not unit_ids:
        return []
    return db.session.execute(
        select(User.id, User.unit_id, User.email, User.email_enabled, User.digest)
        .where(User.unit_id.in_(unit_ids), User.role.in_(roles), User.active.is_(True))).all()


def _email_state(email: str | None, enabled: bool, digest: bool) -> str:
    if not (enabled and email):
        return "none"
    return "wait" if digest else "pending"


def _write(rows: list[dict]) -> int:
    """Insert event rows (idempotent per recipient, day, kind, ref); immediate emails go out after commit."""
    insert_ignore(Notification, rows, ["user_id", "day", "kind", "ref"])
    immediate = [(r["user_id"], r["day"], r["kind"], r["ref"]) for r in rows if r["email_state"] == "pending"]
    if immediate:
        db.session.info.setdefault(_PENDING_KEY, []).extend(immediate)
    return len(rows)


def _row(user_row, day: date, kind: str, ref: str, args: dict, link: str) -> dict:
    """An outbox row of `kind`: its subject and body are the messages `notify.<kind>.subject`/`.body` with args,
    rendered in each reader's language; the Vietnamese rendering is stored too (see tracker/messages.py)."""
    user_id, _unit_id, email, enabled, digest = user_row
    message = f"notify.{kind}"
    subject, body = (messages.render_in("vi", f"{message}.{part}", args).strip() for part in ("subject", "body"))
    return {"user_id": user_id, "day": day, "kind": kind, "ref": ref, "subject": subject[:300], "body": body,
            "message": message, "args": args,
            "link": link, "payload": {}, "created_at": utcnow(), "email_state": _email_state(email, enabled, digest),
            "email_to": email or "", "email_attempts": 0, "next_attempt_at": utcnow(), "last_error": ""}


def _office_users(issuer_unit_id: int | None) -> list[tuple]:
    """Active office users of the issuing province (every office user when the plan names no issuer)."""
    query = select(User.id, User.unit_id, User.email, User.email_enabled, User.digest).where(
        User.role == "office", User.active.is_(True))
    if issuer_unit_id is not None:
        query = query.where(User.unit_id.in_(descendant_ids(issuer_unit_id, unit_parent_pairs())))
    return db.session.execute(query.order_by(User.id)).all()


def _work_label(assignment: Assignment) -> str:
    content = assignment.activity.content
    if len(content) > 100:  # cut between words, and say so
        content = content[:100].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    label = f"{assignment.activity.number} {content}".strip()
    if assignment.period_label:
        label += f" — {assignment.period_label}"
    return label


def notify_assignments_created(plan_id: int) -> int:
    """Tell each assigned unit's officers and head what a newly loaded plan asks of them (one row per user)."""
    plan = db.session.get(Plan, plan_id)
    counts = dict(db.session.execute(select(Assignment.unit_id, func.count(Assignment.id))
                                     .where(Assignment.plan_id == plan_id).group_by(Assignment.unit_id)).all())
    day = clock.today()
    rows = []
    for user_row in _unit_users(set(counts)):
        args = {"count": counts[user_row[1]], "plan": plan.title, "document": f"{plan.doc_type} {plan.doc_number}"}
        rows.append(_row(user_row, day, "assignment_created", f"plan:{plan_id}", args, "/my"))
    return _write(rows)


def notify_review(update_row: ProgressUpdate) -> int:
    """Tell the unit that the office confirmed its completion, or sent it back with the reason."""
    assignment = db.session.get(Assignment, update_row.assignment_id)
    confirmed = update_row.action == "confirm"
    label = f"{assignment.activity.number} {assignment.activity.content[:100]}".strip()
    if assignment.period_label:
        label += f" — {assignment.period_label}"
    kind = "completion_confirmed" if confirmed else "completion_returned"
    args = {"label": label, "reason": update_row.note or ""}
    link = f"/assignments/{assignment.id}"
    rows = [_row(u, clock.today(), kind, f"pu:{update_row.id}", args, link)
            for u in _unit_users({assignment.unit_id})]
    return _write(rows)


def _sentence(text: str) -> str:
    """The user's text as a sentence, so what follows it does not run on."""
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."


def completion_submitted_args(unit: str, label: str, completed_on: date, due: date, evidence_number: str,
                              evidence_date: date | None, files: int, note: str) -> dict:
    """Arguments of the message telling the office that a unit submitted its work as done (optional parts nested)."""
    evidence = ""
    if evidence_number or evidence_date:
        evidence = (messages.ref("notify.part.document_dated", number=evidence_number, day=evidence_date.isoformat())
                    if evidence_date else messages.ref("notify.part.document", number=evidence_number))
    return {"unit": unit, "label": label, "day": completed_on.isoformat(), "due": due.isoformat(),
            "evidence": evidence, "files": messages.ref("notify.part.files", num=files) if files else "",
            "note": messages.ref("notify.part.note", note=_sentence(note)) if note else ""}


def notify_completion_submitted(update_row: ProgressUpdate, files: int) -> int:
    """Tell the office of the issuing province that a unit submitted its work as done (awaiting confirmation)."""
    assignment = db.session.get(Assignment, update_row.assignment_id)
    args = completion_submitted_args(
        assignment.unit.name, _work_label(assignment), assignment.completed_on, assignment.due_at_completion,
        update_row.evidence_number, update_row.evidence_date, files, update_row.note)
    rows = [_row(u, clock.today(), "completion_submitted", f"pu:{update_row.id}", args,
                 f"/assignments/{assignment.id}#review")
            for u in _office_users(assignment.activity.plan.issuer_unit_id)]
    return _write(rows)


def extension_requested_args(unit: str, label: str, current_due: date, requested_due: date, reason: str) -> dict:
    """Arguments of the message telling the office that a unit asks for a later deadline."""
    return {"unit": unit, "label": label, "current_due": current_due.isoformat(),
            "requested_due": requested_due.isoformat(), "reason": _sentence(reason)}


def notify_extension_requested(extension: ExtensionRequest) -> int:
    """Tell the office of the issuing province that a unit asks for an extension (awaiting its decision)."""
    assignment = extension.assignment
    args = extension_requested_args(assignment.unit.name, _work_label(assignment), extension.current_due,
                                    extension.requested_due, extension.reason)
    rows = [_row(u, clock.today(), "extension_requested", f"ext:{extension.id}", args,
                 f"/assignments/{assignment.id}#extensions")
            for u in _office_users(assignment.activity.plan.issuer_unit_id)]
    return _write(rows)


def notify_extension_decided(extension: ExtensionRequest) -> int:
    """Tell the unit (and the requester) whether its extension was granted."""
    assignment = extension.assignment
    approved = extension.state == "approved"
    label = f"{assignment.activity.number} {assignment.activity.content[:100]}".strip()
    kind = "extension_approved" if approved else "extension_refused"
    args = {"label": label, "note": extension.decision_note or "",
            "due": (extension.requested_due if approved else extension.current_due).isoformat()}
    recipients = {u[0]: u for u in _unit_users({assignment.unit_id})}
    if extension.requested_by_id and extension.requested_by_id not in recipients:
        requester = db.session.execute(select(User.id, User.unit_id, User.email, User.email_enabled, User.digest)
                                       .where(User.id == extension.requested_by_id)).first()
        if requester:
            recipients[requester[0]] = requester
    rows = [_row(u, clock.today(), kind, f"ext:{extension.id}", args, f"/assignments/{assignment.id}")
            for u in recipients.values()]
    return _write(rows)


@event.listens_for(Session, "after_commit")
def _enqueue_immediate_mail(session: Session) -> None:
    keys = session.info.pop(_PENDING_KEY, None)
    if not keys:
        return
    from flask import has_app_context

    if not has_app_context():
        return
    from tracker.jobs_queue import enqueue

    # ids are looked up by the job itself: the keys are what we know here without another query
    enqueue("jobs.reminders.deliver_events", [list(map(str, key)) for key in keys])


@event.listens_for(Session, "after_rollback")
def _forget_immediate_mail(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


# --- the in-app list -----------------------------------------------------------------------------------------

def list_query(user):
    """The user's notifications, newest first."""
    return select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())


def unread_count(user) -> int:
    """How many of the user's notifications are unread (the bell)."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(user, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when no ids are given); returns how many changed."""
    statement = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(notification_ids))
    changed = db.session.execute(statement.values(read_at=utcnow())).rowcount
    db.session.flush()
    return changed
