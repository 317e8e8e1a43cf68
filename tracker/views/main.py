"""Home, dashboards and the health check."""

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from models import db
from tracker import clock
from tracker.pagination import ListPage
from tracker.permissions import ancestor_ids, can, require, unit_scope
from tracker.redis_conn import redis_ok
from tracker.request_input import int_arg, int_args, page_arg
from tracker.services import dashboards, reminders

bp = Blueprint("main", __name__)

#: rows per list on the dashboards: a summary page, each list paginates on its own
DASHBOARD_LIST_SIZE = 10
#: units per page in the by-unit and no-update tables (a province has about 200 units)
DASHBOARD_UNITS_PAGE = 20


@bp.route("/")
@login_required
def index():
    if can(current_user, "office_dashboard"):
        return redirect(url_for("main.dashboard"))
    return redirect(url_for("main.unit_dashboard"))


def _plan_filter() -> tuple[list, list[int], int | None]:
    """Plans chosen in the filter; by default the latest year's plans issued by the user's own province."""
    plans = dashboards.plans_for_year()
    chosen = int_args("plan")
    year = int_arg("year")
    if not chosen and plans:
        own = dashboards.plans_of_issuers(plans, ancestor_ids(current_user.unit_id)) or plans
        year = year or own[0].year
        chosen = [p.id for p in own if p.year == year] or [p.id for p in plans if p.year == year]
    return plans, chosen, year


@bp.route("/dashboard")
@require("office_dashboard")
def dashboard():
    today = clock.today()
    plans, plan_ids, year = _plan_filter()
    page = page_arg()
    per_page = DASHBOARD_LIST_SIZE
    overdue = db.paginate(dashboards.assignment_list_query(today, plan_ids=plan_ids, status="overdue"),
                          page=page, per_page=per_page, error_out=False)
    # the same days as the digest that links here (the office's reminder policy)
    stale_days = reminders.load_policy().stale_after_days
    return render_template(
        "main/dashboard.html",
        plans=plans, plan_ids=plan_ids, year=year, years=sorted({p.year for p in plans}, reverse=True),
        today=today,
        total=dashboards.status_counts(today, plan_ids=plan_ids),
        groups=dashboards.by_group(today, plan_ids),
        units=ListPage.of(dashboards.by_unit(today, plan_ids), page_arg("pu"),
                          DASHBOARD_UNITS_PAGE),
        overdue=overdue,
        due7=db.paginate(dashboards.assignment_list_query(today, plan_ids=plan_ids, due_within=7),
                         page=page_arg("p7"), per_page=per_page, error_out=False),
        due30=db.paginate(dashboards.assignment_list_query(today, plan_ids=plan_ids, due_within=30),
                          page=page_arg("p30"), per_page=per_page, error_out=False),
        stale=ListPage.of(dashboards.stale_units(today, stale_days, plan_ids=plan_ids), page_arg("ps"),
                          DASHBOARD_UNITS_PAGE),
        stale_days=stale_days,
        read_only=not can(current_user, "review"),
    )


@bp.route("/my")
@require("view_unit")
def unit_dashboard():
    today = clock.today()
    scope = unit_scope(current_user)
    page = page_arg()
    status = request.args.get("status") or None
    owed = db.paginate(dashboards.assignment_list_query(today, unit_ids=scope, status=status),
                       page=page, per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template(
        "main/unit_dashboard.html", today=today, total=dashboards.status_counts(today, unit_ids=scope),
        owed=owed, status=status,
        late=db.paginate(dashboards.assignment_list_query(today, unit_ids=scope, status="overdue"),
                         page=page_arg("pl"), per_page=DASHBOARD_LIST_SIZE, error_out=False),
    )


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as error:  # noqa: BLE001 — the health check reports any failure, never raises
        database = type(error).__name__
    redis_state = redis_ok()[1]
    healthy = database == "ok"
    # Redis down degrades reminders and reports, not the pages: the app is still serving
    return jsonify(status="ok" if healthy else "error", database=database, redis=redis_state), 200 if healthy else 503
