"""Email delivery of outbox rows over SMTP (MAIL_* settings), with retries, backoff and a visible failure list.

Each row is claimed with a conditional UPDATE committed before the send (two workers never send the same
row) and marked sent right after. A claim carries a lease: a worker killed between the two is replaced by
the next sweep once the lease ends. Every message carries a Message-ID derived from the row, so the rare
resend after such a kill is recognisable as the same message.
"""
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import joinedload

from models import DeliveryAttempt, Notification, User, db, utcnow
from tracker import messages
from tracker.domain.reminders import retry_delay
from tracker.services import audit
from tracker.services.issuing_body import issuing_body, root_of

#: how long a claimed row stays with its worker before another sweep may take it back
CLAIM_LEASE = timedelta(minutes=10)
SMTP_TIMEOUT = 15


class PermanentMailError(Exception):
    """The server refused the message for good (5xx on the recipient or sender)."""


@dataclass
class DeliverySummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    next_attempt_at: datetime | None = None

    def line(self) -> str:
        """One Vietnamese line for the CLI and the logs."""
        return f"Đã gửi {self.sent} thư, {self.retrying} thư sẽ gửi lại, {self.failed} thư lỗi"


def _absolute(link: str) -> str:
    return current_app.config.get("BASE_URL", "").rstrip("/") + link if link.startswith("/") else link


def render_email(notification: Notification) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a notification, in the language the recipient chose."""
    template = "digest" if notification.kind == "digest" else "event"
    unit = notification.user.unit
    context = {"n": notification, "payload": notification.payload or {}, "absolute": _absolute,
               "user": notification.user,
               # the recipient's province signs the mail as its documents do (its letterhead, as data)
               "issuer": issuing_body(root_of(unit) if unit is not None else None)}
    with force_locale(notification.user.locale or "vi"):
        subject = messages.notification_text(notification, "subject")
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", **context)
    return subject, text, html


def build_message(notification: Notification) -> EmailMessage:
    """The MIME message (text and HTML alternatives) for one outbox row."""
    subject, text, html = render_email(notification)
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "dondoc@localhost"
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = formataddr((notification.user.full_name or "", notification.email_to))
    message["Date"] = format_datetime(utcnow())
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "localhost"
    message["Message-ID"] = f"<dondoc-{notification.id}-{notification.day:%Y%m%d}@{domain}>"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def open_smtp() -> smtplib.SMTP:
    """A connection to the configured SMTP server, logged in when credentials are set."""
    config = current_app.config
    connection = smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=SMTP_TIMEOUT)
    if config.get("MAIL_USE_TLS"):
        connection.starttls(context=ssl.create_default_context())
    if config.get("MAIL_USERNAME"):
        connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    return connection


def _send(connection: smtplib.SMTP, message: EmailMessage) -> None:
    try:
        refused = connection.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _msg in error.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            raise PermanentMailError(f"Máy chủ thư từ chối người nhận: {error.recipients}") from error
        raise
    except smtplib.SMTPSenderRefused as error:
        if error.smtp_code >= 500:
            raise PermanentMailError(f"Máy chủ thư từ chối người gửi ({error.smtp_code})") from error
        raise
    if refused:
        raise PermanentMailError(f"Máy chủ thư từ chối người nhận: {refused}")


def _ready(now: datetime):
    return or_(and_(Notification.email_state == "pending", Notification.next_attempt_at <= now),
               and_(Notification.email_state == "sending", Notification.next_attempt_at <= now))


def deliver_due(commit: Callable[[], None], now: datetime | None = None, limit: int = 500,
                ids: list[int] | None = None) -> DeliverySummary:
    """Send the outbox rows whose time has come; `commit` makes each claim and each outcome durable."""
    now = now or utcnow()
    summary = DeliverySummary()
    query = select(Notification.id).where(_ready(now)).order_by(Notification.id).limit(limit)
    if ids:
        query = query.where(Notification.id.in_(ids))
    candidates = db.session.scalars(query).all()
    connection: smtplib.SMTP | None = None
    try:
        for notification_id in candidates:
            claimed = db.session.execute(
                update(Notification).where(Notification.id == notification_id, _ready(now))
                .values(email_state="sending", next_attempt_at=now + CLAIM_LEASE)
                .execution_options(synchronize_session=False)).rowcount
            commit()
            if not claimed:  # another worker took it
                continue
            # the message names its recipient: load the user with the row (the commit above expired both)
            notification = db.session.get(Notification, notification_id, populate_existing=True,
                                          options=[joinedload(Notification.user)])
            try:
                message = build_message(notification)
                if connection is None:
                    connection = open_smtp()
                _send(connection, message)
            except PermanentMailError as error:
                _record_failure(notification, str(error), permanent=True, summary=summary)
            except (smtplib.SMTPException, OSError) as error:
                _record_failure(notification, f"{type(error).__name__}: {error}", permanent=False, summary=summary)
                commit()
                if connection is not None:
                    _close(connection)
                    connection = None
                # (SMTPException is an OSError too: only a dead server, not a refused message, stops the round)
                if isinstance(error, (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)) or not isinstance(
                        error, smtplib.SMTPException):
                    break  # the server is down: the others keep their turn instead of burning a try each
                continue
            else:
                notification.email_state = "sent"
                notification.sent_at = utcnow()
                notification.last_error = ""
                db.session.add(DeliveryAttempt(notification_id=notification.id, ok=True))
                summary.sent += 1
            commit()
    finally:
        if connection is not None:
            _close(connection)
    summary.next_attempt_at = next_attempt()
    return summary


def _close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def _record_failure(notification: Notification, error: str, permanent: bool, summary: DeliverySummary) -> None:
    notification.email_attempts += 1
    delay = None if permanent else retry_delay(notification.email_attempts)
    notification.last_error = error[:2000]
    if delay is None:
        notification.email_state = "failed"
        notification.next_attempt_at = None
        summary.failed += 1
    else:
        notification.email_state = "pending"
        notification.next_attempt_at = utcnow() + timedelta(seconds=delay)
        summary.retrying += 1
    db.session.add(DeliveryAttempt(notification_id=notification.id, ok=False, error=error[:2000]))


def next_attempt() -> datetime | None:
    """When the earliest waiting email may be tried again."""
    return db.session.scalar(select(func.min(Notification.next_attempt_at))
                             .where(Notification.email_state.in_(("pending", "sending"))))


def failed_query():
    """Outbox rows whose email gave up, newest first, with their recipient (office page)."""
    return (select(Notification).options(joinedload(Notification.user).joinedload(User.unit))
            .where(Notification.email_state == "failed").order_by(Notification.id.desc()))


def _retrying():
    # a failed try puts the row back to "pending" with its attempt counted; a first try has none counted
    return and_(Notification.email_state.in_(("pending", "sending")), Notification.email_attempts > 0)


def retrying_query():
    """Emails whose last try failed and which wait for their next one, soonest first, with the reason."""
    return (select(Notification).options(joinedload(Notification.user).joinedload(User.unit))
            .where(_retrying()).order_by(Notification.next_attempt_at, Notification.id))


def delivery_counts() -> dict[str, int]:
    """Emails by what the office needs to know: sent, waiting for a first try, failed and waiting for a retry,
    failed for good (office page)."""
    retrying = case((_retrying(), "retrying"), else_=Notification.email_state)
    counts = dict(db.session.execute(select(retrying, func.count(Notification.id)).group_by(retrying)).all())
    return {"sent": counts.get("sent", 0), "waiting": counts.get("pending", 0) + counts.get("sending", 0),
            "retrying": counts.get("retrying", 0), "failed": counts.get("failed", 0)}


def resend(user, notification: Notification) -> None:
    """Office: put a failed email back in the queue with a fresh set of retries."""
    audit.apply(user, notification, {"email_state": "pending", "email_attempts": 0, "next_attempt_at": utcnow()},
                "audit.notification.resend", {"email": notification.email_to}, action="resend")
    db.session.flush()
