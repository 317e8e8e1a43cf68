"""Indicator frameworks (766 index, PAR Index) as versioned trees, periods, scores, imports and task links."""
import secrets
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import TimestampMixin, UTCDateTime, db, utcnow
from .plan import Activity
from .unit import Unit
from .user import User

PERIOD_KINDS = ("year", "half", "quarter", "month", "week", "snapshot")
IMPORT_STATES = ("draft", "done", "refused")
#: code of the node every framework gets for its total ("Tổng điểm"); no file node may use it
TOTAL_CODE = "TONG"

#: points with four decimals (PAR points are printed to 0.0001)
Points = Numeric(10, 4)
#: counts of files or procedures behind a ratio (b and a)
Count = Numeric(18, 4)


class Framework(TimestampMixin, db.Model):
    """A versioned scoring framework loaded from a reviewed data file; the file's text is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "766-2022", "766-2025", "par-2021", "par-2022"; a new year's version gets a new code
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    #: "766" or "par": frameworks of one kind compare across versions (by node code, by percent)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    valid_from: Mapped[int] = mapped_column(Integer)
    valid_to: Mapped[int | None] = mapped_column(Integer)
    max_total: Mapped[Decimal] = mapped_column(Points)
    #: "points" (766: bands on the total) or "percent" (PAR: bands on percent of max)
    band_basis: Mapped[str] = mapped_column(String(20))
    #: [{code, name, min}] best first, as in the file
    bands: Mapped[list] = mapped_column(JSON, default=list)
    #: the legal source named by the file
    source: Mapped[str] = mapped_column(Text, default="")
    #: the file it was loaded from and its full text, so what was loaded can be reviewed later
    source_filename: Mapped[str] = mapped_column(String(255), default="")
    source_text: Mapped[str] = mapped_column(Text, default="")
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    nodes: Mapped[list["FrameworkNode"]] = relationship(
        back_populates="framework", order_by="FrameworkNode.position", cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Framework {self.code}>"


class FrameworkNode(db.Model):
    """A group, criterion or sub-criterion; plus one total node per framework (code TONG, depth -1)."""

    __table_args__ = (UniqueConstraint("framework_id", "code", name="framework_node_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("framework_node.id", ondelete="CASCADE"), index=True)
    #: 0 for groups, 1 for criteria, …; -1 for the total node
    depth: Mapped[int] = mapped_column(Integer, default=0)
    #: pre-order position in the file (parents before children), for display order
    position: Mapped[int] = mapped_column(Integer, default=0)
    max_points: Mapped[Decimal] = mapped_column(Points)
    #: names of the units answerable, as written in the file (children inherit their domain's)
    responsible: Mapped[list] = mapped_column(JSON, default=list)
    target: Mapped[str | None] = mapped_column(Text)
    #: {"type": "ratio", "numerator": what b counts, "denominator": what a counts} or None
    formula: Mapped[dict | None] = mapped_column(JSON)
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    #: False when the children are alternatives, so their maxima need not add up
    children_sum: Mapped[bool] = mapped_column(Boolean, default=True)
    is_total: Mapped[bool] = mapped_column(Boolean, default=False)
    #: line in the source file, for messages
    line: Mapped[int] = mapped_column(Integer, default=0)

    framework: Mapped[Framework] = relationship(back_populates="nodes")
    parent: Mapped["FrameworkNode | None"] = relationship(remote_side=[id])

    @property
    def is_ratio(self) -> bool:
        """True when units may report b and a and the app computes the points."""
        return bool(self.formula) and self.formula.get("type") == "ratio"

    def __repr__(self) -> str:
        return f"<FrameworkNode {self.code}>"


class Period(db.Model):
    """A scoring period: a year, a half-year, a quarter, a month, an ISO week or a dated snapshot of the national
    portal (see tracker.domain.periods)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: one of PERIOD_KINDS
    kind: Mapped[str] = mapped_column(String(20))
    #: canonical label: "2024", "6 tháng đầu năm 2024", "Q2/2024", "Tháng 10/2025", "Tuần 27/2024",
    #: "11:00 08/07/2024" (at most 21 characters)
    label: Mapped[str] = mapped_column(String(40), unique=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    #: first and last day covered; sorting is by start (then end)
    start: Mapped[date] = mapped_column(Date, index=True)
    end: Mapped[date] = mapped_column(Date)
    #: the moment of a snapshot
    at: Mapped[datetime | None] = mapped_column(DateTime)
    #: random token replaced whenever a score of the period is written: computed results are cached under it
    revision: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(8))

    def __repr__(self) -> str:
        return f"<Period {self.label}>"


class ScoreImport(TimestampMixin, db.Model):
    """One upload of a results table: the original file, the column mapping, what happened."""

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    #: random name under UPLOAD_FOLDER/score_imports; never derived from user input
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sheet: Mapped[str | None] = mapped_column(String(100))
    #: unit names are matched at or below this unit (a province); None: among every unit
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    #: ColumnMapping.to_json(): detected, then as corrected by the user
    mapping_json: Mapped[str] = mapped_column(Text, default="{}")
    #: document number or description of the results ("Quyết định số 01/QĐ-UBND ngày 02/01/2025")
    source: Mapped[str] = mapped_column(String(500), default="")
    #: one of IMPORT_STATES
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    rows_saved: Mapped[int] = mapped_column(Integer, default=0)
    #: messages of the last check: [{"row": n, "level": "error"|"warning", "message": …}]
    messages: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    framework: Mapped[Framework] = relationship()
    period: Mapped[Period] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ScoreImport {self.id} {self.state}>"


class Score(TimestampMixin, db.Model):
    """A unit's result on one node for one period; on the total node it carries the published rank and band."""

    __table_args__ = (
        UniqueConstraint("unit_id", "node_id", "period_id", name="score_unit_node_period"),
        Index("ix_score_period_node", "period_id", "node_id"),
        Index("ix_score_framework_period", "framework_id", "period_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("framework_node.id", ondelete="CASCADE"), index=True)
    #: denormalised from the node so period-wide queries need no join
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"))
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"))
    #: the points that count (the official points when the source gives both)
    points: Mapped[Decimal | None] = mapped_column(Points)
    #: b / a × 100 for ratio indicators
    rate: Mapped[Decimal | None] = mapped_column(Points)
    numerator: Mapped[Decimal | None] = mapped_column(Count)
    denominator: Mapped[Decimal | None] = mapped_column(Count)
    self_points: Mapped[Decimal | None] = mapped_column(Points)
    official_points: Mapped[Decimal | None] = mapped_column(Points)
    note: Mapped[str] = mapped_column(Text, default="")
    #: document or file the figure comes from
    source: Mapped[str] = mapped_column(String(500), default="")
    import_id: Mapped[int | None] = mapped_column(ForeignKey("score_import.id", ondelete="SET NULL"), index=True)
    #: as printed by the source: rank, size of the field ranked in ("10/63" → 63), band, movement text
    published_rank: Mapped[int | None] = mapped_column(Integer)
    published_rank_of: Mapped[int | None] = mapped_column(Integer)
    published_band: Mapped[str | None] = mapped_column(String(60))
    published_change: Mapped[str | None] = mapped_column(String(100))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    unit: Mapped[Unit] = relationship()
    node: Mapped[FrameworkNode] = relationship()
    period: Mapped[Period] = relationship()

    def __repr__(self) -> str:
        return f"<Score u{self.unit_id} n{self.node_id} p{self.period_id} {self.points}>"


class ActivityIndicator(db.Model):
    """An activity (or directive task) meant to improve a framework node; many to many."""

    __table_args__ = (UniqueConstraint("activity_id", "node_id", name="activity_indicator_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("framework_node.id", ondelete="CASCADE"), index=True)
    #: why the link was made (shown to reviewers)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    activity: Mapped[Activity] = relationship()
    node: Mapped[FrameworkNode] = relationship()

    def __repr__(self) -> str:
        return f"<ActivityIndicator a{self.activity_id} n{self.node_id}>"
