"""The unit tree: loading from data files, listing, resolving names and collectives."""
import re
from datetime import date
from pathlib import Path

import yaml
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from models import Unit, UnitKind, db
from tracker import clock
from tracker.domain.assignees import UnitInfo
from tracker.domain.formatting import fmt_date
from tracker.domain.textnorm import clean, fold, vn_sort_key
from tracker.permissions import can, descendant_ids
from tracker.services import audit
from tracker.services.errors import PermissionDenied
from tracker.services.unit_of_work import check_version, flush_or_conflict

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "units"


def search_text(name: str, aliases) -> str:
    """Folded name and aliases, one string for LIKE search."""
    return " | ".join(fold(text) for text in [name, *(aliases or [])])


def load_units(data: dict, user=None) -> dict[str, int]:
    """Create or update unit kinds and units from a units file's mapping; returns counts."""
    kinds = {k.code: k for k in db.session.scalars(select(UnitKind))}
    for position, spec in enumerate(data.get("kinds", [])):
        kind = kinds.get(spec["code"])
        if kind is None:
            kind = UnitKind(code=spec["code"])
            db.session.add(kind)
            kinds[kind.code] = kind
        kind.name, kind.level, kind.sort_order = spec["name"], spec.get("level", 1), position
    db.session.flush()

    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    counts = {"created": 0, "updated": 0}

    def visit(spec: dict, parent: Unit | None, position: int) -> None:
        if spec["kind"] not in kinds:
            raise ValueError(f"Đơn vị {spec['code']}: loại đơn vị «{spec['kind']}» chưa được khai báo")
        aliases = [clean(a) for a in spec.get("aliases", []) or []]
        values = {
            "name": clean(spec["name"]),
            "aliases": aliases,
            "search_text": search_text(spec["name"], aliases),
            "kind_id": kinds[spec["kind"]].id,
            "parent_id": parent.id if parent else None,
            "valid_from": spec.get("valid_from"),
            "valid_to": spec.get("valid_to"),
            "sort_order": position,
            "email": spec.get("email"),
        }
        unit = existing.get(spec["code"])
        if unit is None:
            unit = Unit(code=spec["code"], **values)
            db.session.add(unit)
            db.session.flush()
            audit.record(user, "create", unit, "audit.unit.create", {"unit": unit.name})
            existing[unit.code] = unit
            counts["created"] += 1
        elif audit.apply(user, unit, values, "audit.unit.update", {"unit": unit.name}):
            counts["updated"] += 1
        for child_position, child in enumerate(spec.get("children", []) or []):
            visit(child, unit, child_position)

    for position, spec in enumerate(data.get("units", [])):
        visit(spec, None, position)
    # successors may point anywhere in the file, so link them once every unit exists
    _link_successors(data.get("units", []), existing)
    db.session.flush()
    return counts


def _link_successors(specs, by_code) -> None:
    for spec in specs:
        if spec.get("successor"):
            by_code[spec["code"]].successor_id = by_code[spec["successor"]].id
        _link_successors(spec.get("children", []) or [], by_code)


def load_units_file(path: Path | str, user=None) -> dict[str, int]:
    """Load a units YAML file (see tracker/data/units/)."""
    return load_units(yaml.safe_load(Path(path).read_text(encoding="utf-8")), user)


def unit_infos(on: date | None = None, until: date | None = None) -> list[UnitInfo]:
    """Every unit as the plain records the assignee resolver takes.

    A unit is active when it exists on `on` (today by default), or at any time from `on` to `until`
    when a period is given: a plan of 2023 still reaches the districts that ended in 2025.
    """
    on = on or clock.today()
    until = until or on
    rows = db.session.execute(
        select(Unit.id, Unit.code, Unit.name, UnitKind.code, Unit.aliases, Unit.valid_from, Unit.valid_to)
        .join(UnitKind, Unit.kind_id == UnitKind.id)
        .order_by(Unit.sort_order, Unit.id)
    ).all()
    return [
        UnitInfo(id=r[0], code=r[1], name=r[2], kind=r[3], aliases=tuple(r[4] or ()),
                 active=(r[5] is None or r[5] <= until) and (r[6] is None or on <= r[6]))
        for r in rows
    ]


def tree() -> list[tuple[Unit, int]]:
    """Units in tree order with their depth, siblings in the file's order then Vietnamese order."""
    units = list(db.session.scalars(select(Unit)))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[Unit, int]] = []

    def walk(parent_id, depth):
        for unit in sorted(children.get(parent_id, []), key=lambda u: (u.sort_order, vn_sort_key(u.name))):
            ordered.append((unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return ordered


def search(query: str):
    """Units whose name or alias contains the query, accent-insensitively."""
    needle = f"%{fold(query)}%"
    return db.session.scalars(select(Unit).where(Unit.search_text.like(needle)).order_by(Unit.sort_order)).all()


# ---- administration: creating, editing and ending units; unit kinds ----

UNIT_FIELD_LABELS = {
    "code": _l("Mã đơn vị"), "name": _l("Tên đơn vị"), "kind_id": _l("Loại đơn vị"), "parent_id": _l("Đơn vị cấp trên"),
    "aliases": _l("Tên gọi khác"), "valid_from": _l("Ngày bắt đầu"), "valid_to": _l("Ngày kết thúc"),
    "successor_id": _l("Đơn vị kế thừa"), "email": _l("Thư điện tử"),
}
KIND_FIELD_LABELS = {"code": _l("Mã loại"), "name": _l("Tên loại"), "level": _l("Cấp")}


class UnitError(ValueError):
    """Invalid unit or unit-kind data; `field` names the form field, the message is for the user."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _unit_conflict(unit: Unit):
    """What a stale unit form, or the loser of two simultaneous saves, is told."""
    return _l("Đơn vị %(code)s vừa được người khác sửa. Thay đổi của bạn chưa được lưu; hãy tải lại trang rồi "
              "nhập lại.", code=unit.code)


def _kind_conflict(kind: UnitKind):
    return _l("Loại đơn vị %(code)s vừa được người khác sửa. Thay đổi của bạn chưa được lưu; hãy tải lại trang "
              "rồi nhập lại.", code=kind.code)


def _require_manager(actor) -> None:
    # actor None is the system (CLI, seed); people need the capability
    if actor is not None and not can(actor, "manage_units"):
        raise PermissionDenied(_l("Bạn không có quyền quản lý đơn vị"))


def parse_aliases(text: str | None) -> list[str]:
    """One alias a line, cleaned, blanks and repeats dropped, order kept."""
    seen: dict[str, str] = {}
    for line in (text or "").splitlines():
        alias = clean(line)
        if alias and fold(alias) not in seen:
            seen[fold(alias)] = alias
    return list(seen.values())


_UNIT_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")


def _parent_pairs() -> list[tuple[int, int | None]]:
    return [(row[0], row[1]) for row in db.session.execute(select(Unit.id, Unit.parent_id))]


def _validate_unit(unit: Unit | None, values: dict) -> None:
    """Refuse duplicate codes, parent cycles, self-succession and inverted validity dates."""
    label = UNIT_FIELD_LABELS
    if not values["code"]:
        raise UnitError("code", _l("%(field)s: không được để trống", field=label["code"]))
    if not _UNIT_CODE.match(values["code"]):
        raise UnitError("code", _l("%(field)s: «%(code)s» chỉ được gồm chữ không dấu, số, «-», «.» hoặc «_» "
                                   "(tối đa 40 ký tự), ví dụ HG-STP", field=label["code"], code=values["code"]))
    if not values["name"]:
        raise UnitError("name", _l("%(field)s: không được để trống", field=label["name"]))
    clash = db.session.execute(
        select(Unit.id, Unit.name).where(func.upper(Unit.code) == values["code"].upper())).first()
    if clash and (unit is None or clash[0] != unit.id):
        raise UnitError("code", _l("%(field)s: mã «%(code)s» đã được dùng cho «%(unit)s»", field=label["code"],
                                   code=values["code"], unit=clash[1]))
    if db.session.get(UnitKind, values["kind_id"]) is None:
        raise UnitError("kind_id", _l("%(field)s: không có loại đơn vị này", field=label["kind_id"]))
    parent_id = values.get("parent_id")
    if parent_id is not None:
        if db.session.get(Unit, parent_id) is None:
            raise UnitError("parent_id", _l("%(field)s: không có đơn vị này", field=label["parent_id"]))
        if unit is not None and parent_id in descendant_ids(unit.id, _parent_pairs()):
            message = (_l("%(field)s: không thể là chính đơn vị này (tạo vòng lặp trong cây)",
                          field=label["parent_id"]) if parent_id == unit.id else
                       _l("%(field)s: không thể là một đơn vị trực thuộc đơn vị này (tạo vòng lặp trong cây)",
                          field=label["parent_id"]))
            raise UnitError("parent_id", message)
    valid_from, valid_to = values.get("valid_from"), values.get("valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        raise UnitError("valid_to", _l("%(field)s (%(day)s) không được trước ngày bắt đầu (%(start)s)",
                                       field=label["valid_to"], day=fmt_date(valid_to), start=fmt_date(valid_from)))


def _validate_successor(unit: Unit, successor_id: int | None) -> None:
    label = UNIT_FIELD_LABELS["successor_id"]
    if successor_id is None:
        return
    if successor_id == unit.id:
        raise UnitError("successor_id", _l("%(field)s: một đơn vị không thể kế thừa chính nó", field=label))
    successors = dict(db.session.execute(select(Unit.id, Unit.successor_id)).all())
    if successor_id not in successors:
        raise UnitError("successor_id", _l("%(field)s: không có đơn vị này", field=label))
    # follow the chain from the successor: reaching this unit again would make history loop
    seen, current = set(), successor_id
    while current is not None and current not in seen:
        if current == unit.id:
            raise UnitError("successor_id", _l("%(field)s: đơn vị được chọn đã (gián tiếp) được đơn vị này kế "
                                               "thừa — tạo vòng kế thừa", field=label))
        seen.add(current)
        current = successors.get(current)


def _unit_values(values: dict) -> dict:
    aliases = values.get("aliases") or []
    name = clean(values.get("name"))
    return {
        "code": clean(values.get("code")).upper(),
        "name": name,
        "kind_id": values.get("kind_id"),
        "parent_id": values.get("parent_id") or None,
        "aliases": aliases,
        "search_text": search_text(name, aliases),
        "valid_from": values.get("valid_from"),
        "email": (values.get("email") or "").strip() or None,
    }


def create_unit(actor, values: dict) -> Unit:
    """Create a unit (code, name, kind_id, parent_id, aliases, valid_from, email), placed after its siblings."""
    _require_manager(actor)
    data = _unit_values(values)
    _validate_unit(None, data)
    last = db.session.scalar(select(func.max(Unit.sort_order)).where(
        Unit.parent_id.is_(None) if data["parent_id"] is None else Unit.parent_id == data["parent_id"]))
    unit = Unit(**data, sort_order=(last or 0) + 1)
    db.session.add(unit)
    db.session.flush()
    audit.record(actor, "create", unit, "audit.unit.create", {"unit": f"{unit.code} · {unit.name}"},
                 {field: [None, value] for field, value in data.items() if value not in (None, "", [])
                  and field != "search_text"})
    return unit


def update_unit(actor, unit: Unit, values: dict, expected_version: int | str | None = None) -> dict:
    """Edit a unit's code, name, kind, parent, aliases, start date and email; returns the audited changes.

    `expected_version` is the version the form was opened at (None: not checked)."""
    _require_manager(actor)
    conflict = _unit_conflict(unit)
    check_version(unit, expected_version, conflict)
    data = _unit_values(values)
    _validate_unit(unit, {**data, "valid_to": unit.valid_to})
    # derived from name and aliases, so not worth an audit line of its own; set first, to go in the same UPDATE
    unit.search_text = data.pop("search_text")
    changes = audit.apply(actor, unit, data, "audit.unit.update", {"unit": f"{data['code']} · {data['name']}"},
                          conflict=conflict)
    flush_or_conflict(conflict)
    return changes


def end_unit(actor, unit: Unit, *, valid_to: date, successor_id: int | None = None,
             expected_version: int | str | None = None) -> dict:
    """End a unit on valid_to, naming its successor; the unit stays for history but is no longer active."""
    _require_manager(actor)
    conflict = _unit_conflict(unit)
    check_version(unit, expected_version, conflict)
    if valid_to is None:
        raise UnitError("valid_to", _l("%(field)s: không được để trống", field=UNIT_FIELD_LABELS["valid_to"]))
    if unit.valid_from and valid_to < unit.valid_from:
        raise UnitError("valid_to", _l("%(field)s (%(day)s) không được trước ngày bắt đầu (%(start)s)",
                                       field=UNIT_FIELD_LABELS["valid_to"], day=fmt_date(valid_to),
                                       start=fmt_date(unit.valid_from)))
    _validate_successor(unit, successor_id)
    successor = db.session.get(Unit, successor_id) if successor_id else None
    args = {"unit": f"{unit.code} · {unit.name}", "day": valid_to}
    if successor:
        args["successor"] = f"{successor.code} · {successor.name}"
    return audit.apply(actor, unit, {"valid_to": valid_to, "successor_id": successor_id},
                       "audit.unit.end_succeeded" if successor else "audit.unit.end", args, action="end",
                       conflict=conflict)


def reopen_unit(actor, unit: Unit) -> dict:
    """Undo an ending entered by mistake: clear the end date and successor."""
    _require_manager(actor)
    return audit.apply(actor, unit, {"valid_to": None, "successor_id": None}, "audit.unit.reopen",
                       {"unit": f"{unit.code} · {unit.name}"}, action="reopen", conflict=_unit_conflict(unit))


def active_children(unit: Unit, on: date) -> list[Unit]:
    """Units directly below `unit` still active on the day (to warn when their parent ends)."""
    children = db.session.scalars(select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.sort_order))
    return [child for child in children if child.is_active(on)]


def kinds_with_counts() -> list[tuple[UnitKind, int]]:
    """Every unit kind in display order with the number of units of that kind."""
    counts = dict(db.session.execute(select(Unit.kind_id, func.count(Unit.id)).group_by(Unit.kind_id)).all())
    kinds = db.session.scalars(select(UnitKind).order_by(UnitKind.sort_order, UnitKind.level, UnitKind.id))
    return [(kind, counts.get(kind.id, 0)) for kind in kinds]


_KIND_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def save_kind(actor, kind: UnitKind | None, *, code: str, name: str, level: int,
              expected_version: int | str | None = None) -> UnitKind:
    """Create or edit a unit kind; a kind's code is fixed once units use it (collective assignees name it).

    `expected_version` is the version the edit form was opened at (None: not checked)."""
    _require_manager(actor)
    if kind is not None:
        check_version(kind, expected_version, _kind_conflict(kind))
    code, name = (code or "").strip().lower(), clean(name)
    label = KIND_FIELD_LABELS
    if not _KIND_CODE.match(code):
        raise UnitError("code", _l("%(field)s: chỉ gồm chữ thường không dấu, số, «-» hoặc «_», bắt đầu bằng chữ "
                                   "(ví dụ: commune)", field=label["code"]))
    if not name:
        raise UnitError("name", _l("%(field)s: không được để trống", field=label["name"]))
    if level is None or not 0 <= level <= 9:
        raise UnitError("level", _l("%(field)s: phải là số từ 0 (cấp tỉnh) đến 9", field=label["level"]))
    clash = db.session.scalar(select(UnitKind.id).where(UnitKind.code == code))
    if clash and (kind is None or clash != kind.id):
        raise UnitError("code", _l("%(field)s: mã «%(code)s» đã có", field=label["code"], code=code))
    if kind is None:
        last = db.session.scalar(select(func.max(UnitKind.sort_order)))
        kind = UnitKind(code=code, name=name, level=level, sort_order=(last or 0) + 1)
        db.session.add(kind)
        db.session.flush()
        audit.record(actor, "create", kind, "audit.unit_kind.create", {"kind": f"{code} · {name}"},
                     {"code": [None, code], "name": [None, name], "level": [None, level]})
        return kind
    if code != kind.code and db.session.scalar(select(Unit.id).where(Unit.kind_id == kind.id).limit(1)):
        raise UnitError("code", _l("%(field)s: không đổi được mã «%(code)s» vì đã có đơn vị thuộc loại này (các cụm "
                                   "như «UBND cấp xã» tra theo mã)", field=label["code"], code=kind.code))
    audit.apply(actor, kind, {"code": code, "name": name, "level": level}, "audit.unit_kind.update",
                {"kind": f"{code} · {name}"}, conflict=_kind_conflict(kind))
    return kind
