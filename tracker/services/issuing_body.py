"""The issuing body of a province as data: letterhead lines, place, document-number pattern, default signer.

A province is a root of the unit tree. Its row may set each item; an item left empty is derived from the root's
name ("UBND tỉnh X" → "UBND TỈNH X", "ỦY BAN NHÂN DÂN TỈNH X", place "X"), which is what reports printed before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import Unit, db
from tracker.domain.textnorm import clean
from tracker.permissions import can
from tracker.services import audit
from tracker.services.errors import PermissionDenied
from tracker.services.unit_of_work import check_version

#: the spellings of "People's Committee" a root's name may start with
_COMMITTEE_PREFIX = re.compile(r"^(UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+", re.IGNORECASE)
_LEVEL_PREFIX = re.compile(r"^(tỉnh|thành phố)\s+", re.IGNORECASE)
DEFAULT_NUMBER_PATTERN = "{number}/BC-UBND"
#: the editable items and their labels, in form order
FIELD_LABELS = {
    "letterhead_parent": _l("Dòng cơ quan chủ quản"), "letterhead_issuer": _l("Tên cơ quan ban hành"),
    "place_name": _l("Địa danh"), "number_pattern": _l("Mẫu số, ký hiệu văn bản"),
    "signer_title": _l("Chức vụ người ký"), "signer_name": _l("Họ tên người ký"),
}
FIELDS = tuple(FIELD_LABELS)
LIMITS = {"letterhead_parent": 255, "letterhead_issuer": 255, "place_name": 120, "number_pattern": 80,
          "signer_title": 120, "signer_name": 120}


class IssuingBodyError(ValueError):
    """Invalid issuing-body data; `field` names the form field, the message is for the user."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


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


def _conflict(unit: Unit):
    return _l("Đơn vị %(code)s vừa được người khác sửa. Thay đổi của bạn chưa được lưu; hãy tải lại trang rồi "
              "nhập lại.", code=unit.code)


def update_issuing_body(actor, unit: Unit, values: dict, expected_version: int | str | None = None) -> dict:
    """Set a province's letterhead lines, place, number pattern and default signer; returns the audited changes.

    An empty item other than the place falls back to what the unit's name gives; the place may not be empty.
    `expected_version` is the version the form was opened at (None: not checked)."""
    if actor is not None and not can(actor, "manage_issuing_body"):
        raise PermissionDenied(_l("Chỉ quản trị hệ thống sửa được tiêu đề văn bản của tỉnh"))
    conflict = _conflict(unit)
    check_version(unit, expected_version, conflict)
    if unit.parent_id is not None:
        raise IssuingBodyError("place_name", _l("Đơn vị %(code)s không phải tỉnh (đơn vị cấp cao nhất)",
                                                code=unit.code))
    data: dict[str, str | None] = {}
    for field in FIELDS:
        text = (values.get(field) or "").replace("\r\n", "\n").strip()
        # the issuer may span two lines ("ỦY BAN NHÂN DÂN" / "TỈNH X"); the others are one line
        text = "\n".join(clean(line) for line in text.split("\n") if line.strip()) if field == "letterhead_issuer" \
            else clean(text)
        if len(text) > LIMITS[field]:
            raise IssuingBodyError(field, _l("%(field)s: tối đa %(n)s ký tự", field=FIELD_LABELS[field],
                                             n=LIMITS[field]))
        data[field] = text or None
    if not data["place_name"]:
        raise IssuingBodyError("place_name", _l("%(field)s: không được để trống (ví dụ tên tỉnh, viết trước "
                                                "«, ngày … tháng … năm …»)", field=FIELD_LABELS["place_name"]))
    if data["number_pattern"] and "{number}" not in data["number_pattern"]:
        raise IssuingBodyError("number_pattern", _l("%(field)s: phải có «{number}» ở chỗ của số văn bản, ví dụ "
                                                    "{number}/BC-UBND", field=FIELD_LABELS["number_pattern"]))
    return audit.apply(actor, unit, data, "audit.unit.issuing_body", {"unit": f"{unit.code} · {unit.name}"},
                       action="update", conflict=conflict)
