"""Plans and directives: the list, the plan tree with progress, the activity page, and editing."""
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forms.plan import ActivityForm, DeleteForm, GroupForm, PlanForm, TaskForm
from models import PLAN_KINDS, Plan, Task, TaskGroup, db
from tracker import clock
from tracker.domain.formatting import parse_vn_date
from tracker.domain.status import STATUS_LABELS, Status, rollup
from tracker.permissions import can, require, unit_scope, viewer_required
from tracker.request_input import int_arg, page_arg
from tracker.services import dashboards, plan_tree, unit_of_work
from tracker.services import plans as plans_service
from tracker.services.errors import ConflictError
from tracker.services.plan_tree import ACTIVITY_CONFLICT_MESSAGE, PLAN_CONFLICT_MESSAGE, TreeFilters
from tracker.services.plans import PlanError
from tracker.views.saving import saving

bp = Blueprint("plans", __name__, url_prefix="/plans")

#: the tree paginates by activities; headings of the page's groups and tasks are repeated on each page
ACTIVITIES_PER_PAGE = 10  # a page of activities may hold hundreds of unit rows
HISTORY_PER_PAGE = 20
DUE_PRESETS = (7, 30)


@bp.context_processor
def _plan_helpers() -> dict:
    return {
        "targets_display": plan_tree.targets_display,
        "target_levels": {"province": _("Cấp tỉnh"), "district": _("Cấp huyện"), "commune": _("Cấp xã")},
        "kind_labels": {"plan": _("Kế hoạch"), "directive": _("Văn bản chỉ đạo")},
        # translated once per page: the tree may show a thousand badges
        "status_labels": {status.value: _(STATUS_LABELS[status]) for status in Status},
    }


def _date_arg(name: str, label: str, errors: list[str]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        # <input type=date> sends yyyy-mm-dd; a typed date is dd/mm/yyyy
        return date.fromisoformat(raw) if "-" in raw else parse_vn_date(raw)
    except ValueError as error:
        errors.append(_("%(label)s: %(error)s", label=label, error=str(error)))
        return None


def _tree_filters(today: date) -> tuple[TreeFilters, list[str]]:
    errors: list[str] = []
    status = request.args.get("status", "").strip() or None
    if status and status not in {s.value for s in Status}:
        errors.append(_("Trạng thái «%(status)s» không có", status=status))
        status = None
    filters = TreeFilters(group_id=int_arg("group"), unit_id=int_arg("unit"), status=status,
                          query=request.args.get("q", "").strip()[:200])
    preset = int_arg("due")
    if preset in DUE_PRESETS:
        filters.due_from, filters.due_to = plan_tree.due_window(preset, today)
    else:
        filters.due_from = _date_arg("due_from", _("Hạn từ ngày"), errors)
        filters.due_to = _date_arg("due_to", _("Hạn đến ngày"), errors)
        if filters.due_from and filters.due_to and filters.due_from > filters.due_to:
            errors.append(_("Khoảng hạn không hợp lệ: «từ ngày» sau «đến ngày»"))
    return filters, errors


# ---------------------------------------------------------------------------------------------- reading


@bp.route("/")
@viewer_required
def index():
    """The plans and directives, with activity counts and completion (unit users: plans their scope owes on)."""
    today = clock.today()
    scope = unit_scope(current_user)
    year = int_arg("year")
    kind = request.args.get("kind") if request.args.get("kind") in PLAN_KINDS else None
    page = db.paginate(plan_tree.plan_list_query(scope, year, kind), page=page_arg(),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    plan_ids = [p.id for p in page.items]
    return render_template(
        "plans/index.html", page=page, year=year, kind=kind, years=plan_tree.plan_years(),
        counts=plan_tree.activity_counts(plan_ids), rollups=dashboards.by_plan(today, scope),
        scoped=scope is not None,
    )


@bp.route("/<int:plan_id>")
@viewer_required
def tree(plan_id: int):
    """The plan tree: groups → tasks → activities with every responsible unit's progress, filtered and paged."""
    today = clock.today()
    plan = db.get_or_404(Plan, plan_id)
    scope = unit_scope(current_user)
    if not plan_tree.plan_visible(plan.id, scope):
        abort(403)
    filters, filter_errors = _tree_filters(today)
    page = db.paginate(plan_tree.activity_query(plan.id, today, filters, scope),
                       page=page_arg(), per_page=ACTIVITIES_PER_PAGE, error_out=False)
    activities = list(page.items)
    present = plan_tree.present_counts(plan.id)
    outline = plan_tree.plan_outline(plan.id)
    n_tasks, n_activities = sum(len(g.tasks) for g in outline), sum(present["groups"].values())
    return render_template(
        "plans/tree.html", plan=plan, today=today, page=page, filters=filters, filter_errors=filter_errors,
        blocks=plan_tree.page_blocks(activities),
        lines=plan_tree.assignment_lines([a.id for a in activities], today, filters, scope),
        rollups=plan_tree.tree_rollups(plan.id, today, scope, filters),
        outline=outline, present=present,
        gaps=plan_tree.gap_summary(plan, n_activities, n_tasks), n_tasks=n_tasks, n_activities=n_activities,
        units=plan_tree.plan_units(plan.id, scope), scoped=scope is not None, due_presets=DUE_PRESETS,
        due_preset=int_arg("due"),
    )


@bp.route("/activities/<int:activity_id>")
@viewer_required
def activity(activity_id: int):
    """One activity: its facts, footnotes, responsible units and audit history."""
    today = clock.today()
    activity = plan_tree.load_activity(activity_id) or abort(404)
    scope = unit_scope(current_user)
    if not plan_tree.activity_visible(activity.id, scope):
        abort(403)
    lines = plan_tree.assignment_lines([activity.id], today, TreeFilters(), scope).get(activity.id, [])
    history = None
    if can(current_user, "view_audit"):
        history = db.paginate(plan_tree.history_query(activity.id), page=page_arg("hp"),
                              per_page=HISTORY_PER_PAGE, error_out=False)
    return render_template(
        "plans/activity.html", activity=activity, plan=activity.plan, today=today, lines=lines,
        summary=rollup(o.status for line in lines for o in line.occurrences),
        footnotes=plan_tree.footnotes_of(activity, activity.plan), history=history, delete_form=DeleteForm(),
    )


# ---------------------------------------------------------------------------------------------- editing


def _expected_version(form) -> int:
    # a form that lost its version counts as opened before any save (versions start at 1): never a silent overwrite
    raw = (form.version.data or "").strip()
    return int(raw) if raw.isdigit() else 0


def _render_form(template_title: str, form, cancel_url: str, status: int = 200, **context):
    return render_template("plans/form.html", title=template_title, form=form, cancel_url=cancel_url,
                           **context), status


@bp.route("/new", methods=["GET", "POST"])
@require("manage_plans")
def create_plan():
    """Create a plan or a directive."""
    form = PlanForm()
    if form.validate_on_submit():
        values = form.values()
        if plan_tree.plan_code_taken(values["code"]):
            form.code.errors.append(_("Mã kế hoạch %(code)s đã được dùng", code=values["code"]))
        else:
            try:
                with saving():
                    plan = plans_service.save_plan(current_user, None, values)
            except PlanError as error:
                form.code.errors.append(str(error))
            else:
                flash(_("Đã tạo kế hoạch %(code)s", code=plan.code), "success")
                return redirect(url_for("plans.tree", plan_id=plan.id))
    return _render_form(_("Thêm kế hoạch hoặc văn bản chỉ đạo"), form, url_for("plans.index"))


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@require("manage_plans")
def edit_plan(plan_id: int):
    """Edit a plan's own fields; a form opened before someone else's save gets 409."""
    plan = db.get_or_404(Plan, plan_id)
    form = PlanForm()
    if request.method == "GET":
        form.fill_from(plan)
    cancel = url_for("plans.tree", plan_id=plan.id)
    if not form.validate_on_submit():
        return _render_form(_("Sửa kế hoạch %(code)s", code=plan.code), form, cancel)
    values = form.values()
    if plan_tree.plan_code_taken(values["code"], exclude_id=plan.id):
        form.code.errors.append(_("Mã kế hoạch %(code)s đã được dùng", code=values["code"]))
    if values["year"] != plan.year and plan_tree.has_activities(plan.id):
        form.year.errors.append(_("Không đổi được năm khi kế hoạch đã có hoạt động (hạn đã tính theo năm %(year)s)",
                                  year=plan.year))
    if form.errors:
        return _render_form(_("Sửa kế hoạch %(code)s", code=plan.code), form, cancel)
    try:
        with saving(PLAN_CONFLICT_MESSAGE):
            unit_of_work.check_version(plan, _expected_version(form), PLAN_CONFLICT_MESSAGE)
            plans_service.save_plan(current_user, plan, values)
            unit_of_work.flush_or_conflict(PLAN_CONFLICT_MESSAGE)
    except ConflictError:
        flash(PLAN_CONFLICT_MESSAGE, "danger")
        return _render_form(_("Sửa kế hoạch %(code)s", code=plan.code), form, cancel, status=409)
    flash(_("Đã lưu kế hoạch %(code)s", code=plan.code), "success")
    return redirect(cancel)


@bp.route("/<int:plan_id>/groups/new", methods=["GET", "POST"])
@require("manage_plans")
def create_group(plan_id: int):
    """Add a task group to a plan."""
    plan = db.get_or_404(Plan, plan_id)
    form = GroupForm()
    if form.validate_on_submit():
        with saving():
            group = plans_service.save_group(current_user, plan, None, form.values())
        flash(_("Đã thêm nhóm %(number)s", number=group.number), "success")
        return redirect(url_for("plans.tree", plan_id=plan.id))
    return _render_form(_("Thêm nhóm nhiệm vụ vào %(code)s", code=plan.code), form,
                        url_for("plans.tree", plan_id=plan.id))


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@require("manage_plans")
def edit_group(group_id: int):
    """Edit a task group."""
    group = db.get_or_404(TaskGroup, group_id)
    form = GroupForm()
    if request.method == "GET":
        form.fill_from(group)
    if form.validate_on_submit():
        with saving():
            plans_service.save_group(current_user, group.plan, group, form.values())
        flash(_("Đã lưu nhóm %(number)s", number=group.number), "success")
        return redirect(url_for("plans.tree", plan_id=group.plan_id))
    return _render_form(_("Sửa nhóm %(number)s", number=group.number), form,
                        url_for("plans.tree", plan_id=group.plan_id))


@bp.route("/groups/<int:group_id>/tasks/new", methods=["GET", "POST"])
@require("manage_plans")
def create_task(group_id: int):
    """Add a task to a group."""
    group = db.get_or_404(TaskGroup, group_id)
    form = TaskForm()
    if form.validate_on_submit():
        with saving():
            task = plans_service.save_task(current_user, group, None, form.values())
        flash(_("Đã thêm nhiệm vụ %(group)s.%(number)s", group=group.number, number=task.number), "success")
        return redirect(url_for("plans.tree", plan_id=group.plan_id, group=group.id))
    return _render_form(_("Thêm nhiệm vụ vào nhóm %(number)s", number=group.number), form,
                        url_for("plans.tree", plan_id=group.plan_id))


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@require("manage_plans")
def edit_task(task_id: int):
    """Edit a task."""
    task = db.get_or_404(Task, task_id)
    form = TaskForm()
    if request.method == "GET":
        form.fill_from(task)
    if form.validate_on_submit():
        with saving():
            plans_service.save_task(current_user, task.group, task, form.values())
        flash(_("Đã lưu nhiệm vụ %(number)s", number=task.number), "success")
        return redirect(url_for("plans.tree", plan_id=task.group.plan_id, group=task.group_id))
    return _render_form(_("Sửa nhiệm vụ %(group)s.%(number)s", group=task.group.number, number=task.number), form,
                        url_for("plans.tree", plan_id=task.group.plan_id))


def _save_activity(form: ActivityForm, task: Task, activity, title: str, cancel_url: str):
    """Validate, ask about unknown units, refuse stale edits, then save through the service and commit once."""
    show_accept = False
    if not form.validate_on_submit():
        return _render_form(title, form, cancel_url, show_accept=show_accept)
    plan = form.plan
    spec = form.spec()
    try:
        # a stale form is refused before anything is asked about its units; neither step writes
        if activity is not None:
            unit_of_work.check_version(activity, _expected_version(form), ACTIVITY_CONFLICT_MESSAGE)
        unknown = plan_tree.unknown_unit_warnings(plan, spec)
        if any(unknown.values()) and not form.accept_unknown.data:
            form.lead_text.errors = list(form.lead_text.errors) + unknown["lead"]
            form.coordinating_text.errors = list(form.coordinating_text.errors) + unknown["coordinating"]
            flash(_("Đơn vị chủ trì/phối hợp cần xem lại (xem dưới từng ô); chưa lưu. Hãy sửa tên theo gợi ý "
                    "hoặc chọn «Vẫn lưu»."), "warning")
            return _render_form(title, form, cancel_url, show_accept=True)
        with saving(ACTIVITY_CONFLICT_MESSAGE):
            saved, warnings = plans_service.save_activity(current_user, task, activity, spec)
            unit_of_work.flush_or_conflict(ACTIVITY_CONFLICT_MESSAGE)
    except ConflictError:
        flash(ACTIVITY_CONFLICT_MESSAGE, "danger")
        return _render_form(title, form, cancel_url, status=409)
    except PlanError as error:
        flash(str(error), "danger")
        return _render_form(title, form, cancel_url)
    flash(_("Đã lưu hoạt động %(number)s", number=saved.number), "success")
    for warning in warnings:
        flash(warning, "warning")
    return redirect(url_for("plans.activity", activity_id=saved.id))


@bp.route("/tasks/<int:task_id>/activities/new", methods=["GET", "POST"])
@require("manage_plans")
def create_activity(task_id: int):
    """Add an activity to a task; its assignments follow its lead/coordinating texts."""
    task = db.get_or_404(Task, task_id)
    plan = task.group.plan
    form = ActivityForm(plan=plan)
    return _save_activity(form, task, None,
                          _("Thêm hoạt động vào nhiệm vụ %(group)s.%(number)s", group=task.group.number,
                            number=task.number),
                          url_for("plans.tree", plan_id=plan.id, group=task.group_id))


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@require("manage_plans")
def edit_activity(activity_id: int):
    """Edit an activity; a stale form gets 409 and changes nothing."""
    activity = plan_tree.load_activity(activity_id) or abort(404)
    form = ActivityForm(plan=activity.plan)
    if request.method == "GET":
        form.fill_from(activity)
    return _save_activity(form, activity.task, activity,
                          _("Sửa hoạt động %(number)s", number=activity.number),
                          url_for("plans.activity", activity_id=activity.id))


@bp.route("/activities/<int:activity_id>/delete", methods=["POST"])
@require("manage_plans")
def delete_activity(activity_id: int):
    """Delete an activity nobody has reported on."""
    activity = plan_tree.load_activity(activity_id) or abort(404)
    if not DeleteForm().validate_on_submit():
        abort(400)
    plan_id, number = activity.plan_id, activity.number
    try:
        with saving():
            plans_service.delete_activity(current_user, activity)
    except PlanError as error:
        flash(str(error), "danger")
        return redirect(url_for("plans.activity", activity_id=activity_id))
    flash(_("Đã xoá hoạt động %(number)s", number=number), "success")
    return redirect(url_for("plans.tree", plan_id=plan_id))
