"""Plan import: upload a decision's appendix, preview and correct it, confirm; export and clone a plan."""
from io import BytesIO
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import RequestEntityTooLarge

from forms.plan_import import CloneForm, ConfirmForm, PlanUploadForm, PreviewForm
from models import Plan, PlanImport, db
from tracker.permissions import require
from tracker.request_input import page_arg
from tracker.services import plan_import as service
from tracker.services.errors import ConflictError
from tracker.services.plans import issuing_units
from tracker.views.saving import saving

bp = Blueprint("plan_import", __name__, url_prefix="/plan-imports")

#: the inputs of the preview tree are named CELL_PREFIX + key ("cell-a:0:1:2:lead")
CELL_PREFIX = "cell-"
#: an activity's lead decision: the unit picked ("pick-a:0:1:2"), the acceptance checkbox and its presence
PICK_PREFIX, ACCEPT_PREFIX, SHOWN_PREFIX = "pick-", "accept-", "shown-"


def _unit_id(value: str) -> int:
    if not value.isdigit() or len(value) > 9:
        raise service.PlanImportError(_("Đơn vị đã chọn không hợp lệ"))
    return int(value)


def _load_import(import_id: int) -> PlanImport:
    imp = db.session.get(PlanImport, import_id)
    if imp is None:
        abort(404)
    return imp


def _load_plan(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        abort(404)
    return plan


def _upload_root() -> str:
    return current_app.config["UPLOAD_FOLDER"]


def _drafts_page():
    query = (select(PlanImport).options(joinedload(PlanImport.created_by), joinedload(PlanImport.plan))
             .order_by(PlanImport.id.desc()))
    return db.paginate(query, page=page_arg(), per_page=current_app.config["PER_PAGE"],
                       error_out=False)


@bp.route("/", methods=["GET", "POST"])
@require("manage_plans")
def upload():
    limit_mb = service.max_bytes_from(current_app.config) // (1024 * 1024)
    status = 200
    try:
        form = PlanUploadForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = PlanUploadForm(formdata=None)
        # Werkzeug stops reading before the view can: say the limit in words, nothing was stored
        form.file.errors = [_("Tệp vượt giới hạn %(mb)s MB; hãy tách phụ lục hoặc bỏ hình ảnh rồi tải lại.",
                              mb=limit_mb)]
        submitted, status = False, 413
    if submitted:
        upload_file = form.file.data
        content = upload_file.read(service.max_bytes_from(current_app.config) + 1)
        try:
            with saving():
                imp = service.create_preview(
                    current_user, upload_file.filename or "", content, upload_root=_upload_root(),
                    max_bytes=service.max_bytes_from(current_app.config),
                    overrides={"code": form.code.data, "year": form.year.data, "title": form.title.data})
        except service.PlanImportError as error:
            form.file.errors = [str(error)]
            status = 400
        else:
            flash(_("Đã đọc tệp %(name)s. Hãy xem lại, sửa nếu cần rồi xác nhận.", name=imp.filename), "success")
            return redirect(url_for("plan_import.preview", import_id=imp.id))
    elif request.method == "POST" and status == 200:
        status = 400
    return render_template("plan_import/upload.html", form=form, drafts=_drafts_page(), limit_mb=limit_mb), status


def _with_issuers(form: PreviewForm) -> PreviewForm:
    form.issuer_unit.choices = [("", _("— chọn tỉnh —"))] + [(u.code, u.name) for u in issuing_units()]
    return form


def _render_preview(imp: PlanImport, form: PreviewForm, status: int = 200):
    groups = imp.data.get("groups") or []
    group_index = request.args.get("group", 0, type=int)
    if groups and not 0 <= group_index < len(groups):
        abort(404)
    tree = service.preview_tree(imp, group_index) if groups else None
    return render_template("plan_import/preview.html", imp=imp, form=form, confirm_form=ConfirmForm(
        version=imp.version), tree=tree, groups=groups, group_index=group_index, counts=service.tree_counts(imp.data),
        general=[w for w in imp.warnings if not w.get("number") or w["level"] == "error"],
        cell_prefix=CELL_PREFIX, unit_choices=service.unit_choices(imp) if tree else []), status


def _preview_form(imp: PlanImport) -> PreviewForm:
    data = imp.data
    decision = data.get("decision") or {}
    doc_date = decision.get("date") or ""
    shown_date = f"{doc_date[8:10]}/{doc_date[5:7]}/{doc_date[:4]}" if len(doc_date) == 10 else ""
    # formdata=None: after a refused confirmation the posted form is the confirm form, not this one
    return _with_issuers(PreviewForm(
        formdata=None, version=imp.version, code=data.get("code"), title=data.get("title"), year=data.get("year"),
        issuer=data.get("issuer"), issuer_unit=data.get("issuer_unit") or "", doc_type=decision.get("type"),
        doc_number=decision.get("number"), doc_date=shown_date, signer=decision.get("signer")))


@bp.route("/<int:import_id>", methods=["GET", "POST"])
@require("manage_plans")
def preview(import_id: int):
    imp = _load_import(import_id)
    if request.method == "GET":
        return _render_preview(imp, _preview_form(imp))
    form = _with_issuers(PreviewForm())
    if not form.validate_on_submit():
        return _render_preview(imp, form, 400)
    cells = {key[len(CELL_PREFIX):]: value for key, value in request.form.items() if key.startswith(CELL_PREFIX)}
    try:
        with saving():
            picks = {key[len(PICK_PREFIX):]: _unit_id(value) for key, value in request.form.items()
                     if key.startswith(PICK_PREFIX) and value}
            # a checkbox posts nothing when cleared: the page lists the ones it showed
            accepted = {key[len(SHOWN_PREFIX):]: bool(request.form.get(ACCEPT_PREFIX + key[len(SHOWN_PREFIX):]))
                        for key in request.form if key.startswith(SHOWN_PREFIX)}
            changed = service.apply_corrections(current_user, imp, form.meta_values(), cells, form.version.data,
                                                picks=picks, accepted=accepted)
    except ConflictError as error:
        flash(str(error), "danger")
        return _render_preview(_load_import(import_id), form, 409)
    except service.PlanImportError as error:
        flash(str(error), "danger")
        return _render_preview(_load_import(import_id), form, 400)
    flash(_("Đã lưu %(n)s chỉnh sửa; cảnh báo đã được tính lại.", n=changed), "success")
    return redirect(url_for("plan_import.preview", import_id=imp.id, group=request.args.get("group", 0, type=int)))


@bp.route("/<int:import_id>/confirm", methods=["POST"])
@require("manage_plans")
def confirm(import_id: int):
    imp = _load_import(import_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with saving():
            plan, summary = service.commit_import(current_user, imp, form.version.data)
    except ConflictError as error:
        flash(str(error), "danger")
        return _render_preview(_load_import(import_id), _preview_form(_load_import(import_id)), 409)
    except service.PlanImportError as error:
        flash(str(error), "danger")
        return _render_preview(_load_import(import_id), _preview_form(_load_import(import_id)), 400)
    flash(_("Đã nạp kế hoạch %(code)s: %(n)s hoạt động, %(a)s phân công.", code=plan.code, n=summary.activities,
            a=summary.assignments), "success")
    return redirect(url_for("plan_import.plan_tools", plan_id=plan.id))


@bp.route("/<int:import_id>/discard", methods=["POST"])
@require("manage_plans")
def discard(import_id: int):
    imp = _load_import(import_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with saving():
            service.discard_import(current_user, imp, _upload_root())
    except service.PlanImportError as error:
        flash(str(error), "danger")
        return redirect(url_for("plan_import.preview", import_id=import_id))
    flash(_("Đã huỷ bản xem trước %(name)s.", name=imp.filename), "success")
    return redirect(url_for("plan_import.upload"))


@bp.route("/plans/<int:plan_id>")
@require("view_all")
def plan_tools(plan_id: int):
    plan = _load_plan(plan_id)
    return render_template("plan_import/plan_tools.html", plan=plan)


@bp.route("/plans/<int:plan_id>/export.xlsx")
@require("view_all")
def export(plan_id: int):
    plan = _load_plan(plan_id)
    content = service.export_xlsx(plan)
    return send_file(BytesIO(content), as_attachment=True, download_name=f"{plan.code}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/plans/<int:plan_id>/source")
@require("view_all")
def source(plan_id: int):
    plan = _load_plan(plan_id)
    if not plan.source_path:
        abort(404)
    path = (Path(_upload_root()) / plan.source_path).resolve()
    if Path(_upload_root()).resolve() not in path.parents or not path.is_file():
        abort(404)
    return send_file(path, as_attachment=True, download_name=plan.source_filename or path.name)


@bp.route("/plans/<int:plan_id>/clone", methods=["GET", "POST"])
@require("manage_plans")
def clone(plan_id: int):
    plan = _load_plan(plan_id)
    form = CloneForm()
    if request.method == "GET":
        form.code.data = service.suggest_clone_code(plan)
        form.year.data = plan.year + 1
        form.title.data = plan.title.replace(str(plan.year), str(plan.year + 1))
    elif form.validate_on_submit():
        try:
            with saving():
                new_plan, summary = service.clone_plan(current_user, plan, form.code.data, form.year.data,
                                                       form.title.data)
        except service.PlanImportError as error:
            form.code.errors = [str(error)]
        else:
            flash(_("Đã nhân bản thành kế hoạch %(code)s năm %(year)s: %(n)s hoạt động.", code=new_plan.code,
                    year=new_plan.year, n=summary.activities), "success")
            return redirect(url_for("plan_import.plan_tools", plan_id=new_plan.id))
    status = 400 if request.method == "POST" else 200
    return render_template("plan_import/clone.html", plan=plan, form=form), status
