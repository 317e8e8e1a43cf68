"""Plan pages: the list, the plan tree (facts, gaps, units' progress, roll-ups, filters, search, paging),
the activity page, unit scope, query counts, and every route for every role."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from models import Activity, Assignment, AuditEntry, ProgressUpdate, TaskGroup, Unit, UnitKind
from tests.factories import make_plan, plan_data
from tests.plans_helpers import STP, SVH, VPUB, assignments_of
from tests.responses import visible_text
from tracker import clock
from tracker.services import plans as plans_service
from tracker.views.plans import ACTIVITIES_PER_PAGE

#: (method, url template, {role: expected}) — expected is an HTTP status, or "login" for a redirect to /login.
#: Placeholders: {plan_id}/{group_id}/{task_id}/{activity_id} of a plan whose activities are assigned to HG-STP
#: (lead) and HG-VPUB; {other_plan_id} a plan with no HG-STP assignment. Unit roles belong to HG-STP;
#: "…:other" roles belong to HG-SVHTTDL, which has no assignment at all. POST bodies are empty: an allowed user
#: gets the form back with its errors (200); deleting {other_activity_id}, which has progress history, is refused
#: with a message and a redirect (302).
VIEW = {"anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 200, "unit_head": 200,
        "unit_officer:other": 403, "unit_head:other": 403}
MANAGE = {"anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 403, "unit_head": 403,
          "unit_officer:other": 403, "unit_head:other": 403}
ROUTE_PERMISSIONS: list[tuple[str, str, dict[str, int | str]]] = [
    ("GET", "/plans/", {**VIEW, "unit_officer:other": 200, "unit_head:other": 200}),
    ("GET", "/plans/{plan_id}", VIEW),
    ("GET", "/plans/{other_plan_id}", {**VIEW, "unit_officer": 403, "unit_head": 403}),
    ("GET", "/plans/activities/{activity_id}", VIEW),
    ("GET", "/plans/new", MANAGE),
    ("POST", "/plans/new", MANAGE),
    ("GET", "/plans/{plan_id}/edit", MANAGE),
    ("POST", "/plans/{plan_id}/edit", MANAGE),
    ("GET", "/plans/{plan_id}/groups/new", MANAGE),
    ("POST", "/plans/{plan_id}/groups/new", MANAGE),
    ("GET", "/plans/groups/{group_id}/edit", MANAGE),
    ("POST", "/plans/groups/{group_id}/edit", MANAGE),
    ("GET", "/plans/groups/{group_id}/tasks/new", MANAGE),
    ("POST", "/plans/groups/{group_id}/tasks/new", MANAGE),
    ("GET", "/plans/tasks/{task_id}/edit", MANAGE),
    ("POST", "/plans/tasks/{task_id}/edit", MANAGE),
    ("GET", "/plans/tasks/{task_id}/activities/new", MANAGE),
    ("POST", "/plans/tasks/{task_id}/activities/new", MANAGE),
    ("GET", "/plans/activities/{activity_id}/edit", MANAGE),
    ("POST", "/plans/activities/{activity_id}/edit", MANAGE),
    ("POST", "/plans/activities/{other_activity_id}/delete", {**MANAGE, "admin": 302, "office": 302}),
]

YEAR = 2023
#: a fixed "today" inside the plan year so statuses and due windows are deterministic
TODAY = date(YEAR, 11, 20)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


def _activity_ids_on_page(response) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="card activity" id="a(\d+)"', response.get_data(as_text=True))]


def _unit_id(db, code: str) -> int:
    return db.session.scalar(select(Unit.id).where(Unit.code == code))


def _confirm(db, assignment: Assignment, completed_on: date) -> None:
    assignment.state, assignment.started, assignment.percent = "confirmed", True, 100
    assignment.completed_on, assignment.due_at_completion = completed_on, assignment.due_date
    db.session.commit()


# ---------------------------------------------------------------------------------------------- permissions


@pytest.mark.parametrize(("method", "template", "expected"), ROUTE_PERMISSIONS,
                         ids=[f"{m} {t}" for m, t, _e in ROUTE_PERMISSIONS])
def test_route_permissions(client, db, units, login_as, method, template, expected):
    plan = make_plan(activities=3, groups=2, tasks_per_group=2)
    other = make_plan(code="KH-KHAC", activities=1)
    db.session.execute(Assignment.__table__.delete().where(Assignment.plan_id == other.id,
                                                           Assignment.unit_id == _unit_id(db, STP)))
    db.session.commit()
    first = db.session.scalar(select(Activity).where(Activity.plan_id == plan.id).order_by(Activity.id))
    other_activity = db.session.scalar(select(Activity).where(Activity.plan_id == other.id))
    # history makes the delete refused (a redirect with a message), so every allowed visitor gets the same answer
    db.session.add(ProgressUpdate(assignment_id=assignments_of(other.id)[0].id, action="update",
                                  state_before="open", state_after="open", percent=10))
    db.session.commit()
    url = template.format(plan_id=plan.id, other_plan_id=other.id, group_id=first.task.group_id,
                          task_id=first.task_id, activity_id=first.id, other_activity_id=other_activity.id)
    for visitor, outcome in expected.items():
        client.post("/logout")
        if visitor != "anonymous":
            role, _sep, which = visitor.partition(":")
            login_as(role, SVH if which == "other" else (STP if role.startswith("unit") else VPUB))
        response = client.open(url, method=method, data={})
        if outcome == "login":
            assert response.status_code == 302 and "/login" in response.headers["Location"], (visitor, url)
        else:
            assert response.status_code == outcome, (visitor, url, response.status_code)


def test_every_plans_route_has_a_permission_row(app):
    covered = {(method, re.sub(r"\{[a-z_]+\}", "<>", template)) for method, template, _e in ROUTE_PERMISSIONS}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("plans."):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (method, re.sub(r"<[^>]+>", "<>", rule.rule)) in covered, (method, rule.rule)


# ---------------------------------------------------------------------------------------------- the list


def test_plan_list_shows_source_document_counts_and_rollup(client, db, units, login_as):
    plan = make_plan(activities=6, groups=2, tasks_per_group=2)
    make_plan(code="CT-1487", year=2024, activities=2, kind="directive",
              decision={"type": "Văn bản", "number": "1487/UBND-NC", "date": date(2024, 10, 22)})
    done = assignments_of(plan.id)[0]
    _confirm(db, done, done.due_date)
    login_as("office")
    response = client.get("/plans/")
    assert response.status_code == 200
    text = visible_text(response)
    assert "Quyết định số 210/QĐ-UBND ngày 17/02/2023" in text
    assert "Văn bản số 1487/UBND-NC ngày 22/10/2024" in text
    assert "Văn bản chỉ đạo" in text
    total = len(assignments_of(plan.id))
    html = response.get_data(as_text=True)
    row = next(r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if "KH-THU-2023" in r)
    assert 'data-label="Hoạt động">6<' in row
    assert f'data-label="Tổng">{total}<' in row
    assert 'data-label="Hoàn thành">1<' in row
    # newest year first
    assert html.index("CT-1487") < html.index("KH-THU-2023")


def test_plan_list_for_unit_user_only_plans_of_their_scope(client, db, units, login_as):
    mine = make_plan(activities=3, groups=2, tasks_per_group=2)
    other = make_plan(code="KH-KHAC", activities=3, groups=2, tasks_per_group=2)
    db.session.execute(Assignment.__table__.delete().where(Assignment.plan_id == other.id,
                                                           Assignment.unit_id == _unit_id(db, STP)))
    db.session.commit()
    login_as("unit_officer", STP)
    text = visible_text(client.get("/plans/"))
    assert mine.code in text and other.code not in text
    # the roll-up counts only the unit's own assignments
    own = len(assignments_of(mine.id, _unit_id(db, STP)))
    assert own < len(assignments_of(mine.id))
    assert f'data-label="Tổng">{own}<' in client.get("/plans/").get_data(as_text=True)


def test_plan_list_filters_by_year_and_kind(client, db, units, login_as):
    make_plan()
    make_plan(code="CT-2024", year=2024, activities=1, kind="directive")
    login_as("leader", "HG")
    assert "CT-2024" not in visible_text(client.get("/plans/?year=2023"))
    assert "KH-THU-2023" in visible_text(client.get("/plans/?year=2023"))
    assert "KH-THU-2023" not in visible_text(client.get("/plans/?kind=directive"))


# ---------------------------------------------------------------------------------------------- the tree


def test_tree_of_the_real_2023_plan_names_the_decision_and_the_gaps(client, db, units, login_as):
    plan, report = plans_service.load_plan_file(plans_service.DATA_DIR / "ha-giang-2023-ksthc.yaml")
    db.session.commit()
    login_as("office")
    response = client.get(f"/plans/{plan.id}")
    assert response.status_code == 200
    text = visible_text(response)
    assert "Quyết định số 210/QĐ-UBND ngày 17/02/2023" in text
    present = db.session.scalar(select(func.count(Activity.id)).where(Activity.plan_id == plan.id))
    assert present == report.activities
    assert f"Văn bản công bố 57 hoạt động; dữ liệu có {present}; thiếu III.2.1, III.5.1, IV.1" in text
    # 20 activities per page, in document order, headed by their group and task
    assert len(_activity_ids_on_page(response)) == ACTIVITIES_PER_PAGE
    assert "I. Chỉ tiêu về cải cách TTHC" in text
    assert "Tỷ lệ TTHC có yêu cầu nghĩa vụ tài chính được thanh toán trực tuyến" in text


def test_tree_shows_facts_deadline_and_every_responsible_unit(client, db, units, login_as):
    plan = make_plan(activities=3)
    login_as("office")
    response = client.get(f"/plans/{plan.id}")
    text, html = visible_text(response), response.get_data(as_text=True)
    # per-level targets, original deadline wording and the computed due date
    assert "Cấp tỉnh: 100%" in text and "Cấp huyện: 60%" in text and "Cấp xã: 30%" in text
    assert "Quý IV/2023 → hạn tính 31/12/2023" in text
    assert "14/12/2023 → hạn tính 14/12/2023" in text
    assert "Chủ trì Sở Tư pháp" in text and "Phối hợp Văn phòng UBND tỉnh" in text
    # every assignment is linked, with its unit's name
    for assignment in assignments_of(plan.id):
        assert f'href="/assignments/{assignment.id}"' in html
    # the periodic activity lists one occurrence per quarter
    periodic = [a for a in assignments_of(plan.id) if a.period_label]
    assert len(periodic) == 4
    for occurrence in periodic:
        assert occurrence.period_label in text
        assert f"hạn {occurrence.due_date:%d/%m/%Y}" in text


def test_tree_statuses_and_rollups_per_activity_task_group_plan(client, db, units, login_as):
    plan = make_plan(activities=3)
    first = db.session.scalar(select(Activity).where(Activity.plan_id == plan.id, Activity.number == "1.1"))
    lead = next(a for a in assignments_of(plan.id) if a.activity_id == first.id and a.responsibility == "lead")
    _confirm(db, lead, date(YEAR, 10, 1))
    login_as("office")
    response = client.get(f"/plans/{plan.id}")
    text = visible_text(response)
    all_rows = assignments_of(plan.id)
    overdue = [a for a in all_rows if a.state == "open" and a.due_date < TODAY]
    assert "Hoàn thành đúng hạn" in text and "Quá hạn (chưa hoàn thành)" in text
    assert "1/2 hoàn thành (50%)" in text  # activity 1.1: lead done, coordinator not yet
    # task, group and plan roll-ups: the same totals (one task, one group)
    assert text.count(f"1/{len(all_rows)} hoàn thành") >= 3
    assert f"{len(overdue)} quá hạn" in text
    html = response.get_data(as_text=True)
    assert f'data-kpi="total">{len(all_rows)}<' in html and 'data-kpi="done">1<' in html
    assert f'data-kpi="overdue">{len(overdue)}<' in html


def test_tree_filters_by_group_unit_status_and_due_window(client, db, units, login_as):
    plan = make_plan(activities=6, groups=2, tasks_per_group=2)
    by_number = {(a.task.group.number, a.number): a.id for a in db.session.scalars(
        select(Activity).where(Activity.plan_id == plan.id))}
    group_two = db.session.scalar(select(TaskGroup.id).where(TaskGroup.plan_id == plan.id, TaskGroup.number == "II"))
    login_as("office")
    base = f"/plans/{plan.id}"

    ids = _activity_ids_on_page(client.get(f"{base}?group={group_two}"))
    assert sorted(ids) == sorted(v for (g, _n), v in by_number.items() if g == "II")

    vpub = _unit_id(db, VPUB)
    response = client.get(f"{base}?unit={vpub}")
    own = assignments_of(plan.id, vpub)
    assert set(_activity_ids_on_page(response)) == {a.activity_id for a in own}
    linked = {int(i) for i in re.findall(r'href="/assignments/(\d+)"', response.get_data(as_text=True))}
    assert linked == {a.id for a in own}  # only the chosen unit's rows

    done = assignments_of(plan.id, vpub)[0]
    _confirm(db, done, date(YEAR, 11, 1))
    response = client.get(f"{base}?status=done_on_time")
    assert _activity_ids_on_page(response) == [done.activity_id]
    assert len(re.findall(r'href="/assignments/\d+"', response.get_data(as_text=True))) == 1

    # 20/11 + 30 days: the 14/12 deadlines are in, the year-end ones (31/12) are not
    in_window = {a.activity_id for a in assignments_of(plan.id) if TODAY <= a.due_date <= date(YEAR, 12, 20)}
    assert set(_activity_ids_on_page(client.get(f"{base}?due=30"))) == in_window
    assert set(_activity_ids_on_page(client.get(f"{base}?due_from=2023-11-20&due_to=2023-12-20"))) == in_window
    assert set(_activity_ids_on_page(client.get(f"{base}?due_from=20/11/2023&due_to=20/12/2023"))) == in_window
    assert _activity_ids_on_page(client.get(f"{base}?due=7")) == []


def test_tree_bad_filters_get_a_vietnamese_message(client, db, units, login_as):
    plan = make_plan(activities=2)
    login_as("office")
    text = visible_text(client.get(f"/plans/{plan.id}?due_from=31/02/2023&status=bogus"))
    assert "Hạn từ ngày: Ngày 31/02/2023 không tồn tại" in text
    assert "Trạng thái «bogus» không có" in text


def test_tree_search_is_accent_insensitive(client, db, units, login_as):
    plan = make_plan(activities=6, groups=2, tasks_per_group=2)
    activities = list(db.session.scalars(select(Activity).where(Activity.plan_id == plan.id)))
    login_as("office")
    base = f"/plans/{plan.id}"
    # "so tu phap" finds activities naming Sở Tư pháp (lead or coordinating), not the others
    stp = _unit_id(db, STP)
    naming_stp = {a.activity_id for a in assignments_of(plan.id, stp)}
    assert naming_stp and naming_stp != {a.id for a in activities}
    assert set(_activity_ids_on_page(client.get(f"{base}?q=so+tu+phap"))) == naming_stp
    assert set(_activity_ids_on_page(client.get(f"{base}?q=SỞ+TƯ+PHÁP"))) == naming_stp
    # and content words without accents
    review = {a.id for a in activities if a.content.startswith("Rà soát")}
    assert set(_activity_ids_on_page(client.get(f"{base}?q=ra+soat"))) == review
    # LIKE wildcards typed by the user are taken literally: "%" finds the targets written with a percent sign
    with_percent = {a.id for a in activities if "%" in a.product}
    assert with_percent and with_percent != {a.id for a in activities}
    assert set(_activity_ids_on_page(client.get(f"{base}?q=%25"))) == with_percent
    assert _activity_ids_on_page(client.get(f"{base}?q=_")) == []


def test_tree_search_finds_units_of_collective_assignments(client, db, units, login_as):
    data = plan_data()
    data["groups"][0]["tasks"][0]["activities"][0].update(lead="Các sở, ban, ngành", coordinating="")
    plan, _report = plans_service.load_plan(data)
    db.session.commit()
    login_as("office")
    # the cell says "Các sở, ban, ngành", yet Sở Văn hoá… is one of the units it expanded to
    response = client.get(f"/plans/{plan.id}?q=so+van+hoa")
    assert len(_activity_ids_on_page(response)) == 1


def test_tree_paginates_by_activity_and_keeps_headings(client, db, units, login_as):
    plan = make_plan(activities=ACTIVITIES_PER_PAGE + 5, groups=2, tasks_per_group=1)
    login_as("office")
    first = client.get(f"/plans/{plan.id}")
    second = client.get(f"/plans/{plan.id}?page=2")
    first_ids, second_ids = _activity_ids_on_page(first), _activity_ids_on_page(second)
    assert len(first_ids) == ACTIVITIES_PER_PAGE and len(second_ids) == 5 and not set(first_ids) & set(second_ids)
    assert "II. Nhóm nhiệm vụ số 2" in visible_text(second) and "II.1. Nhiệm vụ 2.1" in visible_text(second)
    assert "Trang 1/2" in visible_text(first)
    # roll-ups cover the whole plan, not only the page
    total = len(assignments_of(plan.id))
    assert f'data-kpi="total">{total}<' in second.get_data(as_text=True)


def test_tree_query_count_does_not_grow_with_activities(client, db, units, login_as, count_queries):
    small = make_plan(code="KH-NHO", activities=5, groups=2, tasks_per_group=2)
    large = make_plan(code="KH-LON", activities=50, groups=2, tasks_per_group=2)
    for plan in (small, large):  # some history and progress, so every badge kind shows
        for assignment in assignments_of(plan.id)[::3]:
            _confirm(db, assignment, date(YEAR, 6, 1))
    login_as("office")
    counts = []
    for plan in (small, large):
        with count_queries() as counter:
            response = client.get(f"/plans/{plan.id}?q=ho+so")
        assert response.status_code == 200
        counts.append(counter.count)
        with count_queries() as counter:
            assert client.get(f"/plans/{plan.id}").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
    assert counts[1] <= 12, counts


def test_plan_list_query_count_does_not_grow_with_plans(client, db, units, login_as, count_queries):
    make_plan(code="KH-1", activities=1)
    login_as("office")
    with count_queries() as one:
        client.get("/plans/")
    for index in range(2, 8):
        make_plan(code=f"KH-{index}", activities=1)
    with count_queries() as seven:
        client.get("/plans/")
    assert one.count == seven.count


# ---------------------------------------------------------------------------------------------- unit scope


def test_unit_user_sees_only_their_scope_in_the_tree(client, db, units, login_as):
    plan = make_plan(activities=6, groups=2, tasks_per_group=2)
    login_as("unit_head", STP)
    response = client.get(f"/plans/{plan.id}")
    assert response.status_code == 200
    stp = _unit_id(db, STP)
    own = assignments_of(plan.id, stp)
    html = response.get_data(as_text=True)
    shown = {int(i) for i in re.findall(r'href="/assignments/(\d+)"', html)}
    assert shown == {a.id for a in own}
    assert set(_activity_ids_on_page(response)) == {a.activity_id for a in own}
    assert f'data-kpi="total">{len(own)}<' in html
    # their unit filter offers only units in scope
    options = re.findall(r'<select name="unit">(.*?)</select>', html, re.S)[0]
    assert "Sở Tư pháp" in options and "Sở Nội vụ" not in options


def test_unit_user_is_refused_a_plan_outside_their_scope(client, db, units, login_as):
    plan = make_plan(activities=2)
    login_as("unit_officer", SVH)
    assert client.get(f"/plans/{plan.id}").status_code == 403
    activity_id = db.session.scalar(select(Activity.id).where(Activity.plan_id == plan.id))
    assert client.get(f"/plans/activities/{activity_id}").status_code == 403


def test_missing_plan_and_activity_are_404(client, db, units, login_as):
    login_as("office")
    assert client.get("/plans/999999").status_code == 404
    assert client.get("/plans/activities/999999").status_code == 404


# ---------------------------------------------------------------------------------------------- the activity page


def test_activity_page_shows_facts_footnotes_assignments_and_history(client, db, units, login_as):
    plan = make_plan()
    activity = db.session.scalar(select(Activity).where(Activity.plan_id == plan.id))
    office = login_as("office")
    edit = client.post(f"/plans/activities/{activity.id}/edit", data={
        "number": "1.1", "content": activity.content, "product": activity.product, "lead_text": "Sở Tư pháp",
        "coordinating_text": "Văn phòng UBND tỉnh", "deadline_text": "Quý III/2023", "footnotes": "1",
        "version": str(activity.version)})
    assert edit.status_code == 302
    response = client.get(f"/plans/activities/{activity.id}")
    text = visible_text(response)
    assert "Hoạt động 1.1" in text and activity.content in text
    assert "Quý III/2023 → hạn tính 30/09/2023" in text
    assert "(1) Theo công thức (b/a). Trong đó: a là tổng số hồ sơ" in text
    assert "Sở Tư pháp" in text and "Văn phòng UBND tỉnh" in text
    for assignment in assignments_of(plan.id):
        assert f'href="/assignments/{assignment.id}"' in response.get_data(as_text=True)
    # the audit history of the activity: who changed the deadline, from what to what
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "Activity",
                                                       AuditEntry.entity_id == activity.id,
                                                       AuditEntry.action == "update"))
    assert entry is not None and entry.user_id == office.id
    assert "Lịch sử thay đổi" in text and office.username in text
    assert "Quý IV/2023 → Quý III/2023" in text


def test_activity_page_for_unit_user_hides_other_units_and_history(client, db, units, login_as):
    plan = make_plan(activities=3)
    shared = db.session.scalar(select(Activity).where(Activity.plan_id == plan.id, Activity.number == "1.3"))
    login_as("unit_officer", STP)
    response = client.get(f"/plans/activities/{shared.id}")
    assert response.status_code == 200
    text = visible_text(response)
    units_section = text.split("Đơn vị thực hiện", 1)[1]
    assert "Sở Tư pháp" in units_section and "Sở Nội vụ Phối hợp" not in units_section
    assert "Lịch sử thay đổi" not in text
    assert "Sửa hoạt động" not in text


def test_activity_page_history_paginates(client, db, units, login_as):
    plan = make_plan()
    activity = db.session.scalar(select(Activity).where(Activity.plan_id == plan.id))
    for index in range(25):
        db.session.add(AuditEntry(action="update", entity_type="Activity", entity_id=activity.id,
                                  summary=f"Sửa lần {index}"))
    db.session.commit()
    login_as("admin")
    first = visible_text(client.get(f"/plans/activities/{activity.id}"))
    assert "Sửa lần 24" in first and "Sửa lần 0 " not in first and "Trang 1/2" in first
    assert "Sửa lần 0 " in visible_text(client.get(f"/plans/activities/{activity.id}?hp=2"))


def test_tree_unit_lines_survive_units_of_all_kinds(client, db, units, login_as):
    """Districts ended in 2025; the tree still lists whoever the plan assigned, by kind order then file order."""
    plan = make_plan()
    activity = db.session.scalar(select(Activity).where(Activity.plan_id == plan.id))
    district = db.session.scalar(select(Unit).join(UnitKind).where(UnitKind.code == "district"))
    db.session.add(Assignment(activity_id=activity.id, plan_id=plan.id, unit_id=district.id,
                              responsibility="coordinating", due_date=activity.due_date))
    db.session.add(ProgressUpdate(assignment_id=assignments_of(plan.id)[0].id, action="update",
                                  state_before="open", state_after="open", percent=10))
    db.session.commit()
    login_as("office")
    text = visible_text(client.get(f"/plans/{plan.id}")).split("khớp điều kiện", 1)[1]
    assert text.index("Sở Tư pháp Chủ trì") < text.index("Văn phòng UBND tỉnh Phối hợp") < text.index(district.name)
