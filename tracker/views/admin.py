"""Administration: the unit tree and unit kinds, users, and the audit log."""
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from forms.admin import (
    ROLE_CHOICES,
    ConfirmForm,
    EndUnitForm,
    IssuingBodyForm,
    PasswordResetForm,
    UnitForm,
    UnitKindForm,
    UserCreateForm,
    UserEditForm,
    UserImportConfirmForm,
    UserImportForm,
)
from forms.fields import parse_form_date
from models import ROLES, Unit, UnitKind, User, db
from tracker import clock
from tracker.domain.textnorm import fold
from tracker.pagination import ListPage
from tracker.permissions import descendant_ids, require
from tracker.request_input import int_arg, page_arg
from tracker.services import accounts, user_import
from tracker.services import audit as audit_service
from tracker.services import issuing_body as issuing_service
from tracker.services import units as unit_service
from tracker.services.errors import ConflictError, WorkflowError
from tracker.views.saving import saving

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: rows per page of the unit tree (the tree is ordered in Python, then sliced)
TREE_PAGE_SIZE = 100


def _unit_choices(tree_rows, exclude: set[int] = frozenset(), none_label: str | None = None) -> list[tuple[int, str]]:
    """Select options in tree order, indented by depth; ended units are marked."""
    today = clock.today()
    choices = [(0, none_label)] if none_label is not None else []
    for unit, depth in tree_rows:
        if unit.id in exclude:
            continue
        ended = "" if unit.is_active(today) else " (" + _("đã kết thúc") + ")"
        choices.append((unit.id, f"{'— ' * depth}{unit.code} · {unit.name}{ended}"))
    return choices


def _kind_choices() -> list[tuple[int, str]]:
    kinds = db.session.scalars(select(UnitKind).order_by(UnitKind.sort_order, UnitKind.level, UnitKind.id))
    return [(kind.id, f"{kind.name} ({kind.code})") for kind in kinds]


def _get_or_404(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def _posted_version(form) -> str | None:
    """The version an edit form was opened at, as posted (None when the form did not carry one)."""
    return (form.version.data or "").strip() or None


def _field_error(form, error: unit_service.UnitError | issuing_service.IssuingBodyError) -> None:
    field = getattr(form, error.field, None)
    if field is not None:
        field.errors = [*field.errors, str(error)]
    flash(_("Chưa lưu: %(reason)s", reason=str(error)), "danger")


# ---- units ----

@bp.route("/units")
@require("manage_units")
def units():
    """The unit tree, indented, with kind, code, validity, successor and an active/ended badge."""
    query = request.args.get("q", "").strip()
    state = request.args.get("state", "all")
    today = clock.today()
    rows = unit_service.tree()
    if query:
        needle = fold(query)
        rows = [(u, d) for u, d in rows if needle in (u.search_text or "") or needle in u.code.lower()]
    if state == "active":
        rows = [(u, d) for u, d in rows if u.is_active(today)]
    elif state == "ended":
        rows = [(u, d) for u, d in rows if not u.is_active(today)]
    page = page_arg()
    start = (page - 1) * TREE_PAGE_SIZE
    listing = ListPage(rows[start:start + TREE_PAGE_SIZE], page, TREE_PAGE_SIZE, len(rows))
    return render_template("admin/units.html", listing=listing, today=today, query=query, state=state,
                           reopen_form=ConfirmForm())


@bp.route("/units/new", methods=["GET", "POST"])
@require("manage_units")
def unit_new():
    """Create a unit under a parent."""
    form = UnitForm()
    rows = unit_service.tree()
    form.kind_id.choices = _kind_choices()
    form.parent_id.choices = _unit_choices(rows, none_label=_("(Không có — cấp cao nhất)"))
    if request.method == "GET" and int_arg("parent"):
        form.parent_id.data = int_arg("parent")
    status = 200
    if form.validate_on_submit():
        try:
            with saving():
                unit = unit_service.create_unit(current_user, _unit_form_values(form))
        except unit_service.UnitError as error:
            _field_error(form, error)
        else:
            flash(_("Đã tạo đơn vị %(code)s · %(name)s", code=unit.code, name=unit.name), "success")
            return redirect(url_for("admin.units", q=unit.code))
    if request.method == "POST":
        status = 400
    return render_template("admin/unit_form.html", form=form, unit=None), status


def _unit_form_values(form: UnitForm) -> dict:
    return {
        "code": form.code.data, "name": form.name.data, "kind_id": form.kind_id.data,
        "parent_id": form.parent_id.data or None, "aliases": unit_service.parse_aliases(form.aliases.data),
        "valid_from": form.valid_from.data, "email": form.email.data,
    }


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@require("manage_units")
def unit_edit(unit_id: int):
    """Edit a unit; ending it has its own page."""
    unit = _get_or_404(Unit, unit_id)
    form = UnitForm(obj=unit if request.method == "GET" else None)
    rows = unit_service.tree()
    below = descendant_ids(unit.id, [(u.id, u.parent_id) for u, _depth in rows])
    form.kind_id.choices = _kind_choices()
    # the unit itself and its descendants cannot become its parent; the service checks again
    form.parent_id.choices = _unit_choices(rows, exclude=below, none_label=_("(Không có — cấp cao nhất)"))
    if request.method == "GET":
        form.parent_id.data = unit.parent_id or 0
        form.aliases.data = "\n".join(unit.aliases or [])
    status = 200
    if form.validate_on_submit():
        try:
            with saving():
                changes = unit_service.update_unit(current_user, unit, _unit_form_values(form),
                                                   expected_version=_posted_version(form))
        except ConflictError as error:
            flash(str(error), "danger")
            return render_template("admin/unit_form.html", form=form, unit=unit), 409
        except unit_service.UnitError as error:
            _field_error(form, error)
        except WorkflowError as error:  # a version that is not a number
            flash(_("Chưa lưu: %(reason)s", reason=str(error)), "danger")
        else:
            flash(_("Đã lưu đơn vị %(code)s", code=unit.code) if changes else _("Không có thay đổi nào"), "success")
            return redirect(url_for("admin.units", q=unit.code))
    if request.method == "POST":
        status = 400
    return render_template("admin/unit_form.html", form=form, unit=unit), status


@bp.route("/units/<int:unit_id>/issuing-body", methods=["GET", "POST"])
@require("manage_issuing_body")
def unit_issuing_body(unit_id: int):
    """A province's letterhead lines, place, number pattern and default signer, as its documents print them."""
    unit = _get_or_404(Unit, unit_id)
    if unit.parent_id is not None:
        abort(404)
    form = IssuingBodyForm()
    if request.method == "GET":
        current = issuing_service.issuing_body(unit)
        form.letterhead_parent.data = current.parent_line
        form.letterhead_issuer.data = current.issuer
        form.place_name.data = current.place
        form.number_pattern.data = current.number_pattern
        form.signer_title.data = current.signer_title
        form.signer_name.data = current.signer_name
        form.version.data = str(unit.version)
    status = 200
    if form.validate_on_submit():
        try:
            with saving():
                changes = issuing_service.update_issuing_body(
                    current_user, unit, {name: getattr(form, name).data for name in issuing_service.FIELDS},
                    expected_version=_posted_version(form))
        except ConflictError as error:
            flash(str(error), "danger")
            return render_template("admin/unit_issuing_body.html", form=form, unit=unit), 409
        except issuing_service.IssuingBodyError as error:
            _field_error(form, error)
        except WorkflowError as error:  # a version that is not a number
            flash(_("Chưa lưu: %(reason)s", reason=str(error)), "danger")
        else:
            flash(_("Đã lưu tiêu đề văn bản của %(code)s", code=unit.code) if changes
                  else _("Không có thay đổi nào"), "success")
            return redirect(url_for("admin.unit_edit", unit_id=unit.id))
    if request.method == "POST":
        status = 400
    return render_template("admin/unit_issuing_body.html", form=form, unit=unit), status


@bp.route("/units/<int:unit_id>/end", methods=["GET", "POST"])
@require("manage_units")
def unit_end(unit_id: int):
    """End a unit (merger, dissolution) and name its successor; the unit stays for history."""
    unit = _get_or_404(Unit, unit_id)
    form = EndUnitForm(obj=unit if request.method == "GET" else None)
    rows = unit_service.tree()
    form.successor_id.choices = _unit_choices(rows, exclude={unit.id}, none_label=_("(Không có đơn vị kế thừa)"))
    if request.method == "GET":
        form.successor_id.data = unit.successor_id or 0
    status = 200
    if form.validate_on_submit():
        try:
            with saving():
                unit_service.end_unit(current_user, unit, valid_to=form.valid_to.data,
                                      successor_id=form.successor_id.data or None,
                                      expected_version=_posted_version(form))
                still_active = unit_service.active_children(unit, unit.valid_to)
        except ConflictError as error:
            flash(str(error), "danger")
            return render_template("admin/unit_end.html", form=form, unit=unit), 409
        except unit_service.UnitError as error:
            _field_error(form, error)
        except WorkflowError as error:  # a version that is not a number
            flash(_("Chưa lưu: %(reason)s", reason=str(error)), "danger")
        else:
            flash(_("Đơn vị %(code)s kết thúc từ sau ngày %(day)s", code=unit.code,
                    day=unit.valid_to.strftime("%d/%m/%Y")), "success")
            if still_active:
                flash(_("Lưu ý: %(n)s đơn vị trực thuộc vẫn còn hoạt động: %(codes)s", n=len(still_active),
                        codes=", ".join(child.code for child in still_active[:10])), "warning")
            return redirect(url_for("admin.units", q=unit.code))
    if request.method == "POST":
        status = 400
    return render_template("admin/unit_end.html", form=form, unit=unit), status


@bp.route("/units/<int:unit_id>/reopen", methods=["POST"])
@require("manage_units")
def unit_reopen(unit_id: int):
    """Clear an ending entered by mistake."""
    unit = _get_or_404(Unit, unit_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with saving():
            unit_service.reopen_unit(current_user, unit)
    except ConflictError as error:
        flash(str(error), "danger")
    else:
        flash(_("Đơn vị %(code)s hoạt động trở lại", code=unit.code), "success")
    return redirect(url_for("admin.units", q=unit.code))


# ---- unit kinds ----

@bp.route("/unit-kinds")
@require("manage_units")
def kinds():
    """Unit kinds (data, not code) with how many units each has."""
    return render_template("admin/kinds.html", kinds=unit_service.kinds_with_counts())


@bp.route("/unit-kinds/new", methods=["GET", "POST"])
@bp.route("/unit-kinds/<int:kind_id>/edit", methods=["GET", "POST"])
@require("manage_units")
def kind_edit(kind_id: int | None = None):
    """Create or edit a unit kind."""
    kind = _get_or_404(UnitKind, kind_id) if kind_id else None
    form = UnitKindForm(obj=kind if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            with saving():
                saved = unit_service.save_kind(current_user, kind, code=form.code.data, name=form.name.data,
                                               level=form.level.data, expected_version=_posted_version(form))
        except ConflictError as error:
            flash(str(error), "danger")
            return render_template("admin/kind_form.html", form=form, kind=kind), 409
        except unit_service.UnitError as error:
            _field_error(form, error)
        except WorkflowError as error:  # a version that is not a number
            flash(_("Chưa lưu: %(reason)s", reason=str(error)), "danger")
        else:
            flash(_("Đã lưu loại đơn vị %(code)s", code=saved.code), "success")
            return redirect(url_for("admin.kinds"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/kind_form.html", form=form, kind=kind), status


# ---- users ----

@bp.route("/users")
@require("manage_users")
def users():
    """Users, searchable by name without accents, filtered by role and unit (with the units below it)."""
    query = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    role = role if role in ROLES else ""
    unit_id = int_arg("unit") or 0
    rows = unit_service.tree()
    unit_ids = descendant_ids(unit_id, [(u.id, u.parent_id) for u, _depth in rows]) if unit_id else None
    pagination = db.paginate(accounts.users_query(query, role or None, unit_ids), page=page_arg(),
                             per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("admin/users.html", pagination=pagination, query=query, role=role, unit_id=unit_id,
                           role_choices=ROLE_CHOICES, unit_choices=_unit_choices(rows))


@bp.route("/users/new", methods=["GET", "POST"])
@require("manage_users")
def user_new():
    """Create a user bound to a unit."""
    form = UserCreateForm()
    form.unit_id.choices = _unit_choices(unit_service.tree())
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        try:
            with saving():
                if unit is None:
                    raise accounts.AccountError(_("Đơn vị: hãy chọn một đơn vị có trong danh sách"))
                user = accounts.create_user(current_user, username=form.username.data,
                                            password=form.password.data, role=form.role.data, unit_code=unit.code,
                                            email=form.email.data or None, full_name=form.full_name.data)
        except accounts.AccountError as error:
            flash(_("Chưa lưu: %(reason)s", reason=str(error)), "danger")
        else:
            flash(_("Đã tạo người dùng %(username)s", username=user.username), "success")
            return redirect(url_for("admin.users", q=user.username))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@require("manage_users")
def user_edit(user_id: int):
    """Change a user's role, unit, email or active flag; users are deactivated, never deleted."""
    user = _get_or_404(User, user_id)
    form = UserEditForm(obj=user if request.method == "GET" else None)
    form.unit_id.choices = _unit_choices(unit_service.tree())
    if form.validate_on_submit():
        try:
            with saving():
                changes = accounts.update_user(current_user, user, full_name=form.full_name.data,
                                               email=form.email.data, role=form.role.data,
                                               unit_id=form.unit_id.data, active=form.active.data,
                                               expected_version=_posted_version(form))
        except ConflictError as error:
            flash(str(error), "danger")
            return _user_edit_page(form, user, 409)
        except (accounts.AccountError, WorkflowError) as error:  # WorkflowError: a version that is not a number
            flash(_("Chưa lưu: %(reason)s", reason=str(error)), "danger")
        else:
            flash(_("Đã lưu người dùng %(username)s", username=user.username) if changes
                  else _("Không có thay đổi nào"), "success")
            return redirect(url_for("admin.users", q=user.username))
    return _user_edit_page(form, user, 400 if request.method == "POST" else 200)


def _user_edit_page(form, user: User, status: int, password_form: PasswordResetForm | None = None):
    return render_template("admin/user_form.html", form=form, user=user,
                           password_form=password_form or PasswordResetForm(formdata=None)), status


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@require("manage_users")
def user_password(user_id: int):
    """Set a new password for a user who lost theirs."""
    user = _get_or_404(User, user_id)
    password_form = PasswordResetForm()
    if password_form.validate_on_submit():
        try:
            with saving():
                accounts.reset_password(current_user, user, password_form.new_password.data)
        except (accounts.AccountError, ConflictError) as error:
            flash(_("Chưa lưu: %(reason)s", reason=str(error)), "danger")
        else:
            flash(_("Đã đặt lại mật khẩu cho %(username)s", username=user.username), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    form = UserEditForm(formdata=None, obj=user)
    form.unit_id.choices = _unit_choices(unit_service.tree())
    return _user_edit_page(form, user, 400, password_form)


# ---- importing users from a table ----

def _user_import_folder():
    from pathlib import Path

    return Path(current_app.config["UPLOAD_FOLDER"]) / "user-imports"


@bp.route("/users/import", methods=["GET", "POST"])
@require("manage_users")
def user_import_upload():
    """Upload a .csv/.xlsx list of users; the preview shows every row with its problems before anything is saved."""
    form = UserImportForm()
    if request.method == "GET":
        return render_template("admin/user_import.html", form=form, check=None, confirm_form=None)
    if not form.validate_on_submit():
        flash(_("Chưa kiểm tra: hãy chọn tệp .csv hoặc .xlsx"), "danger")
        return render_template("admin/user_import.html", form=form, check=None, confirm_form=None), 400
    upload = form.file.data
    data = upload.read(user_import.MAX_BYTES + 1)
    check = user_import.check_file(current_user, upload.filename or "", data)
    confirm_form = None
    if check.ok:
        confirm_form = UserImportConfirmForm(formdata=None, upload=user_import.store_upload(
            current_user, _user_import_folder(), upload.filename or "", data))
    else:
        flash(_("Tệp có %(count)s lỗi; chưa ghi gì. Hãy sửa tệp rồi tải lên lại.", count=len(check.all_problems)),
              "danger")
    return render_template("admin/user_import.html", form=UserImportForm(formdata=None), check=check,
                           confirm_form=confirm_form), 200 if check.ok else 400


@bp.route("/users/import/confirm", methods=["POST"])
@require("manage_users")
def user_import_confirm():
    """Save every row of the previewed file, or none; new users' initial passwords are shown this once."""
    form = UserImportConfirmForm()
    kept = user_import.take_upload(current_user, _user_import_folder(), form.upload.data or "")
    if not form.validate_on_submit() or kept is None:
        flash(_("Tệp đã xem trước không còn; hãy tải lên lại"), "danger")
        return render_template("admin/user_import.html", form=UserImportForm(formdata=None), check=None,
                               confirm_form=None), 400
    try:
        with saving():
            check, results = user_import.import_file(current_user, *kept)
            created = [(user.username, user.full_name, password) for user, password in results if password]
            updated = [user.username for user, password in results if not password]
    except (user_import.UserImportError, ConflictError) as error:
        problems = getattr(error, "problems", [str(error)])
        flash(_("Không nhập tệp: %(reason)s", reason="; ".join(problems)), "danger")
        return render_template("admin/user_import.html", form=UserImportForm(formdata=None), check=None,
                               confirm_form=None), 400
    flash(_("Đã nhập %(created)s người dùng mới, cập nhật %(updated)s.", created=len(created), updated=len(updated)),
          "success")
    return render_template("admin/user_import_done.html", created=created, updated=updated)


# ---- audit log ----

ENTITY_LABELS = {"Unit": _l("Đơn vị"), "UnitKind": _l("Loại đơn vị"), "User": _l("Người dùng"),
                 "Plan": _l("Kế hoạch"), "TaskGroup": _l("Nhóm nhiệm vụ"), "Task": _l("Nhiệm vụ"),
                 "Activity": _l("Hoạt động"), "Assignment": _l("Phân công"),
                 "ExtensionRequest": _l("Đề nghị gia hạn"), "PlanImport": _l("Nạp kế hoạch từ tệp"),
                 "Framework": _l("Bộ chỉ số"), "FrameworkNode": _l("Chỉ tiêu"), "Score": _l("Kết quả chỉ tiêu"),
                 "ScoreImport": _l("Nhập bảng kết quả"), "Report": _l("Báo cáo"),
                 "ReminderPolicy": _l("Chính sách nhắc hạn"), "DayOverride": _l("Ngày nghỉ, ngày làm bù"),
                 "Notification": _l("Thông báo")}


def _parse_day_arg(name: str, label: str, errors: list[str]) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_form_date(text)
    except ValueError:
        errors.append(_("%(field)s: ngày «%(text)s» không hợp lệ; hãy ghi theo dạng dd/mm/yyyy", field=label,
                        text=text))
        return None


@bp.route("/audit")
@require("view_audit")
def audit():
    """The audit log, newest first, filtered by entity type, user and local date range."""
    errors: list[str] = []
    entity_type = request.args.get("entity", "").strip()
    user_id = int_arg("user") or 0
    day_from = _parse_day_arg("from", _("Từ ngày"), errors)
    day_to = _parse_day_arg("to", _("Đến ngày"), errors)
    if day_from and day_to and day_to < day_from:
        errors.append(_("Đến ngày: không được trước «Từ ngày»"))
        day_from = day_to = None
    found = audit_service.audit_page(entity_type=entity_type, user_id=user_id, day_from=day_from, day_to=day_to,
                                     page=page_arg(), per_page=current_app.config["PER_PAGE"])
    return render_template(
        "admin/audit.html", rows=found.rows, pagination=found.pagination, errors=errors,
        entity_choices=[(code, str(ENTITY_LABELS.get(code, code))) for code in found.entity_types],
        actor_choices=found.actors, entity_type=entity_type, user_id=user_id,
        day_from=request.args.get("from", ""), day_to=request.args.get("to", ""))
