"""Event notifications and the in-app list.

Units hear of new assignments, of the office's review of their work and of its extension decisions; the
office of the issuing province hears of every completion report and extension request awaiting its decision.

Rows go to the outbox in the caller's transaction. Emails for users who chose "immediate" are enqueued once
that transaction commits (a session hook), so a worker never looks for a row that is not there yet; if
Redis is down the row simply waits for the cron process's periodic sweep.
"""
from datetime import date

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from models import Assignment, ExtensionRequest, Notification, Plan, ProgressUpdate, User, db, utcnow
from tracker import clock
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


def _row(user_row, day: date, kind: str, ref: str, subject: str, body: str, link: str) -> dict:
    user_id, _unit_id, email, enabled, digest = user_row
    return {"user_id": user_id, "day": day, "kind": kind, "ref": ref, "subject": subject[:300], "body": body,
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
        count = counts[user_row[1]]
        subject = f"Được giao {count} việc theo {plan.title}"
        body = (f"{plan.doc_type} số {plan.doc_number}: đơn vị được giao {count} việc (chủ trì hoặc phối hợp). "
                "Xem và cập nhật tiến độ trong Đôn Đốc.")
        rows.append(_row(user_row, day, "assignment_created", f"plan:{plan_id}", subject, body, "/my"))
    return _write(rows)


def notify_review(update_row: ProgressUpdate) -> int:
    """Tell the unit that the office confirmed its completion, or sent it back with the reason."""
    assignment = db.session.get(Assignment, update_row.assignment_id)
    confirmed = update_row.action == "confirm"
    label = f"{assignment.activity.number} {assignment.activity.content[:100]}".strip()
    if assignment.period_label:
        label += f" — {assignment.period_label}"
    if confirmed:
        subject, kind = f"Đã xác nhận hoàn thành: {label}", "completion_confirmed"
        body = f"Văn phòng UBND tỉnh đã xác nhận hoàn thành việc «{label}»."
    else:
        subject, kind = f"Trả lại kết quả: {label}", "completion_returned"
        body = f"Văn phòng UBND tỉnh trả lại việc «{label}». Lý do: {update_row.note}"
    link = f"/assignments/{assignment.id}"
    rows = [_row(u, clock.today(), kind, f"pu:{update_row.id}", subject, body, link)
            for u in _unit_users({assignment.unit_id})]
    return _write(rows)


def _sentence(text: str) -> str:
    """The user's text as a sentence, so what follows it does not run on."""
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."


def completion_submitted_text(unit: str, label: str, completed_on: date, due: date, evidence_number: str,
                              evidence_date: date | None, files: int, note: str) -> tuple[str, str]:
    """Subject and body telling the office that a unit reported its work done."""
    subject = f"{unit} báo hoàn thành: {label}"
    parts = [f"{unit} báo cáo hoàn thành việc «{label}» ngày {completed_on:%d/%m/%Y} (hạn {due:%d/%m/%Y})."]
    if evidence_number or evidence_date:
        document = f"Văn bản {evidence_number}".strip()
        parts.append(f"{document} ngày {evidence_date:%d/%m/%Y}." if evidence_date else f"{document}.")
    if files:
        parts.append(f"{files} tệp minh chứng.")
    if note:
        parts.append(f"Ghi chú: {_sentence(note)}")
    parts.append("Chờ Văn phòng xác nhận hoặc trả lại.")
    return subject, " ".join(parts)


def notify_completion_submitted(update_row: ProgressUpdate, files: int) -> int:
    """Tell the office of the issuing province that a unit reported its work done (awaiting confirmation)."""
    assignment = db.session.get(Assignment, update_row.assignment_id)
    subject, body = completion_submitted_text(
        assignment.unit.name, _work_label(assignment), assignment.completed_on, assignment.due_at_completion,
        update_row.evidence_number, update_row.evidence_date, files, update_row.note)
    rows = [_row(u, clock.today(), "completion_submitted", f"pu:{update_row.id}", subject, body,
                 f"/assignments/{assignment.id}#review")
            for u in _office_users(assignment.activity.plan.issuer_unit_id)]
    return _write(rows)


def extension_requested_text(unit: str, label: str, current_due: date, requested_due: date,
                             reason: str) -> tuple[str, str]:
    """Subject and body telling the office that a unit asks for a later deadline."""
    subject = f"{unit} xin gia hạn đến {requested_due:%d/%m/%Y}: {label}"
    body = (f"{unit} đề nghị gia hạn việc «{label}» từ {current_due:%d/%m/%Y} đến {requested_due:%d/%m/%Y}. "
            f"Lý do: {_sentence(reason)} Chờ Văn phòng quyết định.")
    return subject, body


def notify_extension_requested(request: ExtensionRequest) -> int:
    """Tell the office of the issuing province that a unit asks for an extension (awaiting its decision)."""
    assignment = request.assignment
    subject, body = extension_requested_text(assignment.unit.name, _work_label(assignment), request.current_due,
                                             request.requested_due, request.reason)
    rows = [_row(u, clock.today(), "extension_requested", f"ext:{request.id}", subject, body,
                 f"/assignments/{assignment.id}#extensions")
            for u in _office_users(assignment.activity.plan.issuer_unit_id)]
    return _write(rows)


def notify_extension_decided(request: ExtensionRequest) -> int:
    """Tell the unit (and the requester) whether its extension was granted."""
    assignment = request.assignment
    approved = request.state == "approved"
    label = f"{assignment.activity.number} {assignment.activity.content[:100]}".strip()
    if approved:
        kind = "extension_approved"
        subject = f"Đồng ý gia hạn đến {request.requested_due:%d/%m/%Y}: {label}"
        body = f"Việc «{label}» được gia hạn đến {request.requested_due:%d/%m/%Y}. {request.decision_note}".strip()
    else:
        kind = "extension_refused"
        subject = f"Không đồng ý gia hạn: {label}"
        body = (f"Đề nghị gia hạn việc «{label}» không được chấp thuận; hạn vẫn là "
                f"{request.current_due:%d/%m/%Y}. {request.decision_note}").strip()
    recipients = {u[0]: u for u in _unit_users({assignment.unit_id})}
    if request.requested_by_id and request.requested_by_id not in recipients:
        requester = db.session.execute(select(User.id, User.unit_id, User.email, User.email_enabled, User.digest)
                                       .where(User.id == request.requested_by_id)).first()
        if requester:
            recipients[requester[0]] = requester
    rows = [_row(u, clock.today(), kind, f"ext:{request.id}", subject, body, f"/assignments/{assignment.id}")
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
