"""Audit entries: every change, who, when, before and after; shown as sentences in the reader's language.

An entry stores a message key of tracker.messages (e.g. "audit.extension.approve") with its arguments, and
the {field: [before, after]} of what changed; `describe` renders both for the reader: a sentence with the
actor's name, field labels, user and unit names instead of ids, state labels, dates dd/mm/yyyy.
"""
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import AuditEntry, Unit, UnitKind, User, db
from tracker import clock, messages
from tracker.services.unit_of_work import flush_or_conflict

#: field → label of the audit page's change list
FIELD_LABELS = {
    "code": _l("Mã"), "name": _l("Tên"), "kind_id": _l("Loại đơn vị"), "parent_id": _l("Đơn vị cấp trên"),
    "aliases": _l("Tên gọi khác"), "valid_from": _l("Ngày bắt đầu"), "valid_to": _l("Ngày kết thúc"),
    "successor_id": _l("Đơn vị kế thừa"), "email": _l("Thư điện tử"), "full_name": _l("Họ và tên"),
    "role": _l("Vai trò"), "responsibility": _l("Vai trò"), "unit_id": _l("Đơn vị"), "active": _l("Đang hoạt động"),
    "locale": _l("Ngôn ngữ"), "email_enabled": _l("Nhận thư điện tử"), "digest": _l("Thư tổng hợp"), "level": _l("Cấp"),
    "username": _l("Tên đăng nhập"), "state": _l("Trạng thái"), "percent": _l("Tỷ lệ hoàn thành"),
    "note": _l("Ghi chú"), "due_date": _l("Hạn"), "title": _l("Tiêu đề"),
    "letterhead_parent": _l("Dòng cơ quan chủ quản"), "letterhead_issuer": _l("Tên cơ quan ban hành"),
    "place_name": _l("Địa danh"), "number_pattern": _l("Mẫu số, ký hiệu văn bản"),
    "signer_title": _l("Chức vụ người ký"), "signer_name": _l("Họ tên người ký"),
    "started": _l("Đã bắt đầu"), "last_update_at": _l("Cập nhật lần cuối"), "completed_on": _l("Ngày hoàn thành"),
    "due_at_completion": _l("Hạn khi hoàn thành"), "confirmed_at": _l("Thời điểm xác nhận"),
    "confirmed_by_id": _l("Người xác nhận"), "extended_due": _l("Hạn đã gia hạn"),
    "requested_due": _l("Hạn xin gia hạn"), "decided_by_id": _l("Người quyết định"),
    "decided_at": _l("Thời điểm quyết định"), "decision_note": _l("Ý kiến khi quyết định"),
    "number": _l("Số thứ tự"), "content": _l("Nội dung"), "product": _l("Sản phẩm"),
    "lead_text": _l("Cơ quan chủ trì"), "coordinating_text": _l("Cơ quan phối hợp"),
    "deadline_text": _l("Thời hạn (như văn bản ghi)"), "deadline_kind": _l("Loại thời hạn"),
    "targets": _l("Chỉ tiêu theo cấp"), "year": _l("Năm"), "kind": _l("Loại"), "doc_type": _l("Loại văn bản"),
    "doc_number": _l("Số văn bản"), "doc_date": _l("Ngày văn bản"), "issuer_unit_id": _l("Cơ quan ban hành"),
    "email_state": _l("Trạng thái thư"), "email_attempts": _l("Số lần gửi"),
    "next_attempt_at": _l("Lần gửi tiếp theo"), "numerator": _l("Tử số (b)"), "denominator": _l("Mẫu số (a)"),
    "rate": _l("Tỷ lệ"), "points": _l("Điểm"), "source": _l("Nguồn"), "reported_by_id": _l("Người báo cáo"),
    "import_id": _l("Lần nhập"), "max_total": _l("Điểm tối đa"), "band_basis": _l("Cách xếp loại"),
    "source_filename": _l("Tệp nguồn"), "loaded_by_id": _l("Người nạp"), "days_before": _l("Nhắc trước (ngày)"),
    "on_due_day": _l("Nhắc vào ngày đến hạn"), "overdue_every": _l("Nhắc khi quá hạn, mỗi (ngày)"),
    "escalate_head_after": _l("Báo lãnh đạo đơn vị sau (ngày quá hạn)"),
    "escalate_office_after": _l("Báo Văn phòng sau (ngày quá hạn)"), "working_days": _l("Tính theo ngày làm việc"),
    "stale_after_days": _l("Báo đơn vị không cập nhật sau (ngày)"), "updated_by_id": _l("Người sửa"),
    "indicators": _l("Chỉ tiêu liên kết"), "activities": _l("Hoạt động liên kết"),
    "position": _l("Vị trí"),
}
#: fields holding a unit id, shown as the unit's code and name
UNIT_REFERENCE_FIELDS = ("unit_id", "parent_id", "successor_id", "issuer_unit_id")
#: fields holding a user id, shown as the user's name
USER_REFERENCE_FIELDS = ("decided_by_id", "confirmed_by_id", "reported_by_id", "loaded_by_id", "updated_by_id",
                         "requested_by_id")
#: fields whose stored value is a code with a label in tracker.messages (prefix + value)
CODED_FIELDS = {"state": "state.", "email_state": "state.", "role": "role.", "responsibility": "responsibility.",
                "locale": "locale."}
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def diff(obj, values: dict) -> dict:
    """The {field: [before, after]} of values that differ from obj's attributes."""
    return {
        field: [_plain(getattr(obj, field)), _plain(new)]
        for field, new in values.items()
        if getattr(obj, field) != new
    }


def record(user, action: str, entity, message: str, args: dict | None = None,
           changes: dict | None = None) -> AuditEntry:
    """Add an audit entry for entity (flushed with the caller's unit of work).

    `message` is a key of tracker.messages.MESSAGES ("audit.<entity>.<verb>") and `args` its arguments
    (names and numbers as they are, dates as dates, labels as tracker.messages.ref(key)); the sentence
    is rendered for each reader. Its Vietnamese text is kept too, for reading the table directly.
    """
    # current_user is a proxy; record the object behind it
    entity = entity._get_current_object() if hasattr(entity, "_get_current_object") else entity
    args = {name: _plain(value) for name, value in (args or {}).items()}
    actor = (getattr(user, "full_name", None) or getattr(user, "username", None)) if user is not None else None
    entry = AuditEntry(
        user_id=getattr(user, "id", None),
        action=action,
        entity_type=type(entity).__name__ if not isinstance(entity, str) else entity,
        entity_id=getattr(entity, "id", None),
        message=message,
        args=args,
        summary=messages.render_in("vi", message, {**args, "actor": actor or messages.ref("system")},
                                   fallback=message)[:500],
        changes={k: [_plain(v[0]), _plain(v[1])] for k, v in (changes or {}).items()},
    )
    db.session.add(entry)
    return entry


def apply(user, obj, values: dict, message: str, args: dict | None = None, action: str = "update",
          conflict=None) -> dict:
    """Set values on obj and audit what changed (with the message key and arguments); returns the changes.

    The flush sends the UPDATE: on a versioned record, a writer that won since we read it makes it a
    ConflictError with the `conflict` message (without one, SQLAlchemy's StaleDataError is left to the caller).
    """
    changes = diff(obj, values)
    for field, value in values.items():
        setattr(obj, field, value)
    if changes:
        if conflict is None:
            db.session.flush()
        else:
            flush_or_conflict(conflict)
        record(user, action, obj, message, args, changes)
    return changes


# --- reading the log -----------------------------------------------------------------------------------------

def _names(entries: list[AuditEntry]) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """Names of every unit, unit kind and user the entries' changes refer to, in one query each."""
    wanted: dict[str, set[int]] = {"unit": set(), "kind": set(), "user": set()}
    for entry in entries:
        for field, pair in (entry.changes or {}).items():
            bucket = ("unit" if field in UNIT_REFERENCE_FIELDS else "user" if field in USER_REFERENCE_FIELDS
                      else "kind" if field == "kind_id" else None)
            if bucket:
                wanted[bucket].update(value for value in pair if isinstance(value, int))
    units = ({row[0]: f"{row[1]} · {row[2]}" for row in db.session.execute(
        select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_(wanted["unit"])))} if wanted["unit"] else {})
    kinds = ({row[0]: row[1] for row in db.session.execute(
        select(UnitKind.id, UnitKind.name).where(UnitKind.id.in_(wanted["kind"])))} if wanted["kind"] else {})
    users = ({row[0]: row[2] or row[1] for row in db.session.execute(
        select(User.id, User.username, User.full_name).where(User.id.in_(wanted["user"])))}
        if wanted["user"] else {})
    return units, kinds, users


def display_value(field: str, value, names: tuple[dict, dict, dict]) -> str:
    """One before/after value as the reader reads it."""
    units, kinds, users = names
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return messages.humanise(value)
    if isinstance(value, int) and field in UNIT_REFERENCE_FIELDS:
        return units.get(value, f"#{value}")
    if isinstance(value, int) and field in USER_REFERENCE_FIELDS:
        return users.get(value, f"#{value}")
    if isinstance(value, int) and field == "kind_id":
        return kinds.get(value, f"#{value}")
    if isinstance(value, str) and field in CODED_FIELDS:
        return messages.render(CODED_FIELDS[field] + value, fallback=value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {item}" for key, item in value.items())
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        moment = datetime.fromisoformat(value)
        return to_user_timezone(moment).strftime("%d/%m/%Y %H:%M")
    return messages.humanise(value)


def describe(entries: list[AuditEntry]) -> list[dict]:
    """The entries as the audit page shows them: a sentence and the labelled changes, in the reader's language."""
    names = _names(entries)
    rows = []
    for entry in entries:
        actor = (entry.user.full_name or entry.user.username) if entry.user else messages.ref("system")
        # rows written before message keys keep their stored (Vietnamese) summary
        sentence = messages.render(entry.message or "audit.legacy",
                                   {**(entry.args or {}), "actor": actor, "summary": entry.summary},
                                   fallback=entry.summary)
        rows.append({
            "entry": entry,
            "at": to_user_timezone(entry.at),
            "sentence": sentence,
            "changes": [(str(FIELD_LABELS.get(field, field.replace("_", " "))),
                         display_value(field, pair[0], names), display_value(field, pair[1], names))
                        for field, pair in (entry.changes or {}).items()],
        })
    return rows


# ---- the audit page ----


def day_bounds(day_from: date | None, day_to: date | None) -> tuple[datetime | None, datetime | None]:
    """Vietnamese calendar days → UTC instants: [start of day_from, end of day_to]."""
    start = datetime.combine(day_from, time.min, tzinfo=clock.LOCAL_TZ).astimezone(UTC) if day_from else None
    end = datetime.combine(day_to, time.max, tzinfo=clock.LOCAL_TZ).astimezone(UTC) if day_to else None
    return start, end


@dataclass
class AuditPage:
    """One page of the audit log, described for the reader, with what the filters may choose from."""

    pagination: object
    rows: list[dict]
    #: entity types that have entries
    entity_types: list[str]
    #: (id, username, full name) of the users who have entries
    actors: list[tuple]


def audit_page(*, entity_type: str = "", user_id: int = 0, day_from: date | None = None,
               day_to: date | None = None, page: int = 1, per_page: int = 20) -> AuditPage:
    """Entries newest first, filtered by entity type, user and Vietnamese date range (days included)."""
    query = select(AuditEntry).options(joinedload(AuditEntry.user)).order_by(AuditEntry.at.desc(),
                                                                            AuditEntry.id.desc())
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if user_id:
        query = query.where(AuditEntry.user_id == user_id)
    start, end = day_bounds(day_from, day_to)
    if start:
        query = query.where(AuditEntry.at >= start)
    if end:
        query = query.where(AuditEntry.at <= end)
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    entity_types = list(db.session.scalars(select(AuditEntry.entity_type).distinct()
                                           .order_by(AuditEntry.entity_type)))
    actors = [tuple(row) for row in db.session.execute(
        select(User.id, User.username, User.full_name).where(User.id.in_(select(AuditEntry.user_id).distinct()))
        .order_by(User.username))]
    return AuditPage(pagination, describe(pagination.items), entity_types, actors)
