"""The unit tree: kinds as data, any depth, validity dates and successors."""
from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker import clock

from .base import TimestampMixin, db


class UnitKind(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable code used by collective assignees ("department", "district", …)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: depth in the administrative hierarchy (0 = province)
    level: Mapped[int] = mapped_column(Integer, default=1)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    #: optimistic locking: the edit form posts the version it was opened at; SQLAlchemy refuses a stale UPDATE
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<UnitKind {self.code}>"


class Unit(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    #: accent-folded name and aliases, for "so tu phap" → "Sở Tư pháp"
    search_text: Mapped[str] = mapped_column(String(2000), default="")
    #: other spellings met in documents and tables
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    kind_id: Mapped[int] = mapped_column(ForeignKey("unit_kind.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    #: first and last day the unit exists; units end and merge (2025 reform)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    email: Mapped[str | None] = mapped_column(String(255))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    #: the issuing body of a province (set on root units; None: derived from the name, see
    #: tracker.services.issuing_body): letterhead lines, place before ", ngày …", number pattern, default signer
    letterhead_parent: Mapped[str | None] = mapped_column(String(255))
    letterhead_issuer: Mapped[str | None] = mapped_column(String(255))
    place_name: Mapped[str | None] = mapped_column(String(120))
    number_pattern: Mapped[str | None] = mapped_column(String(80))
    signer_title: Mapped[str | None] = mapped_column(String(120))
    signer_name: Mapped[str | None] = mapped_column(String(120))
    #: optimistic locking: the edit forms post the version they were opened at; SQLAlchemy refuses a stale UPDATE
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    kind: Mapped[UnitKind] = relationship(lazy="joined")
    parent: Mapped["Unit | None"] = relationship(remote_side=[id], foreign_keys=[parent_id])
    successor: Mapped["Unit | None"] = relationship(remote_side=[id], foreign_keys=[successor_id])

    def is_active(self, on: date | None = None) -> bool:
        """Whether the unit exists on the given day (today by default)."""
        on = on or clock.today()
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on <= self.valid_to)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"
