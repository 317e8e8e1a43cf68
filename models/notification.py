"""Reminders and notifications: the outbox, the office's policy, days off, delivery attempts, scan records."""
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import TimestampMixin, UTCDateTime, db, utcnow
from .user import User


class ReminderPolicy(TimestampMixin, db.Model):
    """The office's reminder policy; a single row (id 1), created with the defaults when first read."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: remind this many days before the due date, e.g. [7, 3, 1]
    days_before: Mapped[list] = mapped_column(JSON, default=lambda: [7, 3, 1])
    #: remind on the due date itself
    on_due_day: Mapped[bool] = mapped_column(Boolean, default=True)
    #: while overdue, remind every N days (0 = never)
    overdue_every: Mapped[int] = mapped_column(Integer, default=3)
    #: tell the unit's head once overdue this many days (0 = never)
    escalate_head_after: Mapped[int] = mapped_column(Integer, default=3)
    #: tell the office once overdue this many days (0 = never)
    escalate_office_after: Mapped[int] = mapped_column(Integer, default=7)
    #: count working days (weekends, public holidays and office days off skipped) instead of calendar days
    working_days: Mapped[bool] = mapped_column(Boolean, default=False)
    #: an open assignment untouched this many days flags its unit to the office
    stale_after_days: Mapped[int] = mapped_column(Integer, default=30)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<ReminderPolicy {self.days_before} every {self.overdue_every}>"


class DayOverride(db.Model):
    """A day the government moved: an announced day off ("off") or a make-up working day ("work")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    #: "off" (nghỉ bù, nghỉ thêm) or "work" (làm bù)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<DayOverride {self.day} {self.kind}>"


class Notification(db.Model):
    """One outbox row: shown in the app at once, emailed by a worker; unique per recipient, day, kind, ref."""

    __table_args__ = (UniqueConstraint("user_id", "day", "kind", "ref", name="recipient_day_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: the scan day of a digest, or the local day of an event
    day: Mapped[date] = mapped_column(Date, index=True)
    #: "digest", or the event: assignment_created, completion_submitted, completion_confirmed, completion_returned,
    #: extension_requested, extension_approved, extension_refused
    kind: Mapped[str] = mapped_column(String(30))
    #: what makes an event unique within the day ("" for a digest), e.g. "pu:123" (a progress update)
    ref: Mapped[str] = mapped_column(String(60), default="")
    #: subject and plain-text body in Vietnamese as written at the time; shown for rows older than `message`
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    #: message key (tracker.messages: `notify.<kind>` + ".subject"/".body"), rendered in the reader's language
    message: Mapped[str] = mapped_column(String(60), default="", server_default="")
    #: the message's arguments
    args: Mapped[dict] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    #: path inside the app the notification points to
    link: Mapped[str] = mapped_column(String(300), default="")
    #: structured content for the templates: sections of linked items
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: none (no email wanted), wait (bundled into the next digest), pending, sending, sent, failed (gave up after
    #: the retries; the office sees it and may resend), bundled (went out inside a digest)
    email_state: Mapped[str] = mapped_column(String(10), default="none", index=True)
    email_to: Mapped[str] = mapped_column(String(255), default="")
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: when a worker may (re)try; a claim older than the lease is taken back
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the digest that carried this event by email, for users who chose digests
    bundled_into_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.kind} u{self.user_id} {self.day}>"


class DeliveryAttempt(db.Model):
    """Each try at emailing a notification, for the office's failed-delivery page."""

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")


class ReminderScan(db.Model):
    """One daily scan: started, finished, what it wrote. A day without a finished row is caught up."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: running, done
    status: Mapped[str] = mapped_column(String(10), default="running")
    runs: Mapped[int] = mapped_column(Integer, default=1)
    digests: Mapped[int] = mapped_column(Integer, default=0)
    assignments_seen: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float | None] = mapped_column(Float)

    def __repr__(self) -> str:
        return f"<ReminderScan {self.day} {self.status}>"


class UnitFlag(db.Model):
    """A unit reported to the office for leaving an open assignment untouched (at most weekly)."""

    __table_args__ = (UniqueConstraint("unit_id", "day", name="unit_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    stale_count: Mapped[int] = mapped_column(Integer, default=0)
    oldest_touch: Mapped[datetime | None] = mapped_column(UTCDateTime)
