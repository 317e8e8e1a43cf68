"""Assignments: the assignment page with its history, progress updates, evidence, review and extensions."""
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from forms.assignment import ExtensionDecisionForm, ExtensionRequestForm, ProgressForm, ReviewForm
from models import Activity, Assignment, Attachment, ExtensionRequest, ProgressUpdate, Task, TaskGroup, db
from tracker import clock
from tracker.domain import status as st
from tracker.permissions import can, can_see_unit, can_update_assignment, require
from tracker.request_input import page_arg
from tracker.services import assignments as workflow
from tracker.services.errors import ConflictError, WorkflowError
from tracker.services.status import status_of
from tracker.views.saving import saving

bp = Blueprint("assignments", __name__, url_prefix="/assignments")

#: history actions as the field says them
ACTION_LABELS = {
    "update": _l("Cập nhật tiến độ"),
    "submit": _l("Báo cáo hoàn thành"),
    "confirm": _l("Xác nhận hoàn thành"),
    "return": _l("Trả lại"),
    "reopen": _l("Mở lại"),
    "extension_request": _l("Xin gia hạn"),
    "extension_approved": _l("Duyệt gia hạn"),
    "extension_refused": _l("Từ chối gia hạn"),
}
STATE_LABELS = {
    st.OPEN: _l("Đang thực hiện"),
    st.SUBMITTED: _l("Chờ xác nhận"),
    st.CONFIRMED: _l("Đã xác nhận hoàn thành"),
    st.RETURNED: _l("Bị trả lại"),
}
RESPONSIBILITY_LABELS = {"lead": _l("Chủ trì"), "coordinating": _l("Phối hợp")}
EXTENSION_LABELS = {"pending": _l("Chờ duyệt"), "approved": _l("Đã duyệt"), "refused": _l("Từ chối")}
TARGET_LEVELS = {"province": _l("Cấp tỉnh"), "district": _l("Cấp huyện"), "commune": _l("Cấp xã")}


def _load_assignment(assignment_id: int) -> Assignment:
    """The assignment with what its page shows, 404 if absent, 403 outside the user's scope."""
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.id == assignment_id).options(
            joinedload(Assignment.unit),
            joinedload(Assignment.activity).joinedload(Activity.plan),
            joinedload(Assignment.activity).joinedload(Activity.task).joinedload(Task.group)
            .joinedload(TaskGroup.plan)))
    if assignment is None:
        abort(404)
    if not can_see_unit(current_user, assignment.unit_id):
        abort(403)
    return assignment


def _evidence_folder() -> Path:
    return workflow.evidence_folder(current_app.config["UPLOAD_FOLDER"])


def _render_detail(assignment: Assignment, status: int = 200, *, progress_form: ProgressForm | None = None,
                   review_form: ReviewForm | None = None, extension_form: ExtensionRequestForm | None = None,
                   error: str | None = None):
    """The assignment page; forms passed in keep what the user typed and their errors."""
    today = clock.today()
    history = db.session.scalars(
        select(ProgressUpdate).where(ProgressUpdate.assignment_id == assignment.id)
        .options(joinedload(ProgressUpdate.user), selectinload(ProgressUpdate.attachments))
        .order_by(ProgressUpdate.at.desc(), ProgressUpdate.id.desc())).unique().all()
    extensions = db.session.scalars(
        select(ExtensionRequest).where(ExtensionRequest.assignment_id == assignment.id)
        .options(joinedload(ExtensionRequest.requested_by), joinedload(ExtensionRequest.decided_by))
        .order_by(ExtensionRequest.at.desc(), ExtensionRequest.id.desc())).unique().all()
    may_update = can_update_assignment(current_user, assignment)
    may_review = can(current_user, "review")
    if progress_form is None and may_update:
        progress_form = ProgressForm(formdata=None, percent=assignment.percent, version=assignment.version)
    if review_form is None and may_review:
        review_form = ReviewForm(formdata=None, version=assignment.version, back="detail")
    if extension_form is None:
        extension_form = ExtensionRequestForm(formdata=None)
    has_pending_extension = any(e.state == "pending" for e in extensions)
    return render_template(
        "assignments/detail.html", a=assignment, activity=assignment.activity, today=today,
        status=status_of(assignment, today), history=history, extensions=extensions,
        progress_form=progress_form if may_update and assignment.state in (st.OPEN, st.RETURNED) else None,
        review_form=review_form if may_review and assignment.state == st.SUBMITTED else None,
        extension_form=extension_form if (
            can(current_user, "request_extension") and may_update and assignment.state != st.CONFIRMED
            and not has_pending_extension) else None,
        decision_form=ExtensionDecisionForm(formdata=None, back="detail") if may_review else None,
        error=error, ACTION_LABELS=ACTION_LABELS, STATE_LABELS=STATE_LABELS,
        RESPONSIBILITY_LABELS=RESPONSIBILITY_LABELS, EXTENSION_LABELS=EXTENSION_LABELS, TARGET_LEVELS=TARGET_LEVELS,
        max_upload_mb=current_app.config["MAX_UPLOAD_MB"], accept=",".join(workflow.EVIDENCE_TYPES),
    ), status


@bp.route("/<int:assignment_id>")
@login_required
def detail(assignment_id: int):
    """The assignment page: facts, status, history, extensions and the forms the user may use."""
    return _render_detail(_load_assignment(assignment_id))


@bp.route("/<int:assignment_id>/progress", methods=["POST"])
@require("update_assignment")
def update(assignment_id: int):
    """Save progress or submit the work done; files are kept only if the whole update is saved."""
    assignment = _load_assignment(assignment_id)
    if not can_update_assignment(current_user, assignment):
        abort(403)
    form = ProgressForm()
    if not form.validate_on_submit():
        return _render_detail(assignment, 400, progress_form=form,
                              error=_("Chưa lưu: hãy sửa các ô báo lỗi bên dưới."))
    folder = _evidence_folder()
    max_bytes = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    stored: list[dict] = []
    submit = bool(form.submit_done.data)
    try:
        with saving():
            for upload in form.files.data or []:
                if not getattr(upload, "filename", ""):
                    continue  # the browser sends an empty part when no file was chosen
                stored.append(workflow.store_evidence(
                    str(folder), max_bytes, workflow.Evidence(upload.filename, upload.read(max_bytes + 1))))
            workflow.update_progress(
                current_user, assignment, percent=form.percent.data, note=(form.note.data or "").strip(),
                expected_version=int(form.version.data), evidence_number=(form.evidence_number.data or "").strip(),
                evidence_date=form.evidence_date.data, files=stored, submit=submit)
    except WorkflowError as error:
        workflow.discard_evidence(folder, stored)
        return _refused(assignment_id, error, progress_form=form)
    except Exception:  # the 403 of a PermissionDenied included: no file outlives a refused update
        workflow.discard_evidence(folder, stored)
        raise
    flash(_("Đã gửi báo cáo hoàn thành; chờ Văn phòng xác nhận.") if submit else _("Đã lưu tiến độ."), "success")
    return redirect(url_for(".detail", assignment_id=assignment_id))


def _refused(assignment_id: int, error: WorkflowError, **forms):
    """Re-render the page after the service refused: 409 for a stale form, 400 otherwise; nothing was saved."""
    # saving() rolled the request's work back, so read the assignment again as it now stands
    db.session.expire_all()
    assignment = _load_assignment(assignment_id)
    conflict = isinstance(error, ConflictError)
    if conflict:
        # the stale form must not be re-posted as is: show the new version, keep the typed text
        for form in forms.values():
            if form is not None and hasattr(form, "version"):
                form.version.data = str(assignment.version)
                form.version.raw_data = None
    return _render_detail(assignment, 409 if conflict else 400, error=str(error), **forms)


@bp.route("/<int:assignment_id>/review", methods=["POST"])
@require("review")
def review(assignment_id: int):
    """The office confirms a submitted completion or returns it with a reason."""
    assignment = _load_assignment(assignment_id)
    form = ReviewForm()
    back_to_queue = form.back.data == "queue"
    if not form.validate_on_submit():
        if back_to_queue:
            flash(_("Phân công %(id)s: %(errors)s", id=assignment_id, errors="; ".join(
                str(e) for errors in form.errors.values() for e in errors)), "danger")
            return redirect(_queue_url()), 303
        return _render_detail(assignment, 400, review_form=form, error=_("Chưa lưu: hãy sửa các ô báo lỗi bên dưới."))
    confirm = bool(form.confirm.data)
    try:
        with saving():
            workflow.review(current_user, assignment, confirm=confirm, reason=(form.reason.data or "").strip(),
                            expected_version=int(form.version.data))
    except WorkflowError as error:
        if back_to_queue:
            flash(_("Phân công %(id)s: %(error)s", id=assignment_id, error=str(error)), "danger")
            return redirect(_queue_url()), 303
        return _refused(assignment_id, error, review_form=form)
    flash(_("Đã xác nhận hoàn thành: %(unit)s.", unit=assignment.unit.name) if confirm
          else _("Đã trả lại: %(unit)s.", unit=assignment.unit.name), "success")
    if back_to_queue:
        return redirect(_queue_url())
    return redirect(url_for(".detail", assignment_id=assignment_id))


@bp.route("/<int:assignment_id>/extension", methods=["POST"])
@require("request_extension")
def request_extension(assignment_id: int):
    """A unit asks for a later deadline with a reason."""
    assignment = _load_assignment(assignment_id)
    if not can_update_assignment(current_user, assignment):
        abort(403)
    form = ExtensionRequestForm()
    if not form.validate_on_submit():
        return _render_detail(assignment, 400, extension_form=form,
                              error=_("Chưa gửi đề nghị gia hạn: hãy sửa các ô báo lỗi bên dưới."))
    try:
        with saving():
            workflow.request_extension(current_user, assignment, requested_due=form.requested_due.data,
                                       reason=form.reason.data.strip())
    except WorkflowError as error:
        return _refused(assignment_id, error, extension_form=form)
    flash(_("Đã gửi đề nghị gia hạn; chờ Văn phòng xem xét."), "success")
    return redirect(url_for(".detail", assignment_id=assignment_id))


@bp.route("/extensions/<int:extension_id>/decide", methods=["POST"])
@require("review")
def decide_extension(extension_id: int):
    """The office approves or refuses an extension request; the original deadline is kept."""
    extension = db.session.get(ExtensionRequest, extension_id)
    if extension is None:
        abort(404)
    form = ExtensionDecisionForm()
    assignment_id = extension.assignment_id
    back_to_queue = form.back.data == "queue"
    if not form.validate_on_submit():
        message = _("Chưa xử lý đề nghị gia hạn: %(errors)s", errors="; ".join(
            str(e) for errors in form.errors.values() for e in errors))
        if back_to_queue:
            flash(message, "danger")
            return redirect(_queue_url()), 303
        return _render_detail(_load_assignment(assignment_id), 400, error=message)
    approve = bool(form.approve.data)
    try:
        with saving():
            workflow.decide_extension(current_user, extension, approve=approve,
                                      note=(form.note.data or "").strip(), expected_version=int(form.version.data))
    except WorkflowError as error:
        if back_to_queue:
            flash(str(error), "danger")
            return redirect(_queue_url()), 303
        return _refused(assignment_id, error)
    flash(_("Đã duyệt gia hạn.") if approve else _("Đã từ chối gia hạn."), "success")
    if back_to_queue:
        return redirect(_queue_url())
    return redirect(url_for(".detail", assignment_id=assignment_id))


@bp.route("/files/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    """Serve an evidence file to users allowed to see its assignment, never rendered inline."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        abort(404)
    unit_id = db.session.scalar(select(Assignment.unit_id).where(Assignment.id == attachment.assignment_id))
    if unit_id is None:
        abort(404)
    if not can_see_unit(current_user, unit_id):
        abort(403)
    path = _evidence_folder() / attachment.stored_name
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


#: query arguments of the review queue that a decision taken from it carries back (filters and pages)
QUEUE_ARGS = ("unit", "plan", "page", "pe")


def _queue_url() -> str:
    """The review queue as the office left it: a decision posted from it keeps its filters and pages."""
    return url_for(".review_queue", **{name: request.args[name] for name in QUEUE_ARGS
                                      if request.args.get(name, "").isdigit()})


def _queue_filters(units: list, plans: list) -> tuple[workflow.QueueFilters, list[str]]:
    """The unit and plan chosen, among those with something waiting; anything else is ignored with a message."""
    filters, errors = workflow.QueueFilters(), []
    for name, options, label in (("unit", units, _("Đơn vị")), ("plan", plans, _("Kế hoạch"))):
        raw = request.args.get(name, "").strip()
        if not raw:
            continue
        if raw.isdigit() and int(raw) in {option.id for option in options}:
            setattr(filters, f"{name}_id", int(raw))
        else:
            errors.append(_("%(field)s đã chọn không có việc nào chờ xử lý; đang hiện tất cả.", field=label))
    return filters, errors


@bp.route("/review")
@require("review")
def review_queue():
    """Submitted completions (oldest first, with their evidence) and pending extension requests, filterable by
    unit and plan, each with its actions."""
    per_page = current_app.config["PER_PAGE"]
    units, plans = workflow.queue_filter_options()
    filters, filter_errors = _queue_filters(units, plans)
    submitted = db.paginate(workflow.submitted_query(filters), page=page_arg(),
                            per_page=per_page, error_out=False)
    pending_extensions = db.paginate(workflow.pending_extensions_query(filters), page=page_arg("pe"),
                                     per_page=per_page, error_out=False)
    return render_template(
        "assignments/review_queue.html", submitted=submitted, pending_extensions=pending_extensions,
        today=clock.today(), units=units, plans=plans, filters=filters, filter_errors=filter_errors,
        evidence=workflow.submission_evidence([a.id for a in submitted.items]),
        queue_args={name: request.args[name] for name in QUEUE_ARGS if request.args.get(name, "").isdigit()},
        review_form=ReviewForm(formdata=None, back="queue"),
        decision_form=ExtensionDecisionForm(formdata=None, back="queue"))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    """A clear page for an upload over the limit; Werkzeug refused it before anything was read or saved."""
    limit = current_app.config.get("MAX_UPLOAD_MB", 20)
    assignment_id = (request.view_args or {}).get("assignment_id")
    back = url_for(".detail", assignment_id=assignment_id) if assignment_id else url_for("main.index")
    return render_template("assignments/too_large.html", limit=limit, back=back), 413
