"""The assignment workflow: progress updates, submission, review, extensions, evidence."""
import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, union_all
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from models import Activity, Assignment, Attachment, ExtensionRequest, Plan, ProgressUpdate, Unit, db, utcnow
from tracker import clock, messages
from tracker.domain import status as st
from tracker.permissions import can, can_see_unit, can_update_assignment
from tracker.services import audit, notifications
from tracker.services.errors import CONFLICT_MESSAGE, ConflictError, PermissionDenied, WorkflowError
from tracker.services.unit_of_work import check_version, flush_or_conflict

#: accepted evidence types: extension → (content type, magic-byte prefixes)
EVIDENCE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    ".xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    ".png": ("image/png", (b"\x89PNG",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


#: the workflow's actions, for its refusal in the reader's language (the domain's own message is Vietnamese)
_ACTION_WORDS = {"update": _l("cập nhật tiến độ"), "submit": _l("gửi báo cáo hoàn thành"),
                 "confirm": _l("xác nhận hoàn thành"), "return": _l("trả lại"), "reopen": _l("mở lại")}


def _transition(state: str, action: str) -> str:
    """The state after `action`, or WorkflowError in the reader's language when the workflow refuses it."""
    try:
        return st.transition(state, action)
    except st.WorkflowError as error:
        if state in st.STATES and action in _ACTION_WORDS:
            raise WorkflowError(_l("Không thể %(action)s khi nhiệm vụ đang ở trạng thái «%(state)s»",
                                   action=_ACTION_WORDS[action], state=messages.lazy(f"state.{state}"))) from error
        raise WorkflowError(str(error)) from error


def _audit_args(assignment: Assignment) -> dict:
    """What an audit sentence about an assignment names: the activity (and period) and the unit."""
    activity = assignment.activity.number
    if assignment.period_label:
        activity += f" ({assignment.period_label})"
    return {"activity": activity, "unit": assignment.unit.name}


def _apply(user, obj, values: dict, action: str, message: str, args: dict, conflict=CONFLICT_MESSAGE) -> dict:
    # audit.apply flushes the versioned row itself, so a lost race surfaces there, not in flush_or_conflict;
    # the caller that owns the transaction rolls it back
    try:
        return audit.apply(user, obj, values, message, args, action=action)
    except StaleDataError as error:
        raise ConflictError(conflict) from error


def _history(assignment, user, action, before, **fields) -> ProgressUpdate:
    update = ProgressUpdate(assignment_id=assignment.id, user_id=getattr(user, "id", None), action=action,
                            state_before=before, state_after=assignment.state, **fields)
    db.session.add(update)
    return update


@dataclass
class Evidence:
    """An uploaded file as plain values: the name the user gave and its bytes."""

    filename: str
    data: bytes


def evidence_folder(upload_root: str) -> Path:
    """Where evidence files live under the configured upload folder."""
    return Path(upload_root) / "evidence"


def discard_evidence(folder: str | Path, stored: list[dict]) -> None:
    """Delete files written by store_evidence whose update was refused or rolled back."""
    for values in stored:
        (Path(folder) / values["stored_name"]).unlink(missing_ok=True)


def store_evidence(folder: str, max_bytes: int, evidence: Evidence) -> dict:
    """Check type and size, write atomically under a random name; returns Attachment values."""
    ext = Path(evidence.filename).suffix.lower()
    if ext not in EVIDENCE_TYPES:
        raise WorkflowError(_l("Tệp «%(filename)s»: chỉ nhận PDF, Word, Excel hoặc ảnh (PNG, JPEG)",
                               filename=evidence.filename))
    if len(evidence.data) > max_bytes:
        raise WorkflowError(_l("Tệp «%(filename)s» vượt quá %(size)s MB",
                               filename=evidence.filename, size=max_bytes // (1024 * 1024)))
    if not evidence.data:
        raise WorkflowError(_l("Tệp «%(filename)s» rỗng", filename=evidence.filename))
    content_type, magics = EVIDENCE_TYPES[ext]
    if not evidence.data.startswith(magics):
        raise WorkflowError(_l("Tệp «%(filename)s»: nội dung không đúng định dạng %(ext)s",
                               filename=evidence.filename, ext=ext))
    Path(folder).mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16) + ext
    # write to a temp file then rename, so a crash never leaves half a file under the real name
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(evidence.data)
        os.replace(tmp, Path(folder) / stored_name)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"original_name": Path(evidence.filename).name[:255], "stored_name": stored_name,
            "content_type": content_type, "size": len(evidence.data),
            "sha256": hashlib.sha256(evidence.data).hexdigest()}


def update_progress(user, assignment: Assignment, *, percent: int, note: str, expected_version: int | None,
                    evidence_number: str = "", evidence_date: date | None = None,
                    files: list[dict] | None = None, submit: bool = False, today: date | None = None
                    ) -> ProgressUpdate:
    """Record a progress update (optionally submitting the work as done), append-only and audited."""
    if not can_update_assignment(user, assignment):
        raise PermissionDenied(_l("Bạn không có quyền cập nhật phân công này"))
    check_version(assignment, expected_version)
    if not 0 <= int(percent) <= 100:
        raise WorkflowError(_l("Tiến độ (%) phải từ 0 đến 100"))
    today = today or clock.today()
    before = assignment.state
    action = "submit" if submit else "update"
    new_state = _transition(before, action)
    changes = {"state": new_state, "percent": 100 if submit else int(percent), "note": note, "started": True,
               "last_update_at": utcnow()}
    if submit:
        if not (files or evidence_number):
            raise WorkflowError(_l("Khi báo hoàn thành cần kèm tệp minh chứng hoặc số, ngày văn bản đã ban hành"))
        changes["completed_on"] = today
        changes["due_at_completion"] = assignment.due_in_force
    _apply(user, assignment, changes, action, "audit.assignment.submit" if submit else "audit.assignment.progress",
           _audit_args(assignment))
    update = _history(assignment, user, action, before, percent=changes["percent"], note=note,
                      evidence_number=evidence_number, evidence_date=evidence_date)
    flush_or_conflict()
    for values in files or []:
        db.session.add(Attachment(assignment_id=assignment.id, update_id=update.id,
                                  uploaded_by_id=getattr(user, "id", None), **values))
    flush_or_conflict()
    if submit:
        notifications.notify_completion_submitted(update, files=len(files or []))
    return update


def review(user, assignment: Assignment, *, confirm: bool, reason: str, expected_version: int | None
           ) -> ProgressUpdate:
    """The office confirms a submitted completion, or sends it back with a reason."""
    if not can(user, "review"):
        raise PermissionDenied(_l("Chỉ Văn phòng UBND tỉnh xác nhận hoàn thành"))
    check_version(assignment, expected_version)
    if not confirm and not reason.strip():
        raise WorkflowError(_l("Cần nêu lý do khi trả lại"))
    before = assignment.state
    action = "confirm" if confirm else "return"
    new_state = _transition(before, action)
    values = {"state": new_state}
    if confirm:
        values.update(confirmed_at=utcnow(), confirmed_by_id=user.id)
    else:
        values.update(completed_on=None, due_at_completion=None, percent=min(assignment.percent, 90))
    _apply(user, assignment, values, action, f"audit.assignment.{action}", _audit_args(assignment))
    update = _history(assignment, user, action, before, percent=assignment.percent, note=reason)
    flush_or_conflict()
    notifications.notify_review(update)
    return update


#: whether a second request races the first or comes after it, it gets the same conflict
_PENDING_REQUEST = _l("Đã có một đề nghị gia hạn đang chờ xử lý (có thể do bấm nút hai lần); "
                      "đề nghị này không được gửi lần nữa.")


def request_extension(user, assignment: Assignment, *, requested_due: date, reason: str,
                      today: date | None = None) -> ExtensionRequest:
    """A unit asks for a later deadline, with a reason."""
    if not (can(user, "request_extension") and can_see_unit(user, assignment.unit_id)):
        raise PermissionDenied(_l("Bạn không có quyền xin gia hạn phân công này"))
    if assignment.state == st.CONFIRMED:
        raise WorkflowError(_l("Phân công đã hoàn thành, không thể xin gia hạn"))
    if not reason.strip():
        raise WorkflowError(_l("Cần nêu lý do xin gia hạn"))
    if requested_due <= assignment.due_in_force:
        raise WorkflowError(_l("Hạn mới phải sau hạn hiện tại (%(due)s)",
                               due=format(assignment.due_in_force, "%d/%m/%Y")))
    pending = db.session.scalar(select(ExtensionRequest.id).where(
        ExtensionRequest.assignment_id == assignment.id, ExtensionRequest.state == "pending"))
    if pending:  # a double-click that arrived second, or a request made in another tab
        raise ConflictError(_PENDING_REQUEST)
    extension = ExtensionRequest(assignment_id=assignment.id, requested_by_id=user.id,
                                 current_due=assignment.due_in_force, requested_due=requested_due, reason=reason)
    db.session.add(extension)
    # a simultaneous request (a double-click) recorded first trips the unique index of pending requests
    flush_or_conflict(duplicate_message=_PENDING_REQUEST)
    audit.record(user, "extension_request", assignment, "audit.assignment.extension_request",
                 {**_audit_args(assignment), "due": requested_due}, {"requested_due": [None, requested_due]})
    _history(assignment, user, "extension_request", assignment.state, note=f"{requested_due:%d/%m/%Y}: {reason}")
    flush_or_conflict()
    notifications.notify_extension_requested(extension)
    return extension


def extension_conflict_message():
    """What the office reads when another decision on the same request got there first."""
    return _l("Đề nghị gia hạn này đã được xử lý (có thể do người khác, hoặc do bấm nút hai lần). "
             "Quyết định của bạn chưa được lưu; hãy tải lại trang để xem kết quả.")


def decide_extension(user, extension: ExtensionRequest, *, approve: bool, note: str,
                     expected_version: int | str | None) -> ExtensionRequest:
    """The office approves or refuses; the original deadline is always kept on the assignment.

    Of simultaneous decisions exactly one is recorded: the request's UPDATE carries the version read
    (version_id_col), so the database lets only the first through and the others raise ConflictError.
    """
    if not can(user, "review"):
        raise PermissionDenied(_l("Chỉ Văn phòng UBND tỉnh quyết định gia hạn"))
    check_version(extension, expected_version, extension_conflict_message())
    if extension.state != "pending":
        raise ConflictError(extension_conflict_message())
    assignment = extension.assignment
    # the request's row first: a lost race stops here, before anything else is written
    _apply(user, extension, {"state": "approved" if approve else "refused", "decided_by_id": user.id,
                             "decided_at": utcnow(), "decision_note": note}, "extension_decision",
           "audit.extension.approve" if approve else "audit.extension.refuse",
           {**_audit_args(assignment), "due": extension.requested_due}, conflict=extension_conflict_message())
    if approve:
        _apply(user, assignment, {"extended_due": extension.requested_due}, "extend", "audit.assignment.extend",
               {**_audit_args(assignment), "due": extension.requested_due})
    _history(assignment, user, "extension_approved" if approve else "extension_refused", assignment.state,
             note=note)
    flush_or_conflict()
    notifications.notify_extension_decided(extension)
    return extension


# --- the office's review queue -------------------------------------------------------------------------------

@dataclass
class QueueFilters:
    """The review queue narrowed to one unit and/or one plan (None: all)."""

    unit_id: int | None = None
    plan_id: int | None = None

    def apply(self, query):
        """Narrow a query that selects from Assignment (or joins it)."""
        if self.unit_id is not None:
            query = query.where(Assignment.unit_id == self.unit_id)
        if self.plan_id is not None:
            query = query.where(Assignment.plan_id == self.plan_id)
        return query


@dataclass
class QueueOption:
    id: int
    label: str
    waiting: int


def submitted_query(filters: QueueFilters):
    """Completions awaiting the office's confirmation, oldest submission first."""
    return filters.apply(
        select(Assignment).where(Assignment.state == st.SUBMITTED)
        .options(joinedload(Assignment.unit), joinedload(Assignment.activity).joinedload(Activity.plan))
        .order_by(Assignment.last_update_at.asc(), Assignment.id.asc()))


def pending_extensions_query(filters: QueueFilters):
    """Extension requests awaiting a decision, oldest first."""
    return filters.apply(
        select(ExtensionRequest).join(Assignment, Assignment.id == ExtensionRequest.assignment_id)
        .where(ExtensionRequest.state == "pending")
        .options(joinedload(ExtensionRequest.requested_by),
                 joinedload(ExtensionRequest.assignment).joinedload(Assignment.unit),
                 joinedload(ExtensionRequest.assignment).joinedload(Assignment.activity).joinedload(Activity.plan))
        .order_by(ExtensionRequest.at.asc(), ExtensionRequest.id.asc()))


def _waiting_rows():
    # every item the office must decide, as (unit, plan): submitted completions and pending extensions
    return union_all(
        select(Assignment.unit_id, Assignment.plan_id).where(Assignment.state == st.SUBMITTED),
        select(Assignment.unit_id, Assignment.plan_id)
        .join(ExtensionRequest, ExtensionRequest.assignment_id == Assignment.id)
        .where(ExtensionRequest.state == "pending"),
    ).subquery()


def queue_filter_options() -> tuple[list[QueueOption], list[QueueOption]]:
    """Units and plans that have something waiting, with how many items each (two grouped queries)."""
    waiting = _waiting_rows()
    units = [QueueOption(unit_id, name, count) for unit_id, name, count in db.session.execute(
        select(Unit.id, Unit.name, func.count()).join(waiting, waiting.c.unit_id == Unit.id)
        .group_by(Unit.id, Unit.name, Unit.sort_order).order_by(Unit.sort_order, Unit.name))]
    plans = [QueueOption(plan_id, f"{code} · {title}", count) for plan_id, code, title, count in db.session.execute(
        select(Plan.id, Plan.code, Plan.title, func.count()).join(waiting, waiting.c.plan_id == Plan.id)
        .group_by(Plan.id, Plan.code, Plan.title, Plan.year).order_by(Plan.year.desc(), Plan.code))]
    return units, plans


@dataclass
class SubmissionEvidence:
    """What the office decides on: the unit's submission (note, document number and date) and every file."""

    note: str = ""
    evidence_number: str = ""
    evidence_date: date | None = None
    files: list = field(default_factory=list)


def submission_evidence(assignment_ids: list[int]) -> dict[int, SubmissionEvidence]:
    """The latest submission and all evidence files of each assignment, in two queries whatever the count."""
    found = {assignment_id: SubmissionEvidence() for assignment_id in assignment_ids}
    if not assignment_ids:
        return found
    for update in db.session.scalars(
            select(ProgressUpdate).where(ProgressUpdate.assignment_id.in_(assignment_ids),
                                         ProgressUpdate.action == "submit").order_by(ProgressUpdate.id)):
        evidence = found[update.assignment_id]  # later submissions (after a return) replace earlier ones
        evidence.note, evidence.evidence_number = update.note, update.evidence_number
        evidence.evidence_date = update.evidence_date
    for attachment in db.session.scalars(
            select(Attachment).where(Attachment.assignment_id.in_(assignment_ids)).order_by(Attachment.id.desc())):
        found[attachment.assignment_id].files.append(attachment)
    return found
