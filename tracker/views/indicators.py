"""Indicators: bottlenecks (điểm nghẽn), results, frameworks, indicator and unit pages, imports, links, reports.

Each view parses the address and the form, calls tracker.services (the pages' reading is in
tracker.services.indicator_pages), and renders; writes go through `with saving():`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from forms.indicator import (
    BulkLinksForm,
    FrameworkUploadForm,
    ImportUploadForm,
    LinksForm,
    PostForm,
    mapping_form,
    ratio_form,
)
from models import ScoreImport
from tracker import clock
from tracker.charts import bar_chart, trend_chart
from tracker.domain.periods import PeriodError
from tracker.pagination import ListPage
from tracker.permissions import can, can_see_unit, require, viewer_required
from tracker.request_input import int_arg, page_arg
from tracker.services import frameworks as frameworks_service
from tracker.services import indicator_links, indicator_pages, score_import
from tracker.services.frameworks import FrameworkError, FrameworkLoadError
from tracker.services.indicator_links import LinkError
from tracker.services.periods import ScoreError, get_or_create_period, period_or_unsaved, scored_frameworks
from tracker.services.score_import import ImportRefused, ScoreImportError
from tracker.services.score_writes import save_ratio_figures
from tracker.views.saving import saving

bp = Blueprint("indicators", __name__, url_prefix="/indicators")

BOTTLENECKS_PER_PAGE = 15
RESULTS_PER_PAGE = 30
LINKS_PER_PAGE = 50


@contextmanager
def _or_404() -> Iterator[None]:
    """A framework, period, unit kind or record named in the address that does not exist: the 404 page."""
    try:
        yield
    except indicator_pages.NotFound:
        abort(404)


def _upload_folder():
    return score_import.import_folder(current_app.config["UPLOAD_FOLDER"])


def _selection() -> indicator_pages.Selection:
    """Framework and period chosen by the query string, else the latest results; 404 for unknown codes."""
    with _or_404():
        return indicator_pages.choose(request.args.get("framework"), request.args.get("period"))


# ---------------------------------------------------------------------------------------------- reading


@bp.route("/")
@viewer_required
def index():
    if can(current_user, "view_all"):
        return redirect(url_for("indicators.bottlenecks"))
    return redirect(url_for("indicators.scorecard", unit_id=current_user.unit_id))


@bp.route("/bottlenecks")
@require("view_all")
def bottlenecks():
    chosen = _selection()
    kinds = indicator_pages.unit_kinds()
    with _or_404():
        kind = indicator_pages.bottleneck_kind(request.args.get("kind"), kinds)
    if chosen.framework is None or chosen.period is None:
        return render_template("indicators/bottlenecks.html", framework=None, frameworks=[], kinds=kinds)
    found = indicator_pages.bottlenecks(chosen.framework, chosen.period, kind, "kind" in request.args)
    page = ListPage.of(found.items, page_arg(), BOTTLENECKS_PER_PAGE)
    return render_template(
        "indicators/bottlenecks.html", framework=chosen.framework, period=chosen.period, periods=chosen.periods,
        kinds=kinds, kind=found.kind, frameworks=scored_frameworks(), page=page, total_lost=found.total_lost,
        nodes_losing=found.nodes_losing, late_tasks=found.late_tasks,
        chart=bar_chart(_("Điểm bị mất theo chỉ tiêu"), [f"{i.node.code} {i.node.name}" for i in page.items],
                        [i.lost for i in page.items]) if page.items else "",
    )


@bp.route("/results")
@require("view_all")
def results():
    chosen = _selection()
    kinds = indicator_pages.unit_kinds()
    framework, period = chosen.framework, chosen.period
    if framework is None or period is None:
        return render_template("indicators/results.html", framework=None, frameworks=[], kinds=kinds)
    with _or_404():
        found = indicator_pages.results(framework, period, request.args.get("kind"), kinds)
    page = ListPage.of(found.rows, page_arg(), RESULTS_PER_PAGE)
    return render_template(
        "indicators/results.html", framework=framework, period=period, periods=chosen.periods, kinds=kinds,
        kind=found.kind, present=found.present, frameworks=scored_frameworks(), page=page, groups=found.groups,
        summary=found.summary, previous=found.previous,
        chart=bar_chart(_("Tổng điểm"), [r.unit.name for r in page.items], [r.total for r in page.items],
                        max_value=framework.max_total) if page.items else "",
    )


@bp.route("/frameworks")
@viewer_required
def frameworks():
    return render_template("indicators/frameworks.html", summaries=frameworks_service.framework_summaries())


@bp.route("/frameworks/<code>")
@viewer_required
def framework(code: str):
    framework = frameworks_service.by_code(code) or abort(404)
    found = indicator_pages.framework_page(framework)
    return render_template("indicators/framework.html", framework=framework, nodes=found.nodes,
                           responsible=found.responsible, link_counts=found.link_counts, periods=found.periods)


@bp.route("/frameworks/load", methods=["GET", "POST"])
@require("manage_frameworks")
def load_framework():
    form = FrameworkUploadForm()
    problems: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            with saving():
                text = upload.read().decode("utf-8")
                outcome = frameworks_service.load_framework_text(text, upload.filename or "bo-chi-so.yaml",
                                                                 current_user)
        except UnicodeDecodeError:
            form.file.errors.append(_("Tệp phải là văn bản UTF-8 (.yaml)"))
        except FrameworkError as error:
            problems = error.problems
        except FrameworkLoadError as error:
            problems = [str(error)]
        else:
            flash(outcome.line(), "success")
            return redirect(url_for("indicators.framework", code=outcome.framework.code))
    status = 400 if request.method == "POST" else 200
    return render_template("indicators/framework_load.html", form=form, problems=problems), status


@bp.route("/nodes/<int:node_id>")
@require("view_all")
def node(node_id: int):
    with _or_404():
        node = indicator_pages.get_node(node_id)
        if node.is_total:
            return redirect(url_for("indicators.results", framework=node.framework.code))
        found = indicator_pages.node_page(node, request.args.get("period"), page_arg(),
                                          current_app.config["PER_PAGE"], clock.today())
    chart = ""
    if found.trend:
        chart = trend_chart(_("%(code)s: điểm trung bình theo kỳ (tối đa %(max)s)", code=node.code,
                              max=f"{node.max_points.normalize():f}".replace(".", ",")),
                            [label for label, _average in found.trend],
                            {_("Trung bình các đơn vị"): [average for _label, average in found.trend]},
                            max_value=node.max_points)
    return render_template(
        "indicators/node.html", node=node, framework=node.framework, period=found.period, periods=found.periods,
        page=found.page, chart=chart, responsible_names=found.responsible_names, children=found.children,
        ancestors=found.ancestors, activities=found.activities, summary=found.summary,
    )


@bp.route("/units/<int:unit_id>")
@viewer_required
def scorecard(unit_id: int):
    with _or_404():
        unit = indicator_pages.get_unit(unit_id)
        if not can_see_unit(current_user, unit.id):
            abort(403)
        card = indicator_pages.scorecard(unit, request.args.get("framework"), request.args.get("period"))
    ratio_frameworks = indicator_pages.ratio_frameworks()
    if card.framework is None:
        return render_template("indicators/scorecard.html", unit=unit, framework=None, available=card.available,
                               ratio_frameworks=ratio_frameworks)
    if card.period is None:
        return render_template("indicators/scorecard.html", unit=unit, framework=card.framework,
                               available=card.available, periods=card.periods, period=None,
                               ratio_frameworks=ratio_frameworks)
    chart = ""
    if len(card.trend) >= 2:
        chart = trend_chart(_("Tỷ lệ điểm đạt được theo kỳ (%)"), [label for label, _value in card.trend],
                            {_("Tỷ lệ"): [value for _label, value in card.trend]}, max_value=100)
    return render_template(
        "indicators/scorecard.html", unit=unit, framework=card.framework, available=card.available,
        periods=card.periods, period=card.period, result=card.result, rows=card.rows, lost=card.lost, chart=chart,
        total_score=card.total_score,
        can_enter_figures=can(current_user, "enter_ratio_figures") and can_see_unit(current_user, unit.id),
        ratio_frameworks=ratio_frameworks,
    )


@bp.route("/units/<int:unit_id>/report", methods=["GET", "POST"])
@require("enter_ratio_figures")
def ratio_figures(unit_id: int):
    with _or_404():
        unit = indicator_pages.get_unit(unit_id)
    if not can_see_unit(current_user, unit.id):
        abort(403)
    label = request.args.get("period") or str(clock.today().year)
    try:
        # a GET never writes: a period not yet in the database is shown unsaved; saving the form creates it
        period = get_or_create_period(label) if request.method == "POST" else period_or_unsaved(label)
    except PeriodError:
        abort(404)
    with _or_404():
        found = indicator_pages.ratio_figures_form(unit, request.args.get("framework"), period)
    framework, nodes = found.framework, found.nodes
    form = ratio_form(nodes, formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        for node_id, score in found.current.items():
            getattr(form, f"b_{node_id}").data = score.numerator
            getattr(form, f"a_{node_id}").data = score.denominator
    if request.method == "POST" and form.validate():
        by_id = {n.id: n for n in nodes}
        try:
            with saving():
                for node_id, (numerator, denominator) in form.ratio_values().items():
                    save_ratio_figures(current_user, unit, by_id[node_id], period, numerator=numerator,
                                       denominator=denominator, note=form.note.data or "")
        except ScoreError as error:
            form.note.errors.append(str(error))
        else:
            flash(_("Đã lưu số liệu kỳ %(period)s; điểm được tính theo công thức của bộ chỉ số", period=period.label),
                  "success")
            return redirect(url_for("indicators.scorecard", unit_id=unit.id, framework=framework.code,
                                    period=period.label))
    status = 400 if request.method == "POST" else 200
    return render_template("indicators/report.html", unit=unit, framework=framework, period=period, nodes=nodes,
                           form=form, current=found.current, frameworks=indicator_pages.ratio_frameworks()), status


# ------------------------------------------------------------------------------------------------ imports


@bp.route("/import", methods=["GET", "POST"])
@require("manage_indicators")
def start_import():
    form = ImportUploadForm()
    form.framework.choices = [SelectChoice(f.code, f"{f.code} · {f.name}") for f in indicator_pages.all_frameworks()]
    form.scope.choices = [SelectChoice("", _("Tất cả đơn vị"))] + [
        SelectChoice(str(unit_id), name) for unit_id, name in indicator_pages.top_units()]
    if request.method == "GET":
        root = indicator_pages.own_root(current_user.unit_id)
        form.scope.data = str(root) if root is not None else ""
    if form.validate_on_submit():
        framework = frameworks_service.by_code(form.framework.data) or abort(400)
        upload = form.file.data
        scope = int(form.scope.data) if (form.scope.data or "").isdigit() else None
        try:
            with saving():
                record = score_import.start_import(
                    current_user, framework, form.period.data, upload.filename or "bang-ket-qua", upload.read(),
                    _upload_folder(), source=form.source.data or "", sheet=form.sheet.data or None,
                    scope_unit_id=scope)
        except ScoreImportError as error:
            form.file.errors.append(str(error))
        else:
            return redirect(url_for("indicators.import_preview", import_id=record.id))
    status = 400 if request.method == "POST" else 200
    return render_template("indicators/import_start.html", form=form), status


@bp.route("/imports")
@require("manage_indicators")
def imports():
    page = indicator_pages.imports_page(page_arg(), current_app.config["PER_PAGE"])
    return render_template("indicators/imports.html", page=page)


def _load_import(import_id: int) -> ScoreImport:
    with _or_404():
        return indicator_pages.get_import(import_id)


def _render_preview(record: ScoreImport, check, status: int = 200, refused: list | None = None, form=None):
    choices = score_import.field_choices(record.framework)
    form = form or mapping_form(check.header_cells(), choices)
    units = {ref.code: ref for ref in score_import.matcher_for(record.scope_unit_id).refs}
    return render_template("indicators/import_preview.html", record=record, check=check, form=form,
                           confirm_form=PostForm(), units=units, refused=refused or [],
                           columns=check.header_cells(), choices=dict(choices)), status


@bp.route("/imports/<int:import_id>")
@require("manage_indicators")
def import_preview(import_id: int):
    record = _load_import(import_id)
    try:
        check = score_import.check_import(record, _upload_folder())
    except (ScoreImportError, ValueError, OSError) as error:
        flash(_("Không đọc lại được tệp đã tải lên: %(error)s", error=str(error)), "danger")
        return redirect(url_for("indicators.imports"))
    return _render_preview(record, check)


@bp.route("/imports/<int:import_id>/mapping", methods=["POST"])
@require("manage_indicators")
def import_mapping(import_id: int):
    record = _load_import(import_id)
    check = score_import.check_import(record, _upload_folder())
    choices = score_import.field_choices(record.framework)
    form = mapping_form(check.header_cells(), choices, formdata=request.form)
    if not form.validate():
        return _render_preview(record, check, 400, form=form)
    columns = {index: getattr(form, f"col_{index}").data for index, _h, _c in check.header_cells()}
    try:
        with saving():
            check = score_import.set_mapping(current_user, record, columns, _upload_folder())
    except (ScoreImportError, ValueError) as error:
        flash(str(error), "danger")
        return _render_preview(record, score_import.check_import(record, _upload_folder()), 400)
    flash(_("Đã áp dụng ánh xạ cột; xem lại kết quả kiểm tra bên dưới"), "success")
    return redirect(url_for("indicators.import_preview", import_id=record.id))


@bp.route("/imports/<int:import_id>/confirm", methods=["POST"])
@require("manage_indicators")
def import_confirm(import_id: int):
    record = _load_import(import_id)
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with saving():
            saved = score_import.confirm_import(current_user, record, _upload_folder())
    except ImportRefused as refusal:
        flash(_("Không nhập: bảng còn %(n)s lỗi; chưa lưu dòng nào", n=len(refusal.messages)), "danger")
        return _render_preview(record, score_import.check_import(record, _upload_folder()), 400,
                               refused=refusal.messages)
    except ScoreImportError as error:
        flash(str(error), "danger")
        return redirect(url_for("indicators.import_preview", import_id=record.id)), 409
    flash(_("Đã nhập %(n)s điểm số vào %(code)s kỳ %(period)s", n=saved, code=record.framework.code,
            period=record.period.label), "success")
    return redirect(url_for("indicators.results", framework=record.framework.code, period=record.period.label))


@bp.route("/imports/<int:import_id>/file")
@require("manage_indicators")
def import_file(import_id: int):
    record = _load_import(import_id)
    path = _upload_folder() / record.stored_name
    if not path.is_file():
        abort(404)
    return send_file(path, as_attachment=True, download_name=record.original_name)


# ------------------------------------------------------------------------------------------------- links


@bp.route("/activities/<int:activity_id>/links", methods=["GET", "POST"])
@require("manage_indicators")
def activity_links(activity_id: int):
    with _or_404():
        found = indicator_pages.activity_links(activity_id)
    activity = found.activity
    form = LinksForm()
    form.nodes.choices = [SelectChoice(n.id, f"{n.code} · {n.name}") for n in found.nodes]
    current = {link.node_id for link in indicator_links.links_of(activity.id)}
    if request.method == "GET":
        form.nodes.data = sorted(current)
    if form.validate_on_submit():
        try:
            with saving():
                added, removed = indicator_links.set_links(current_user, activity, set(form.nodes.data or []),
                                                           form.note.data or "")
        except LinkError as error:
            form.nodes.errors.append(str(error))
        else:
            flash(_("Đã lưu liên kết: thêm %(a)s, bỏ %(r)s", a=added, r=removed), "success")
            return redirect(url_for("indicators.activity_links", activity_id=activity.id))
    status = 400 if request.method == "POST" else 200
    return render_template("indicators/activity_links.html", activity=activity, frameworks=found.frameworks,
                           nodes=found.nodes, form=form, current=current,
                           label=indicator_links.activity_label(activity)), status


@bp.route("/links", methods=["GET", "POST"])
@require("manage_indicators")
def bulk_links():
    found = indicator_pages.bulk_links(int_arg("node"), int_arg("plan"), request.args.get("framework", ""),
                                       page_arg(), LINKS_PER_PAGE)
    node, form = found.node, BulkLinksForm()
    if found.page is not None:
        scope_ids = {a.id for a in found.page.items}
        form.activities.choices = [SelectChoice(a.id, a.number) for a in found.page.items]
        if request.method == "GET":
            form.activities.data = sorted(found.linked)
        if form.validate_on_submit():
            try:
                with saving():
                    added, removed = indicator_links.set_node_activities(current_user, node,
                                                                         set(form.activities.data or []), scope_ids)
            except LinkError as error:
                form.activities.errors.append(str(error))
            else:
                flash(_("Đã lưu liên kết với %(code)s: thêm %(a)s, bỏ %(r)s", code=node.code, a=added, r=removed),
                      "success")
                return redirect(request.full_path)
    elif request.method == "POST":
        abort(400)
    status = 400 if request.method == "POST" else 200
    return render_template("indicators/bulk_links.html", frameworks=found.frameworks, framework=found.framework,
                           nodes=found.nodes, node=node, plans=found.plans, plan=found.plan, page=found.page,
                           form=form, linked=found.linked), status
