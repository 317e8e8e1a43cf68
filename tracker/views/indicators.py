"""Indicators: bottlenecks (điểm nghẽn), results, frameworks, indicator and unit pages, imports, links, reports."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
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
from models import (
    Activity,
    ActivityIndicator,
    Framework,
    FrameworkNode,
    Period,
    Plan,
    Score,
    ScoreImport,
    Task,
    TaskGroup,
    Unit,
    UnitKind,
    db,
)
from tracker import clock
from tracker.charts import bar_chart, trend_chart
from tracker.domain.periods import PeriodError
from tracker.domain.scoring import percent_of_max
from tracker.pagination import ListPage
from tracker.permissions import can, can_see_unit, require, viewer_required
from tracker.request_input import int_arg, page_arg
from tracker.services import frameworks as frameworks_service
from tracker.services import indicator_links, score_import, scores
from tracker.services.frameworks import FrameworkError, FrameworkLoadError
from tracker.services.indicator_links import LinkError
from tracker.services.score_import import ImportRefused, ScoreImportError
from tracker.services.scores import ScoreError

bp = Blueprint("indicators", __name__, url_prefix="/indicators")

BOTTLENECKS_PER_PAGE = 15
RESULTS_PER_PAGE = 30
LINKS_PER_PAGE = 50


def _upload_folder():
    return score_import.import_folder(current_app.config["UPLOAD_FOLDER"])


def _selection(framework_code: str | None = None) -> tuple[Framework | None, Period | None, list[Period]]:
    """Framework and period chosen by the query string, else the latest results; 404 for unknown codes."""
    code = framework_code or request.args.get("framework")
    label = request.args.get("period")
    if code:
        framework = frameworks_service.by_code(code) or abort(404)
    else:
        latest = scores.latest_context()
        if latest is None:
            return None, None, []
        framework = latest[0]
    periods = scores.scored_periods(framework.id)
    period = None
    if label:
        try:
            period = scores.find_period(label)
        except PeriodError:
            abort(404)
        if period is None:
            abort(404)
    elif periods:
        period = periods[0]
    return framework, period, periods


def _scored_frameworks() -> list[Framework]:
    """Frameworks with at least one score, for the selectors."""
    return scores.scored_frameworks()


def _kinds() -> dict[str, str]:
    return dict(db.session.execute(select(UnitKind.code, UnitKind.name).order_by(UnitKind.sort_order)).all())


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
    framework, period, periods = _selection()
    kinds = _kinds()
    # by default the province's own results: summing every kind would count a point lost twice
    # (once by the province, once by the units whose work makes it up); "" chooses all kinds
    default_kind = "province" if "province" in kinds else None
    kind = request.args.get("kind", default_kind) or None
    if kind is not None and kind not in kinds:
        abort(404)
    if framework is None or period is None:
        return render_template("indicators/bottlenecks.html", framework=None, frameworks=[], kinds=kinds)
    items = scores.lost_points_for(framework, period, kind=kind)
    if not items and "kind" not in request.args and kind is not None:
        kind = None  # the period has no province-level results: show every kind that has some
        items = scores.lost_points_for(framework, period, kind=None)
    page = ListPage.of(items, page_arg(), BOTTLENECKS_PER_PAGE)
    late_tasks = len({a.id for item in items for a in item.late_activities})
    return render_template(
        "indicators/bottlenecks.html", framework=framework, period=period, periods=periods, kinds=kinds, kind=kind,
        frameworks=_scored_frameworks(), page=page, total_lost=sum((i.lost for i in items), Decimal(0)),
        nodes_losing=sum(1 for i in items if i.lost > 0), late_tasks=late_tasks,
        chart=bar_chart(_("Điểm bị mất theo chỉ tiêu"), [f"{i.node.code} {i.node.name}" for i in page.items],
                        [i.lost for i in page.items]) if page.items else "",
    )


@bp.route("/results")
@require("view_all")
def results():
    framework, period, periods = _selection()
    kinds = _kinds()
    if framework is None or period is None:
        return render_template("indicators/results.html", framework=None, frameworks=[], kinds=kinds)
    rows, previous = scores.period_results(framework, period)
    groups = [n for n in frameworks_service.tree_nodes(framework.id) if n.parent_id is None]
    present = [code for code in kinds if any(r.unit.kind_code == code for r in rows)]
    kind = request.args.get("kind") or (present[0] if present else None)
    if kind is not None and kind not in kinds:
        abort(404)
    chosen = [r for r in rows if r.unit.kind_code == kind]
    page = ListPage.of(chosen, page_arg(), RESULTS_PER_PAGE)
    return render_template(
        "indicators/results.html", framework=framework, period=period, periods=periods, kinds=kinds, kind=kind,
        present=present, frameworks=_scored_frameworks(), page=page, groups=groups,
        summary=scores.band_summary_from(rows, framework, kind) if kind else [], previous=previous,
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
    nodes = frameworks_service.tree_nodes(framework.id)
    link_counts = dict(db.session.execute(
        select(ActivityIndicator.node_id, func.count(ActivityIndicator.id))
        .where(ActivityIndicator.node_id.in_([n.id for n in nodes])).group_by(ActivityIndicator.node_id)).all())
    return render_template("indicators/framework.html", framework=framework, nodes=nodes,
                           responsible=frameworks_service.effective_responsible(nodes), link_counts=link_counts,
                           periods=scores.scored_periods(framework.id))


@bp.route("/frameworks/load", methods=["GET", "POST"])
@require("manage_frameworks")
def load_framework():
    form = FrameworkUploadForm()
    problems: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = upload.read().decode("utf-8")
            outcome = frameworks_service.load_framework_text(text, upload.filename or "bo-chi-so.yaml", current_user)
        except UnicodeDecodeError:
            db.session.rollback()
            form.file.errors.append(_("Tệp phải là văn bản UTF-8 (.yaml)"))
        except FrameworkError as error:
            db.session.rollback()
            problems = error.problems
        except FrameworkLoadError as error:
            db.session.rollback()
            problems = [str(error)]
        else:
            db.session.commit()
            flash(outcome.line(), "success")
            return redirect(url_for("indicators.framework", code=outcome.framework.code))
    status = 400 if request.method == "POST" else 200
    return render_template("indicators/framework_load.html", form=form, problems=problems), status


@bp.route("/nodes/<int:node_id>")
@require("view_all")
def node(node_id: int):
    node = db.session.get(FrameworkNode, node_id) or abort(404)
    if node.is_total:
        return redirect(url_for("indicators.results", framework=node.framework.code))
    framework = node.framework
    periods = scores.scored_periods(framework.id)
    period = _period_arg(periods)
    page = None
    if period is not None:
        query = (select(Score).where(Score.node_id == node.id, Score.period_id == period.id)
                 .options(joinedload(Score.unit)).order_by(Score.points.asc().nulls_last(), Score.unit_id))
        page = db.paginate(query, page=page_arg(),
                           per_page=current_app.config["PER_PAGE"], error_out=False)
    # trend: the average over units per period, oldest first (one query)
    trend = db.session.execute(
        select(Period.label, func.avg(Score.points), func.count(Score.id)).join(Score, Score.period_id == Period.id)
        .where(Score.node_id == node.id, Score.points.is_not(None))
        .group_by(Period.id, Period.label, Period.start, Period.end).order_by(Period.start, Period.end)).all()
    chart = ""
    if trend:
        chart = trend_chart(_("%(code)s: điểm trung bình theo kỳ (tối đa %(max)s)", code=node.code,
                              max=f"{node.max_points.normalize():f}".replace(".", ",")),
                            [label for label, _avg, _n in trend],
                            {_("Trung bình các đơn vị"): [Decimal(str(avg)) for _l, avg, _n in trend]},
                            max_value=node.max_points)
    all_nodes = frameworks_service.tree_nodes(framework.id)
    responsible_names = frameworks_service.effective_responsible(all_nodes).get(node.id, [])
    children = [n for n in all_nodes if n.parent_id == node.id]
    ancestors = []
    by_id = {n.id: n for n in all_nodes}
    parent = by_id.get(node.parent_id)
    while parent is not None:
        ancestors.insert(0, parent)
        parent = by_id.get(parent.parent_id)
    activities = scores.linked_activities([node.id], clock.today()).get(node.id, [])
    return render_template(
        "indicators/node.html", node=node, framework=framework, period=period, periods=periods, page=page,
        chart=chart, responsible_names=responsible_names, children=children, ancestors=ancestors,
        activities=activities, summary=_node_summary(node, period),
    )


def _period_arg(periods: list[Period]) -> Period | None:
    """The period named by ?period= (404 when unknown), else the latest of `periods`."""
    label = request.args.get("period")
    if not label:
        return periods[0] if periods else None
    try:
        period = scores.find_period(label)
    except PeriodError:
        abort(404)
    return period or abort(404)


def _node_summary(node: FrameworkNode, period: Period | None) -> dict | None:
    """Units scored, average and points lost on the node in the period (one query)."""
    if period is None:
        return None
    count, average, lost = db.session.execute(
        select(func.count(Score.id), func.avg(Score.points), func.sum(node.max_points - Score.points))
        .where(Score.node_id == node.id, Score.period_id == period.id, Score.points.is_not(None))).one()
    return {"count": count, "average": Decimal(str(average)) if average is not None else None,
            "lost": Decimal(str(lost)) if lost is not None else Decimal(0)}


@bp.route("/units/<int:unit_id>")
@viewer_required
def scorecard(unit_id: int):
    unit = db.session.get(Unit, unit_id) or abort(404)
    if not can_see_unit(current_user, unit.id):
        abort(403)
    available = list(db.session.scalars(select(Framework).where(Framework.id.in_(
        select(Score.framework_id).where(Score.unit_id == unit.id).distinct())).order_by(Framework.kind,
                                                                                          Framework.code.desc())))
    code = request.args.get("framework")
    framework = (frameworks_service.by_code(code) or abort(404)) if code else (available[0] if available else None)
    if framework is None:
        return render_template("indicators/scorecard.html", unit=unit, framework=None, available=available,
                               ratio_frameworks=_ratio_frameworks())
    periods = list(db.session.scalars(select(Period).where(Period.id.in_(
        select(Score.period_id).where(Score.unit_id == unit.id, Score.framework_id == framework.id)))
        .order_by(Period.start.desc(), Period.end.desc())))
    period = _period_arg(periods)
    if period is None:
        return render_template("indicators/scorecard.html", unit=unit, framework=framework, available=available,
                               periods=periods, period=None, ratio_frameworks=_ratio_frameworks())
    # ranks need every unit's groups; the node table needs this unit's every node (now and the period before)
    results, previous = scores.period_results(framework, period)
    result = next((r for r in results if r.unit.id == unit.id), None)
    data = scores.load_period_data(framework, period, unit_ids=[unit.id])
    own = data.values.get(unit.id, {})
    before_by_code = {}
    if previous is not None:
        mine = scores.load_period_data(previous.framework, previous.period, unit_ids=[unit.id])
        before_by_code = {node.code: value for node in mine.nodes
                          if (value := mine.value(unit.id, node)) is not None}
    details = dict(db.session.execute(
        select(Score.node_id, Score).where(Score.unit_id == unit.id, Score.period_id == period.id,
                                           Score.framework_id == framework.id)).all())
    rows = []
    for node in data.nodes:
        value = data.value(unit.id, node)
        score = details.get(node.id)
        if value is None and score is None:
            continue
        rows.append({"node": node, "value": value, "stored": node.id in own, "score": score,
                     "lost": node.max_points - value if value is not None else None,
                     "percent": percent_of_max(value, node.max_points) if value is not None else None,
                     "before": before_by_code.get(node.code)})
    lost = [item for item in scores.lost_points_for(framework, period, unit_id=unit.id) if item.lost > 0][:10]
    trend = _unit_trend(unit.id, framework)
    return render_template(
        "indicators/scorecard.html", unit=unit, framework=framework, available=available, periods=periods,
        period=period, result=result, rows=rows, lost=lost, chart=trend,
        total_score=details.get(frameworks_service.total_node(framework.id).id),
        can_report=can(current_user, "report_scores") and can_see_unit(current_user, unit.id),
        ratio_frameworks=_ratio_frameworks(),
    )


def _ratio_frameworks() -> list[Framework]:
    """Frameworks with ratio indicators units may report."""
    return list(db.session.scalars(select(Framework).where(Framework.id.in_(
        select(FrameworkNode.framework_id).where(FrameworkNode.formula.is_not(None)))).order_by(Framework.code)))


def _unit_trend(unit_id: int, framework: Framework) -> str:
    """The unit's total per period in frameworks of the same kind (percent of max when maxima differ)."""
    rows = db.session.execute(
        select(Period.label, Period.start, Period.end, Framework.max_total, Score.node_id, FrameworkNode.is_total,
               FrameworkNode.parent_id, Score.points)
        .join(Score, Score.period_id == Period.id).join(Framework, Framework.id == Score.framework_id)
        .join(FrameworkNode, FrameworkNode.id == Score.node_id)
        .where(Score.unit_id == unit_id, Framework.kind == framework.kind, Score.points.is_not(None),
               (FrameworkNode.parent_id.is_(None)))
        .order_by(Period.start, Period.end)).all()
    per_period: dict[str, dict] = {}
    for label, _start, _end, max_total, _node_id, is_total, _parent, points in rows:
        item = per_period.setdefault(label, {"max": max_total, "groups": Decimal(0), "total": None})
        if is_total:
            item["total"] = Decimal(points)
        else:
            item["groups"] += Decimal(points)
    if len(per_period) < 2:
        return ""
    labels = list(per_period)
    values = [percent_of_max(item["total"] if item["total"] is not None else item["groups"], item["max"])
              for item in per_period.values()]
    return trend_chart(_("Tỷ lệ điểm đạt được theo kỳ (%)"), labels, {_("Tỷ lệ"): values}, max_value=100)


@bp.route("/units/<int:unit_id>/report", methods=["GET", "POST"])
@require("report_scores")
def report(unit_id: int):
    unit = db.session.get(Unit, unit_id) or abort(404)
    if not can_see_unit(current_user, unit.id):
        abort(403)
    code = request.args.get("framework")
    framework = (frameworks_service.by_code(code) or abort(404)) if code else next(iter(_ratio_frameworks()), None)
    if framework is None:
        abort(404)
    label = request.args.get("period") or str(clock.today().year)
    try:
        # a GET never writes: a period not yet in the database is shown unsaved; saving the form creates it
        period = scores.get_or_create_period(label) if request.method == "POST" else scores.period_or_unsaved(label)
    except PeriodError:
        abort(404)
    nodes = [n for n in frameworks_service.tree_nodes(framework.id) if n.is_ratio]
    current = {} if period.id is None else {s.node_id: s for s in db.session.scalars(select(Score).where(
        Score.unit_id == unit.id, Score.period_id == period.id, Score.node_id.in_([n.id for n in nodes])))}
    form = ratio_form(nodes, formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        for node_id, score in current.items():
            getattr(form, f"b_{node_id}").data = score.numerator
            getattr(form, f"a_{node_id}").data = score.denominator
    if request.method == "POST" and form.validate():
        by_id = {n.id: n for n in nodes}
        try:
            for node_id, (numerator, denominator) in form.ratio_values().items():
                scores.report_ratio(current_user, unit, by_id[node_id], period, numerator=numerator,
                                    denominator=denominator, note=form.note.data or "")
        except ScoreError as error:
            db.session.rollback()
            form.note.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã lưu số liệu kỳ %(period)s; điểm được tính theo công thức của bộ chỉ số", period=period.label),
                  "success")
            return redirect(url_for("indicators.scorecard", unit_id=unit.id, framework=framework.code,
                                    period=period.label))
    status = 400 if request.method == "POST" else 200
    return render_template("indicators/report.html", unit=unit, framework=framework, period=period, nodes=nodes,
                           form=form, current=current, frameworks=_ratio_frameworks()), status


# ------------------------------------------------------------------------------------------------ imports


def _scope_choices() -> list[SelectChoice]:
    roots = db.session.execute(select(Unit.id, Unit.name).where(Unit.parent_id.is_(None))
                               .order_by(Unit.sort_order, Unit.id)).all()
    return [SelectChoice("", _("Tất cả đơn vị"))] + [SelectChoice(str(unit_id), name) for unit_id, name in roots]


def _own_root() -> int | None:
    roots = scores.root_ids_of([current_user.unit_id])
    return next(iter(roots), None)


@bp.route("/import", methods=["GET", "POST"])
@require("manage_indicators")
def start_import():
    form = ImportUploadForm()
    form.framework.choices = [SelectChoice(f.code, f"{f.code} · {f.name}") for f in db.session.scalars(
        select(Framework).order_by(Framework.kind, Framework.code))]
    form.scope.choices = _scope_choices()
    if request.method == "GET":
        root = _own_root()
        form.scope.data = str(root) if root is not None else ""
    if form.validate_on_submit():
        framework = frameworks_service.by_code(form.framework.data) or abort(400)
        upload = form.file.data
        scope = int(form.scope.data) if (form.scope.data or "").isdigit() else None
        try:
            record = score_import.start_import(
                current_user, framework, form.period.data, upload.filename or "bang-ket-qua", upload.read(),
                _upload_folder(), source=form.source.data or "", sheet=form.sheet.data or None, scope_unit_id=scope)
        except ScoreImportError as error:
            db.session.rollback()
            form.file.errors.append(str(error))
        else:
            db.session.commit()
            return redirect(url_for("indicators.import_preview", import_id=record.id))
    status = 400 if request.method == "POST" else 200
    return render_template("indicators/import_start.html", form=form), status


@bp.route("/imports")
@require("manage_indicators")
def imports():
    query = (select(ScoreImport).options(joinedload(ScoreImport.framework), joinedload(ScoreImport.period),
                                         joinedload(ScoreImport.created_by))
             .order_by(ScoreImport.created_at.desc(), ScoreImport.id.desc()))
    page = db.paginate(query, page=page_arg(), per_page=current_app.config["PER_PAGE"],
                       error_out=False)
    return render_template("indicators/imports.html", page=page)


def _load_import(import_id: int) -> ScoreImport:
    return db.session.get(ScoreImport, import_id) or abort(404)


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
        check = score_import.set_mapping(current_user, record, columns, _upload_folder())
    except (ScoreImportError, ValueError) as error:
        db.session.rollback()
        flash(str(error), "danger")
        return _render_preview(record, score_import.check_import(record, _upload_folder()), 400)
    db.session.commit()
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
        saved = score_import.confirm_import(current_user, record, _upload_folder())
    except ImportRefused as refusal:
        db.session.rollback()
        flash(_("Không nhập: bảng còn %(n)s lỗi; chưa lưu dòng nào", n=len(refusal.messages)), "danger")
        return _render_preview(record, score_import.check_import(record, _upload_folder()), 400,
                               refused=refusal.messages)
    except ScoreImportError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("indicators.import_preview", import_id=record.id)), 409
    db.session.commit()
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
    activity = db.session.scalar(select(Activity).where(Activity.id == activity_id).options(
        joinedload(Activity.task).joinedload(Task.group), joinedload(Activity.plan))) or abort(404)
    frameworks = list(db.session.scalars(select(Framework).order_by(Framework.kind, Framework.code)))
    nodes = list(db.session.scalars(select(FrameworkNode).where(FrameworkNode.is_total.is_(False))
                                    .order_by(FrameworkNode.framework_id, FrameworkNode.position)))
    form = LinksForm()
    form.nodes.choices = [SelectChoice(n.id, f"{n.code} · {n.name}") for n in nodes]
    current = {link.node_id for link in indicator_links.links_of(activity.id)}
    if request.method == "GET":
        form.nodes.data = sorted(current)
    if form.validate_on_submit():
        try:
            added, removed = indicator_links.set_links(current_user, activity, set(form.nodes.data or []),
                                                       form.note.data or "")
        except LinkError as error:
            db.session.rollback()
            form.nodes.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã lưu liên kết: thêm %(a)s, bỏ %(r)s", a=added, r=removed), "success")
            return redirect(url_for("indicators.activity_links", activity_id=activity.id))
    status = 400 if request.method == "POST" else 200
    return render_template("indicators/activity_links.html", activity=activity, frameworks=frameworks,
                           nodes=nodes, form=form, current=current,
                           label=indicator_links.activity_label(activity)), status


@bp.route("/links", methods=["GET", "POST"])
@require("manage_indicators")
def bulk_links():
    frameworks = list(db.session.scalars(select(Framework).order_by(Framework.kind, Framework.code)))
    plans = list(db.session.scalars(select(Plan).order_by(Plan.year.desc(), Plan.code)))
    node = db.session.get(FrameworkNode, int_arg("node") or 0)
    plan = db.session.get(Plan, int_arg("plan") or 0) or (plans[0] if plans else None)
    framework = node.framework if node else (frameworks_service.by_code(request.args.get("framework", ""))
                                             or (frameworks[0] if frameworks else None))
    nodes = frameworks_service.tree_nodes(framework.id) if framework else []
    form = BulkLinksForm()
    page = None
    linked: set[int] = set()
    if node is not None and plan is not None:
        query = (select(Activity).join(Task, Task.id == Activity.task_id).join(TaskGroup, TaskGroup.id == Task.group_id)
                 .where(Activity.plan_id == plan.id)
                 .options(joinedload(Activity.task).joinedload(Task.group))
                 .order_by(TaskGroup.position, Task.position, Activity.position, Activity.id))
        page = db.paginate(query, page=page_arg(), per_page=LINKS_PER_PAGE,
                           error_out=False)
        scope_ids = {a.id for a in page.items}
        form.activities.choices = [SelectChoice(a.id, a.number) for a in page.items]
        linked = set(db.session.scalars(select(ActivityIndicator.activity_id).where(
            ActivityIndicator.node_id == node.id, ActivityIndicator.activity_id.in_(scope_ids))))
        if request.method == "GET":
            form.activities.data = sorted(linked)
        if form.validate_on_submit():
            try:
                added, removed = indicator_links.set_node_activities(current_user, node,
                                                                     set(form.activities.data or []), scope_ids)
            except LinkError as error:
                db.session.rollback()
                form.activities.errors.append(str(error))
            else:
                db.session.commit()
                flash(_("Đã lưu liên kết với %(code)s: thêm %(a)s, bỏ %(r)s", code=node.code, a=added, r=removed),
                      "success")
                return redirect(request.full_path)
    elif request.method == "POST":
        abort(400)
    status = 400 if request.method == "POST" else 200
    return render_template("indicators/bulk_links.html", frameworks=frameworks, framework=framework, nodes=nodes,
                           node=node, plans=plans, plan=plan, page=page, form=form, linked=linked), status
