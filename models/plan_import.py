"""A plan upload waiting in preview: the original file, what was read from it, and its warnings."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import TimestampMixin, UTCDateTime, db
from .plan import Plan
from .user import User

PLAN_IMPORT_STATES = ("draft", "committed", "discarded")


class PlanImport(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the file name as uploaded ("QD-210-phu-luc.docx")
    filename: Mapped[str] = mapped_column(String(255))
    #: where the original is kept, relative to UPLOAD_FOLDER
    stored_path: Mapped[str] = mapped_column(String(255))
    #: "docx" or "xlsx"
    file_kind: Mapped[str] = mapped_column(String(10))
    #: "table" or "list" (a numbered list with deadlines inside the text)
    layout: Mapped[str] = mapped_column(String(10), default="table")
    #: the plan mapping as read and corrected (schema of tracker/data/plans/*.yaml, dates as ISO strings)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    #: [{"row", "number", "level", "message"}] for the current data
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    #: the reader's own warnings (cells it could not place…), kept when the rest is recomputed after corrections
    read_warnings: Mapped[list] = mapped_column(JSON, default=list)
    #: one of PLAN_IMPORT_STATES
    state: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    created_by: Mapped[User | None] = relationship()
    plan: Mapped[Plan | None] = relationship()
    __mapper_args__ = {"version_id_col": version}

    @property
    def error_count(self) -> int:
        """Warnings that block confirming."""
        return sum(1 for w in self.warnings or [] if w.get("level") == "error")

    def __repr__(self) -> str:
        return f"<PlanImport {self.id} {self.filename} {self.state}>"
