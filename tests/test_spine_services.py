"""The spine's services against a real database: seed, plan loading, status in SQL, dashboards."""
import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import Activity, Assignment, AuditEntry, Plan, ProgressUpdate, Task, TaskGroup, Unit
from models import db as _db
from tests.factories import login, make_plan
from tracker.domain.status import Status, compute_status
from tracker.services import dashboards, seed
from tracker.services.assignments import update_progress
from tracker.services.errors import ConflictError
from tracker.services.plans import PlanError, load_plan
from tracker.services.status import status_expr


def test_seed_demo_loads_the_real_2023_plan_and_reports_what_the_text_lost(db, tmp_path):
    seed.seed_demo(today=date(2023, 9, 1), notes_file=tmp_path / "notes.txt")
    lines = (tmp_path / "notes.txt").read_text(encoding="utf-8").splitlines()
    db.session.commit()
    plan = db.session.scalar(select(Plan).where(Plan.code == "HG-KSTTHC-2023"))
    assert plan.reference == "Quyết định số 210/QĐ-UBND ngày 17/02/2023"
    assert (plan.declared_groups, plan.declared_tasks, plan.declared_activities) == (4, 18, 57)
    groups = db.session.scalar(select(func.count(TaskGroup.id)).where(TaskGroup.plan_id == plan.id))
    tasks = db.session.scalar(select(func.count(Task.id)).join(TaskGroup).where(TaskGroup.plan_id == plan.id))
    activities = db.session.scalar(select(func.count(Activity.id)).where(Activity.plan_id == plan.id))
    assert (groups, tasks, activities) == (4, 17, 54)
    assert [gap["number"] for gap in plan.known_gaps] == ["III.2.1", "III.5.1", "IV.1"]
    assert any("III.2.1" in line for line in lines)
    assert any("57 hoạt động; nạp được 54" in line for line in lines)
    # 11 districts and 18 departments from file 000
    province = db.session.scalar(select(Unit).where(Unit.code == "HG"))
    children = db.session.scalars(select(Unit).where(Unit.parent_id == province.id)).all()
    by_kind = {kind: sum(1 for u in children if u.kind.code == kind) for kind in ("department", "district", "office")}
    assert by_kind == {"department": 18, "district": 11, "office": 1}
    # "Các sở, ban, ngành; UBND cấp huyện" gives each department and district its own assignment
    activity = db.session.scalar(select(Activity).where(Activity.plan_id == plan.id, Activity.number == "1.1")
                                 .join(Task).join(TaskGroup).where(TaskGroup.number == "I"))
    assigned = db.session.scalar(select(func.count(func.distinct(Assignment.unit_id)))
                                 .where(Assignment.activity_id == activity.id, Assignment.responsibility == "lead"))
    assert assigned == 29
    # one demo user per role and some progress so dashboards are not empty
    rollup = dashboards.status_counts(date(2023, 9, 1), plan_ids=[plan.id])
    assert rollup.done > 0 and rollup.total > rollup.done
    assert db.session.scalar(select(func.count(ProgressUpdate.id))) > 0


def test_periodic_activity_produces_one_assignment_per_period(db, units):
    data = {"code": "KH-P", "title": "Kế hoạch định kỳ", "year": 2023, "groups": [
        {"number": "I", "title": "N", "tasks": [{"number": "1", "title": "T", "activities": [
            {"number": "1.1", "content": "Báo cáo hàng quý", "lead": "Sở Tư pháp", "deadline": "Định kỳ hàng quý"},
            {"number": "1.2", "content": "Báo cáo hàng tháng", "lead": "Sở Tư pháp", "deadline": "Hàng tháng"}]}]}]}
    plan, report = load_plan(data)
    rows = db.session.execute(select(Activity.number, Assignment.period_label, Assignment.due_date)
                              .join(Activity).where(Assignment.plan_id == plan.id)
                              .order_by(Activity.number, Assignment.due_date)).all()
    quarterly = [r for r in rows if r[0] == "1.1"]
    assert [r[2] for r in quarterly] == [date(2023, 3, 31), date(2023, 6, 30), date(2023, 9, 30), date(2023, 12, 31)]
    assert len({r[1] for r in quarterly}) == 4
    assert len([r for r in rows if r[0] == "1.2"]) == 12
    assert report.assignments == 16


def test_plan_loader_refuses_bad_input_and_saves_nothing(db, units):
    good = {"number": "1.1", "content": "Việc", "lead": "Sở Tư pháp", "deadline": "14/12/2023"}
    bad = {"number": "1.2", "content": "Việc hỏng", "lead": "Sở Tư pháp", "deadline": "31/02/2023"}
    data = {"code": "KH-X", "title": "X", "year": 2023,
            "groups": [{"number": "I", "title": "N",
                        "tasks": [{"number": "1", "title": "T", "activities": [good, bad]}]}]}
    with pytest.raises(PlanError, match="31/02/2023"):
        load_plan(data)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Plan.id))) == 0
    assert db.session.scalar(select(func.count(Activity.id))) == 0


def test_unknown_unit_is_reported_with_a_suggestion(db, units):
    data = {"code": "KH-U", "title": "U", "year": 2023, "groups": [{"number": "I", "title": "N", "tasks": [
        {"number": "1", "title": "T", "activities": [
            {"number": "1.1", "content": "Việc", "lead": "Sở Tư phap tinh", "deadline": "14/12/2023"},
            {"number": "1.2", "content": "Việc", "lead": "Sở Thủy lợi", "deadline": "14/12/2023"}]}]}]}
    _plan, report = load_plan(data)
    assert any("Sở Thủy lợi" in w for w in report.warnings)
    assert report.assignments == 1


STATES = ("open", "submitted", "confirmed", "returned")


def test_status_in_sql_agrees_with_the_pure_rule(db, units):
    """Every combination of state, dates and start flag gives the same status in SQL as in Python."""
    today = date(2023, 6, 15)
    due = date(2023, 6, 15)
    plan = make_plan(unit_ids=[], due=due)
    activity = db.session.scalar(select(Activity).where(Activity.plan_id == plan.id))
    unit_ids = [u.id for u in units.values()]
    cases = list(itertools.product(STATES, (-1, 0, 1), (None, -1, 0, 1), (False, True), (None, 5)))
    unit_cycle = itertools.cycle(unit_ids)
    expected = {}
    for index, (state, due_shift, done_shift, started, extension) in enumerate(cases):
        if state == "confirmed" and done_shift is None:
            continue
        row_due = due + timedelta(days=due_shift)
        extended = row_due + timedelta(days=extension) if extension else None
        in_force = extended or row_due
        completed = today + timedelta(days=done_shift) if done_shift is not None and state != "open" else None
        assignment = Assignment(activity_id=activity.id, plan_id=plan.id, unit_id=next(unit_cycle),
                                period_label=str(index), due_date=row_due, extended_due=extended, state=state,
                                started=started, completed_on=completed,
                                due_at_completion=in_force if completed else None)
        db.session.add(assignment)
        db.session.flush()
        expected[assignment.id] = compute_status(state, in_force, today, completed, started)
    got = dict(db.session.execute(select(Assignment.id, status_expr(today))).all())
    assert {k: Status(v) for k, v in got.items()} == expected
    assert len(set(expected.values())) == len(Status)


def test_stale_form_gets_a_conflict_and_changes_nothing(db, units, make_user):
    officer = make_user("unit_officer", "HG-STP")
    plan = make_plan(unit_ids=[units["HG-STP"].id])
    assignment = db.session.scalar(select(Assignment).where(Assignment.plan_id == plan.id))
    seen_version = assignment.version
    update_progress(officer, assignment, percent=30, note="Lần 1", expected_version=seen_version)
    db.session.commit()
    with pytest.raises(ConflictError):
        update_progress(officer, assignment, percent=60, note="Lần 2 (form cũ)", expected_version=seen_version)
    db.session.rollback()
    assert [u.note for u in db.session.scalars(select(ProgressUpdate))] == ["Lần 1"]
    assert db.session.get(Assignment, assignment.id).percent == 30
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "Assignment"))
    assert entry.user_id == officer.id and entry.changes["percent"] == [0, 30]


def test_dashboard_query_count_does_not_grow_with_rows(client, db, units, login_as, count_queries):
    login_as("office")
    make_plan(code="KH-A", activities=2, unit_ids=[units["HG-STP"].id])
    db.session.commit()
    client.get("/dashboard")
    with count_queries() as small:
        assert client.get("/dashboard").status_code == 200
    make_plan(code="KH-B", activities=30, unit_ids=[u.id for u in units.values()][:20])
    db.session.commit()
    with count_queries() as large:
        assert client.get("/dashboard").status_code == 200
    assert large.count == small.count


def test_unit_task_list_shows_only_the_units_scope(client, db, units, login_as):
    make_plan(code="KH-S", activities=3, unit_ids=[units["HG-STP"].id, units["HG-SNV"].id])
    db.session.commit()
    login_as("unit_officer", "HG-STP")
    page = client.get("/my").get_data(as_text=True)
    assert page.count("Sở Tư pháp") >= 3
    assert "Sở Nội vụ" not in page


def test_healthz_reports_database_and_redis(client, app):
    body = client.get("/healthz").get_json()
    assert body["database"] == "ok" and body["status"] == "ok"
    assert body["redis"] in ("ok", "ConnectionError")


def test_healthz_stays_up_when_redis_is_down(app, db):
    app.extensions.pop("dondoc_redis", None)
    previous = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 200
        assert response.get_json()["redis"] != "ok"
    finally:
        app.config["REDIS_URL"] = previous
        app.extensions.pop("dondoc_redis", None)


def test_no_session_state_leaks(db):
    assert _db.session.scalar(select(func.count(Unit.id))) == 0


def test_dashboard_unit_table_paginates(client, db, units, login_as):
    """A province has about 200 units: the by-unit table shows 20 at a time, most overdue first."""
    from tracker.views.main import DASHBOARD_UNITS_PAGE

    unit_ids = [u.id for u in units.values()][:DASHBOARD_UNITS_PAGE + 5]
    make_plan(code="KH-PAGE", activities=1, unit_ids=unit_ids)
    db.session.commit()
    login_as("office")
    first = client.get("/dashboard").get_data(as_text=True)
    second = client.get("/dashboard?pu=2").get_data(as_text=True)
    by_unit = first[first.index("Theo đơn vị"):first.index('id="overdue"')]
    assert by_unit.count("<tr><td data-label=") == DASHBOARD_UNITS_PAGE
    assert "Trang 1/2" in by_unit
    rest = second[second.index("Theo đơn vị"):second.index('id="overdue"')]
    assert rest.count("<tr><td data-label=") == 5


def test_dashboard_defaults_to_the_latest_plans_of_the_users_own_province(client, db):
    """The demo holds Hà Giang's 2023 plan and Hậu Giang's 2024 letter: Hà Giang's office starts on its own."""
    seed.seed_demo(today=date(2024, 12, 1))
    db.session.commit()
    login(client, "vanphong", seed.DEMO_PASSWORD)
    page = client.get("/dashboard").get_data(as_text=True)
    selected = page[page.index('name="plan"'):page.index("</select>", page.index('name="plan"'))]
    assert 'selected>2023 · HG-KSTTHC-2023' in selected
    assert "HAG-CV1487-2024</option>" in selected and 'selected>2024 · HAG' not in selected
