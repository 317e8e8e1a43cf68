"""The issuing body of a province as data: letterhead lines, place, document-number pattern, default signer.

A province is a root of the unit tree. Its row may set each item; an item left empty is derived from the root's
name ("UBND tỉnh X" → "UBND TỈNH X", "ỦY BAN NHÂN DÂN TỈNH X", place "X"), which is what reports printed before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from models import Unit, db

#: the spellings of "People's Committee" a root's name may start with
_COMMITTEE_PREFIX = re.compile(r"^(UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+", re.IGNORECASE)
_LEVEL_PREFIX = re.compile(r"^(tỉnh|thành phố)\s+", re.IGNORECASE)
DEFAULT_NUMBER_PATTERN = "{number}/BC-UBND"
#: the editable items, in form order
FIELDS = ("letterhead_parent", "letterhead_issuer", "place_name", "number_pattern", "signer_title", "signer_name")


@dataclass(frozen=True)
class IssuingBody:
    """What a province's documents print above and below their text."""

    code: str
    #: the committee's name as stored ("UBND tỉnh X")
    name: str
    #: the line above an issuer below the committee: "UBND TỈNH X"
    parent_line: str
    #: the committee as issuer: "ỦY BAN NHÂN DÂN\nTỈNH X"
    issuer: str
    #: written before ", ngày …": "X"
    place: str
    #: the committee's document number, "{number}" standing for the number ("…" until it is known)
    number_pattern: str
    signer_title: str
    signer_name: str

    def number(self, number: str = "…") -> str:
        """The committee's number and symbol: "…/BC-UBND"."""
        return self.number_pattern.replace("{number}", number)


def _level_and_place(name: str) -> tuple[str, str]:
    """("tỉnh X", "X") from "UBND tỉnh X"; a name without a level prefix is its own place."""
    rest = _COMMITTEE_PREFIX.sub("", name.strip())
    return rest, _LEVEL_PREFIX.sub("", rest)


def issuing_body(root: Unit | None) -> IssuingBody:
    """The issuing body of a province (a root unit); a neutral one when there is no unit at all."""
    name = root.name if root is not None else "Ủy ban nhân dân tỉnh"
    level_place, place = _level_and_place(name)
    derived_issuer = f"ỦY BAN NHÂN DÂN\n{level_place.upper()}"
    derived_parent = f"UBND {level_place.upper()}"

    def own(field: str) -> str:
        return ((getattr(root, field, None) or "") if root is not None else "").strip()

    return IssuingBody(
        code=root.code if root is not None else "", name=name,
        parent_line=own("letterhead_parent") or derived_parent,
        issuer=own("letterhead_issuer") or derived_issuer,
        place=own("place_name") or place,
        number_pattern=own("number_pattern") or DEFAULT_NUMBER_PATTERN,
        signer_title=own("signer_title"), signer_name=own("signer_name"))


def roots() -> list[Unit]:
    """The provinces: units without a parent, in display order."""
    return list(db.session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.sort_order, Unit.id)))


def root_of(unit: Unit) -> Unit:
    """The province a unit belongs to (the top of its parent chain)."""
    seen = set()
    while unit.parent is not None and unit.id not in seen:
        seen.add(unit.id)
        unit = unit.parent
    return unit
