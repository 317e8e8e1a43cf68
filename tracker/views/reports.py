"""Reports: the list, new year-end reports and results notices, progress while the job runs, and downloads."""
from datetime import date
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from forms.report import NoticeForm, RegenerateForm, YearReportForm
from models import Plan, Report, ReportVersion, Unit, db
from tracker import clock, messages
from tracker.domain.formatting import parse_vn_date
from tracker.jobs_queue import enqueue, queue
from tracker.permissions import can, viewer_required
from tracker.request_input import page_arg
from tracker.services import reports as service
from tracker.services.frameworks import all_frameworks
from tracker.services.issuing_body import root_of
from tracker.services.units import tree
from tracker.views.saving import saving

bp = Blueprint("reports", __name__, url_prefix="/reports")
JOB = "jobs.reports.generate_report"
#: a report of 200 units takes seconds; ten minutes covers a busy worker
JOB_TIMEOUT = 600


def _load(report_id: int) -> Report:
    report = db.get_or_404(Report, report_id)
    if not service.can_view(current_user, report):
        abort(403)
    return report


def _version(report: Report, number: int) -> ReportVersion:
    version = db.session.scalar(select(ReportVersion).where(ReportVersion.report_id == report.id,
                                                            ReportVersion.number == number))
    if version is None:
        abort(404)
    return version


def _queue(version: ReportVersion, title: str) -> None:
    """Enqueue the job after the commit (the worker must see the row); record why when Redis is down."""
    job_id = enqueue(JOB, version.id, job_timeout=JOB_TIMEOUT, description=f"Báo cáo: {title}"[:200])
    with saving():
        if job_id is None:
            version.state = "failed"
            version.error = _("Không đưa được việc tạo báo cáo vào hàng đợi (Redis không hoạt động); "
                              "hãy thử lại sau.")
            flash(version.error, "danger")
        else:
            version.job_id = job_id
            flash(_("Đã đưa báo cáo vào hàng đợi; trang sẽ cập nhật khi tệp sẵn sàng."), "success")


@bp.context_processor
def _labels() -> dict:
    return {
        "state_labels": {"queued": _("Đang chờ"), "running": _("Đang tạo"), "done": _("Đã xong"), "failed": _("Lỗi")},
        "setting_labels": {"year": _("Năm"), "plan_codes": _("Kế hoạch"), "unit_code": _("Mã đơn vị"),
                           "framework": _("Bộ chỉ số"), "period": _("Kỳ chỉ số"), "as_of": _("Tính đến ngày")},
    }


# ------------------------------------------------------------------------------------------------ forms


def _framework_choices(blank: str | None) -> list[tuple[str, str]]:
    """The frameworks in the database (loaded from the seed folder or on the admin page), by code."""
    choices = [("", blank)] if blank else []
    return choices + [(fw.code, f"{fw.code} · {fw.name}") for fw in all_frameworks()]


def _year_form(report: Report | None = None) -> YearReportForm:
    data = {}
    if report is not None and request.method == "GET":
        settings, narrative = report.settings, report.narrative
        data = {"year": settings.get("year"), "plans": settings.get("plan_codes") or [],
                "unit": settings.get("unit_code") or "", "framework": settings.get("framework") or "",
                "period": settings.get("period") or "", "formats": report.formats,
                "as_of": date.fromisoformat(settings["as_of"]).strftime("%d/%m/%Y") if settings.get("as_of") else "",
                **{key: narrative.get(key, "") for key in YearReportForm.NARRATIVE_KEYS + YearReportForm.DOC_KEYS}}
    form = YearReportForm(data=data) if data else YearReportForm()
    plans = db.session.execute(select(Plan.code, Plan.title, Plan.year).order_by(Plan.year.desc(), Plan.code)).all()
    form.plans.choices = [(code, f"{year} · {code} · {title[:90]}") for code, title, year in plans]
    if can(current_user, "manage_reports"):
        form.unit.choices = [("", _("Toàn tỉnh"))] + [(unit.code, "— " * depth + unit.name) for unit, depth in tree()]
    else:
        own = current_user.unit
        form.unit.choices = [(own.code, own.name)]
        if request.method == "GET":
            form.unit.data = own.code
    form.framework.choices = _framework_choices(_("Tự chọn theo năm (Bộ chỉ số 766)"))
    return form


def _notice_form(report: Report | None = None) -> NoticeForm:
    data = {}
    if report is not None and request.method == "GET":
        data = {"framework": report.settings.get("framework"), "period": report.settings.get("period"),
                "formats": report.formats,
                **{key: report.narrative.get(key, "") for key in NoticeForm.NARRATIVE_KEYS + NoticeForm.DOC_KEYS}}
    form = NoticeForm(data=data) if data else NoticeForm()
    form.framework.choices = _framework_choices(None)
    return form


def _year_settings(form: YearReportForm) -> service.YearSettings:
    as_of = parse_vn_date(form.as_of.data) if form.as_of.data else None
    return service.YearSettings(year=form.year.data, plan_codes=list(form.plans.data or []),
                                unit_code=form.unit.data or None, framework=form.framework.data or None,
                                period=form.period.data or None, as_of=as_of)


def _texts(form, keys) -> dict:
    return {key: getattr(form, key).data or "" for key in keys}


def _stored_title(report: Report) -> str:
    """The title kept on the row (Vietnamese, like the documents); pages render it in the reader's language."""
    with force_locale("vi"):
        return messages.report_title(report)


def _save_year(form: YearReportForm, report: Report | None):
    """Validate the settings against the data; returns the report, or None after adding the form error."""
    settings = _year_settings(form)
    unit = db.session.scalar(select(Unit).where(Unit.code == settings.unit_code)) if settings.unit_code else None
    if not service.can_create(current_user, "year", unit.id if unit else None):
        abort(403)
    try:
        service.validate_year(settings)
    except service.ReportError as error:
        form.year.errors = list(form.year.errors) + [str(error)]
        return None
    narrative = _texts(form, YearReportForm.NARRATIVE_KEYS + YearReportForm.DOC_KEYS)
    if report is None:
        title = _stored_title(Report(kind="year", settings=settings.to_dict(), unit=unit))
        return service.create_report(current_user, "year", title, settings.to_dict(), narrative,
                                     list(form.formats.data), unit.id if unit else None)
    report.settings, report.formats, report.unit_id = settings.to_dict(), list(form.formats.data), (
        unit.id if unit else None)
    report.unit = unit
    report.title = _stored_title(report)
    service.update_narrative(current_user, report, narrative)
    return report


def _notice_province(report: Report | None) -> str | None:
    """The province whose office issues the notice: the one it was made for, else the user's own."""
    if report is not None and report.settings.get("province"):
        return report.settings["province"]
    unit = getattr(current_user, "unit", None)
    return root_of(unit).code if unit is not None else None


def _save_notice(form: NoticeForm, report: Report | None):
    settings = service.NoticeSettings(framework=form.framework.data, period=form.period.data,
                                      province=_notice_province(report))
    try:
        service.assemble_notice(settings)
    except service.ReportError as error:
        form.period.errors = list(form.period.errors) + [str(error)]
        return None
    narrative = _texts(form, NoticeForm.NARRATIVE_KEYS + NoticeForm.DOC_KEYS)
    title = _stored_title(Report(kind="notice", settings=settings.to_dict()))
    if report is None:
        return service.create_report(current_user, "notice", title, settings.to_dict(), narrative,
                                     list(form.formats.data), None)
    report.settings, report.formats, report.title = settings.to_dict(), list(form.formats.data), title
    service.update_narrative(current_user, report, narrative)
    return report


# ------------------------------------------------------------------------------------------------ pages


@bp.route("/")
@viewer_required
def index():
    page = db.paginate(service.visible_reports_query(current_user), page=page_arg(),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("reports/index.html", page=page,
                           may_create=can(current_user, "manage_reports") or can(current_user, "view_unit"),
                           may_notice=can(current_user, "manage_reports"))


@bp.route("/new/year", methods=["GET", "POST"])
@viewer_required
def new_year():
    if not (can(current_user, "manage_reports") or can(current_user, "view_unit")):
        abort(403)
    form = _year_form()
    if request.method == "GET" and not form.year.data:
        form.year.data = clock.today().year
    if form.validate_on_submit():
        with saving():
            report = _save_year(form, None)
            version = service.new_version(current_user, report) if report is not None else None
        if report is not None:
            _queue(version, report.title)
            return redirect(url_for("reports.detail", report_id=report.id))
    return render_template("reports/form.html", form=form, kind="year", report=None), 200


@bp.route("/new/notice", methods=["GET", "POST"])
@viewer_required
def new_notice():
    if not can(current_user, "manage_reports"):
        abort(403)
    form = _notice_form()
    if form.validate_on_submit():
        with saving():
            report = _save_notice(form, None)
            version = service.new_version(current_user, report) if report is not None else None
        if report is not None:
            _queue(version, report.title)
            return redirect(url_for("reports.detail", report_id=report.id))
    return render_template("reports/form.html", form=form, kind="notice", report=None)


@bp.route("/<int:report_id>")
@viewer_required
def detail(report_id: int):
    report = _load(report_id)
    # every version row shows its files and requester: load them with the versions, not one query per row
    versions = list(db.session.scalars(
        select(ReportVersion).where(ReportVersion.report_id == report.id)
        .options(selectinload(ReportVersion.files), joinedload(ReportVersion.requested_by))
        .order_by(ReportVersion.number.desc())))
    return render_template("reports/detail.html", report=report, versions=versions,
                           may_edit=service.can_create(current_user, report.kind, report.unit_id),
                           regenerate_form=RegenerateForm())


@bp.route("/<int:report_id>/edit", methods=["GET", "POST"])
@viewer_required
def edit(report_id: int):
    report = _load(report_id)
    if not service.can_create(current_user, report.kind, report.unit_id):
        abort(403)
    form = _year_form(report) if report.kind == "year" else _notice_form(report)
    if form.validate_on_submit():
        with saving():
            saved = _save_year(form, report) if report.kind == "year" else _save_notice(form, report)
            version = service.new_version(current_user, report) if saved is not None else None
        if saved is not None:
            _queue(version, report.title)
            return redirect(url_for("reports.detail", report_id=report.id))
    return render_template("reports/form.html", form=form, kind=report.kind, report=report)


@bp.route("/<int:report_id>/regenerate", methods=["POST"])
@viewer_required
def regenerate(report_id: int):
    report = _load(report_id)
    if not service.can_create(current_user, report.kind, report.unit_id):
        abort(403)
    if not RegenerateForm().validate_on_submit():
        abort(400)
    with saving():
        version = service.new_version(current_user, report)
    _queue(version, report.title)
    return redirect(url_for("reports.detail", report_id=report.id))


@bp.route("/<int:report_id>/v<int:number>/status")
@viewer_required
def status(report_id: int, number: int):
    report = _load(report_id)
    version = _version(report, number)
    progress, stage = {"queued": (0, _("Đang chờ")), "running": (5, _("Đang chạy")),
                       "done": (100, _("Hoàn thành")), "failed": (100, _("Lỗi"))}[version.state]
    if version.state == "running" and version.job_id:
        try:
            job = queue().fetch_job(version.job_id)
            if job is not None:
                progress, stage = int(job.meta.get("progress", progress)), job.meta.get("stage", stage)
        except (RedisError, OSError):
            pass  # the bar simply does not move until Redis answers
    # errors the sweep records are msgids: shown in the reader's language
    return jsonify(state=version.state, progress=progress, stage=stage, error=_(version.error) if version.error else "",
                   files=[{"format": f.format, "url": url_for("reports.download", report_id=report.id, number=number,
                                                               fmt=f.format)} for f in version.files])


@bp.route("/<int:report_id>/v<int:number>/<fmt>")
@viewer_required
def download(report_id: int, number: int, fmt: str):
    report = _load(report_id)
    version = _version(report, number)
    stored = version.file(fmt)
    if stored is None or fmt not in service.FORMATS:
        abort(404)
    path = Path(stored.stored_path)
    root = Path(current_app.config["REPORT_FOLDER"]).resolve()
    if not path.resolve().is_relative_to(root) or not path.is_file():
        abort(404)
    data = path.read_bytes()
    if service.sha256_of(data) != stored.sha256:
        current_app.logger.error("Tệp báo cáo %s bị thay đổi sau khi tạo", path)
        abort(409)
    return send_file(path, mimetype=service.MIME_TYPES[fmt], as_attachment=True,
                     download_name=service.file_name(report, version, fmt))
