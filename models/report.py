"""Generated reports: a report's settings and narrative, its versions (each a generation) and stored files."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import TimestampMixin, UTCDateTime, db, utcnow
from .unit import Unit
from .user import User

REPORT_STATES = ("queued", "running", "done", "failed")


class Report(TimestampMixin, db.Model):
    """A year-end report or a results notice, as the office set it up; generating it makes a ReportVersion."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "year" (báo cáo tổng kết) or "notice" (thông báo kết quả chỉ số)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(300))
    #: {"year", "plan_codes", "unit_code", "framework", "period", "as_of"} or {"framework", "period"}
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the office's text: {"intro": …, "plan_assessment": …, "number": …, "signer_name": …}
    narrative: Mapped[dict] = mapped_column(JSON, default=dict)
    #: ["pdf", "docx", "xlsx"]
    formats: Mapped[list] = mapped_column(JSON, default=list)
    #: the unit a unit report is about (None: the whole province); decides who may see it
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    unit: Mapped[Unit | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    versions: Mapped[list["ReportVersion"]] = relationship(
        back_populates="report", order_by="ReportVersion.number.desc()", cascade="all, delete-orphan")

    @property
    def latest(self) -> "ReportVersion | None":
        """The newest version (versions are loaded newest first)."""
        return self.versions[0] if self.versions else None

    def __repr__(self) -> str:
        return f"<Report {self.id} {self.kind}>"


class ReportVersion(db.Model):
    """One generation of a report, with the settings, text and content it was made from."""

    __table_args__ = (UniqueConstraint("report_id", "number", name="report_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    #: 1, 2, … regenerating makes a new number and never touches the older files
    number: Mapped[int] = mapped_column(Integer)
    #: queued, running, done, failed
    state: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    #: why it failed (Vietnamese)
    error: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[str | None] = mapped_column(String(64))
    #: copies of the report's settings, narrative and formats at the time of the request
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    narrative: Mapped[dict] = mapped_column(JSON, default=dict)
    formats: Mapped[list] = mapped_column(JSON, default=list)
    #: the document the files were rendered from (tracker.reports.document.to_json)
    content: Mapped[dict | None] = mapped_column(JSON)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    report: Mapped[Report] = relationship(back_populates="versions")
    requested_by: Mapped[User | None] = relationship()
    files: Mapped[list["ReportFile"]] = relationship(
        back_populates="version", order_by="ReportFile.format", cascade="all, delete-orphan")

    def file(self, fmt: str) -> "ReportFile | None":
        """The stored file of a format, if generated."""
        return next((f for f in self.files if f.format == fmt), None)

    def __repr__(self) -> str:
        return f"<ReportVersion r{self.report_id} v{self.number} {self.state}>"


class ReportFile(db.Model):
    """A generated file on disk, with its hash so a download can be checked unchanged."""

    __table_args__ = (UniqueConstraint("version_id", "format", name="version_format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_version.id", ondelete="CASCADE"), index=True)
    #: pdf, docx, xlsx
    format: Mapped[str] = mapped_column(String(10))
    #: absolute path under REPORT_FOLDER, written by the job (never from user input)
    stored_path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[ReportVersion] = relationship(back_populates="files")

    def __repr__(self) -> str:
        return f"<ReportFile {self.format} of v{self.version_id}>"
