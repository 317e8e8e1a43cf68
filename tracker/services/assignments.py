"""The assignment workflow: progress updates, submission, review, extensions, evidence."""
import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, case, cast, func, literal, select
from sqlalchemy.orm.exc import StaleDataError

from models import Assignment, Attachment, ExtensionRequest, ProgressUpdate, db, utcnow
from tracker import clock, messages
from tracker.domain import status as st
from tracker.permissions import can, can_see_unit, can_update_assignment
from tracker.services import audit, notifications


class WorkflowError(ValueError):
    """The action is not allowed now; the message is for the user."""


class ConflictError(WorkflowError):
    """Someone else changed the record since the form was opened."""


class PermissionDenied(WorkflowError):
    """The user may not do this."""


CONFLICT_MESSAGE = _l("Phân công này vừa được người khác cập nhật. Dữ liệu của bạn chưa được lưu; "
                      "hãy tải lại trang để xem thay đổi rồi nhập lại.")

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


def due_in_force_expr():
    """SQL: the deadline a unit is held to today."""
    return func.coalesce(Assignment.extended_due, Assignment.due_date)


def status_expr(today: date):
    """SQL CASE computing the display status, the same rule as tracker.domain.status.compute_status."""
    judged_due = func.coalesce(Assignment.due_at_completion, due_in_force_expr())
    return case(
        (Assignment.state == st.CONFIRMED,
         case((Assignment.completed_on <= judged_due, literal(st.Status.DONE_ON_TIME.value)),
              else_=literal(st.Status.DONE_LATE.value))),
        (Assignment.state == st.SUBMITTED, literal(st.Status.AWAITING.value)),
        (Assignment.state == st.RETURNED, literal(st.Status.RETURNED.value)),
        (due_in_force_expr() < today, literal(st.Status.OVERDUE.value)),
        (cast(Assignment.started, Boolean).is_(True), literal(st.Status.IN_PROGRESS.value)),
        else_=literal(st.Status.NOT_STARTED.value),
    )


def status_of(assignment: Assignment, today: date) -> st.Status:
    """Display status of one loaded assignment."""
    return st.compute_status(
        assignment.state, assignment.due_at_completion or assignment.due_in_force, today,
        assignment.completed_on, assignment.started)


def _check_version(assignment: Assignment, expected_version: int | str | None) -> None:
    if expected_version is None:
        return
    try:
        seen = int(expected_version)
    except (TypeError, ValueError):
        raise WorkflowError(_l("Phiên bản dữ liệu không hợp lệ; hãy tải lại trang")) from None
    if seen != assignment.version:
        raise ConflictError(CONFLICT_MESSAGE)


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as error:  # a concurrent writer won between our read and our write
        db.session.rollback()
        raise ConflictError(CONFLICT_MESSAGE) from error


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


def _apply(user, obj, values: dict, action: str, message: str, args: dict) -> dict:
    # audit.apply flushes the versioned row itself, so a lost race surfaces there, not in _flush
    try:
        return audit.apply(user, obj, values, message, args, action=action)
    except StaleDataError as error:
        db.session.rollback()
        raise ConflictError(CONFLICT_MESSAGE) from error


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
    _check_version(assignment, expected_version)
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
    _flush()
    for values in files or []:
        db.session.add(Attachment(assignment_id=assignment.id, update_id=update.id,
                                  uploaded_by_id=getattr(user, "id", None), **values))
    _flush()
    return update


def review(user, assignment: Assignment, *, confirm: bool, reason: str, expected_version: int | None
           ) -> ProgressUpdate:
    """The office confirms a submitted completion, or sends it back with a reason."""
    if not can(user, "review"):
        raise PermissionDenied(_l("Chỉ Văn phòng UBND tỉnh xác nhận hoàn thành"))
    _check_version(assignment, expected_version)
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
    _flush()
    notifications.notify_review(update)
    return update


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
    if pending:
        raise WorkflowError(_l("Đã có một đề nghị gia hạn đang chờ xử lý"))
    request = ExtensionRequest(assignment_id=assignment.id, requested_by_id=user.id,
                               current_due=assignment.due_in_force, requested_due=requested_due, reason=reason)
    db.session.add(request)
    db.session.flush()
    audit.record(user, "extension_request", assignment, "audit.assignment.extension_request",
                 {**_audit_args(assignment), "due": requested_due}, {"requested_due": [None, requested_due]})
    _history(assignment, user, "extension_request", assignment.state, note=f"{requested_due:%d/%m/%Y}: {reason}")
    _flush()
    return request


def decide_extension(user, request: ExtensionRequest, *, approve: bool, note: str) -> ExtensionRequest:
    """The office approves or refuses; the original deadline is always kept on the assignment."""
    if not can(user, "review"):
        raise PermissionDenied(_l("Chỉ Văn phòng UBND tỉnh quyết định gia hạn"))
    if request.state != "pending":
        raise WorkflowError(_l("Đề nghị này đã được xử lý"))
    assignment = request.assignment
    _apply(user, request, {"state": "approved" if approve else "refused", "decided_by_id": user.id,
                                "decided_at": utcnow(), "decision_note": note}, "extension_decision",
           "audit.extension.approve" if approve else "audit.extension.refuse",
           {**_audit_args(assignment), "due": request.requested_due})
    if approve:
        _apply(user, assignment, {"extended_due": request.requested_due}, "extend", "audit.assignment.extend",
               {**_audit_args(assignment), "due": request.requested_due})
    _history(assignment, user, "extension_approved" if approve else "extension_refused", assignment.state,
             note=note)
    _flush()
    notifications.notify_extension_decided(request)
    return request
