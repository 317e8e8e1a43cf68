"""What a unit owes on an activity (one row per unit and period), its append-only history and evidence."""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, func, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import TimestampMixin, UTCDateTime, db, utcnow
from .plan import Activity
from .unit import Unit
from .user import User

RESPONSIBILITIES = ("lead", "coordinating")


class Assignment(TimestampMixin, db.Model):
    __table_args__ = (UniqueConstraint("activity_id", "unit_id", "period_label", name="activity_unit_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    #: "lead" (chủ trì) or "coordinating" (phối hợp); the column keeps its old name "role"
    responsibility: Mapped[str] = mapped_column("role", String(20), default="lead")
    #: "" for a one-off activity; "Quý II/2023", "Tháng 3/2023" for a periodic occurrence
    period_label: Mapped[str] = mapped_column(String(60), default="")
    period_start: Mapped[date | None] = mapped_column(Date)
    #: the original due date, never changed by extensions
    due_date: Mapped[date] = mapped_column(Date, index=True)
    #: the due date granted by the latest approved extension
    extended_due: Mapped[date | None] = mapped_column(Date)
    #: workflow state: open, submitted, confirmed, returned
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    percent: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    #: any update recorded yet (distinguishes "chưa thực hiện" from "đang thực hiện")
    started: Mapped[bool] = mapped_column(Boolean, default=False)
    #: day the unit declared the work done, and the due date in force that day
    completed_on: Mapped[date | None] = mapped_column(Date)
    due_at_completion: Mapped[date | None] = mapped_column(Date)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    last_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: optimistic lock: a stale form gets a conflict instead of overwriting
    version: Mapped[int] = mapped_column(Integer, default=1)

    activity: Mapped[Activity] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship()
    updates: Mapped[list["ProgressUpdate"]] = relationship(
        back_populates="assignment", order_by="ProgressUpdate.id", cascade="all, delete-orphan",
        passive_deletes=True,
    )
    __mapper_args__ = {"version_id_col": version}

    @hybrid_property
    def due_in_force(self) -> date:
        """The deadline the unit is held to today: the latest approved extension, else the original due date."""
        return self.extended_due or self.due_date

    @due_in_force.inplace.expression
    @classmethod
    def _due_in_force_expression(cls):
        # the same rule in SQL, for filters, ordering and the status CASE
        return func.coalesce(cls.extended_due, cls.due_date)

    def __repr__(self) -> str:
        return f"<Assignment a{self.activity_id} u{self.unit_id} {self.period_label!r}>"


class ProgressUpdate(db.Model):
    """Append-only history of an assignment: updates, submissions, reviews, extension decisions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: update, submit, confirm, return, reopen, extension_request, extension_approved, extension_refused
    action: Mapped[str] = mapped_column(String(30))
    state_before: Mapped[str] = mapped_column(String(20))
    state_after: Mapped[str] = mapped_column(String(20))
    percent: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    #: evidence as an issued document: number and date
    evidence_number: Mapped[str] = mapped_column(String(100), default="")
    evidence_date: Mapped[date | None] = mapped_column(Date)

    assignment: Mapped[Assignment] = relationship(back_populates="updates")
    user: Mapped[User | None] = relationship()
    attachments: Mapped[list["Attachment"]] = relationship(back_populates="update", order_by="Attachment.id")


class Attachment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    update_id: Mapped[int | None] = mapped_column(ForeignKey("progress_update.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    #: random name on disk; never derived from user input
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    update: Mapped[ProgressUpdate | None] = relationship(back_populates="attachments")


class ExtensionRequest(db.Model):
    # one pending request per assignment, decided by the database: a double-clicked request cannot make two
    __table_args__ = (Index("uq_extension_request_one_pending", "assignment_id", unique=True,
                            sqlite_where=text("state = 'pending'"), postgresql_where=text("state = 'pending'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    current_due: Mapped[date] = mapped_column(Date)
    requested_due: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    #: pending, approved, refused
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    #: optimistic lock: of simultaneous decisions the database lets one through, the others conflict
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    assignment: Mapped[Assignment] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    __mapper_args__ = {"version_id_col": version}


@event.listens_for(ProgressUpdate, "before_update")
def _history_is_append_only(_mapper, _connection, target):
    raise ValueError("Progress history is append-only")
