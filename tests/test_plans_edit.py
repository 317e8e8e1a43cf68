"""Editing plans, groups, tasks and activities: saving through the services, audit, collective assignees,
bad input (Vietnamese messages, nothing changed), unknown units, stale edits (409) and deletion."""
import re
from datetime import date

from sqlalchemy import func, select

from models import Activity, Assignment, AuditEntry, Plan, ProgressUpdate, Task, TaskGroup, Unit, UnitKind
from tests.factories import make_plan
from tests.plans_helpers import SNV, STP, assignments_of
from tests.responses import page_text, version_on_page, visible_text

PLAN_FORM = {"code": "KH-MOI-2024", "kind": "plan", "title": "Kế hoạch kiểm soát thủ tục hành chính năm 2024",
             "year": "2024", "issuer": "UBND tỉnh Hà Giang", "doc_type": "Quyết định", "doc_number": "99/QĐ-UBND",
             "doc_date": "05/01/2024", "signer": "Nguyễn Văn Sơn", "declared_groups": "4", "declared_tasks": "18",
             "declared_activities": "57"}


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _audit_count(db) -> int:
    return _count(db, AuditEntry)


def _first_activity(db, plan_id: int) -> Activity:
    return db.session.scalar(select(Activity).where(Activity.plan_id == plan_id).order_by(Activity.id))


def _activity_form(activity: Activity, **changes) -> dict:
    data = {"number": activity.number, "content": activity.content, "product": activity.product,
            "lead_text": activity.lead_text, "coordinating_text": activity.coordinating_text,
            "deadline_text": activity.deadline_text, "footnotes": ", ".join(activity.footnotes or []),
            "version": str(activity.version)}
    data.update(changes)
    return data


# ---------------------------------------------------------------------------------------------- plans


def test_create_plan_saves_the_source_document_and_audits(client, db, units, login_as):
    office = login_as("office")
    response = client.post("/plans/new", data=PLAN_FORM)
    assert response.status_code == 302
    plan = db.session.scalar(select(Plan).where(Plan.code == "KH-MOI-2024"))
    assert response.headers["Location"].endswith(f"/plans/{plan.id}")
    assert plan.reference == "Quyết định số 99/QĐ-UBND ngày 05/01/2024"
    assert (plan.year, plan.declared_activities, plan.kind) == (2024, 57, "plan")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "Plan",
                                                       AuditEntry.entity_id == plan.id))
    assert entry.action == "create" and entry.user_id == office.id
    page = visible_text(client.get(f"/plans/{plan.id}"))
    assert "Quyết định số 99/QĐ-UBND ngày 05/01/2024" in page


def test_directive_is_a_plan_of_its_own_kind(client, db, units, login_as):
    login_as("admin")
    data = dict(PLAN_FORM, code="CV-1487", kind="directive", doc_type="Công văn", doc_number="1487/UBND-NC",
                doc_date="22/10/2024", title="Khắc phục hạn chế Bộ chỉ số 766")
    assert client.post("/plans/new", data=data).status_code == 302
    assert db.session.scalar(select(Plan.kind).where(Plan.code == "CV-1487")) == "directive"
    assert "Văn bản chỉ đạo" in visible_text(client.get("/plans/?kind=directive"))


def test_create_plan_without_title_changes_nothing(client, db, units, login_as):
    login_as("office")
    before = _audit_count(db)
    response = client.post("/plans/new", data=dict(PLAN_FORM, title="  "))
    assert response.status_code == 200
    assert "Hãy nhập tên kế hoạch" in visible_text(response)
    assert _count(db, Plan) == 0 and _audit_count(db) == before


def test_create_plan_with_impossible_date_or_bad_year(client, db, units, login_as):
    login_as("office")
    response = client.post("/plans/new", data=dict(PLAN_FORM, doc_date="31/02/2023", year="hai nghìn"))
    text = visible_text(response)
    assert response.status_code == 200
    assert "Ngày 31/02/2023 không tồn tại" in text
    assert "Năm phải là số nguyên" in text
    assert _count(db, Plan) == 0


def test_duplicate_plan_code_is_refused(client, db, units, login_as):
    make_plan(code="KH-MOI-2024", year=2024, activities=1)
    login_as("office")
    before = (_count(db, Plan), _audit_count(db))
    response = client.post("/plans/new", data=PLAN_FORM)
    assert response.status_code == 200
    assert "Mã kế hoạch KH-MOI-2024 đã được dùng" in visible_text(response)
    assert (_count(db, Plan), _audit_count(db)) == before


def test_script_in_a_title_is_stored_as_text_and_rendered_escaped(client, db, units, login_as):
    login_as("office")
    title = "<script>alert('x')</script> Kế hoạch"
    assert client.post("/plans/new", data=dict(PLAN_FORM, title=title)).status_code == 302
    plan = db.session.scalar(select(Plan).where(Plan.code == "KH-MOI-2024"))
    assert plan.title == title
    for url in ("/plans/", f"/plans/{plan.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(" in html


def test_edit_plan_then_a_stale_form_gets_409(client, db, units, login_as):
    plan = make_plan()
    login_as("office")
    form = client.get(f"/plans/{plan.id}/edit")
    version = version_on_page(page_text(form))
    assert 'value="17/02/2023"' in form.get_data(as_text=True)
    data = dict(PLAN_FORM, code=plan.code, year="2023", doc_date="17/02/2023", version=version)
    assert client.post(f"/plans/{plan.id}/edit", data=dict(data, title="Tên mới thứ nhất")).status_code == 302
    stale = client.post(f"/plans/{plan.id}/edit", data=dict(data, title="Tên mới thứ hai"))
    assert stale.status_code == 409
    assert "Kế hoạch này vừa được người khác sửa" in visible_text(stale)
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).title == "Tên mới thứ nhất"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "Plan", AuditEntry.action == "update"))
    assert entry.changes["title"][1] == "Tên mới thứ nhất"


def test_edit_plan_refuses_a_code_in_use_and_a_new_year_once_activities_exist(client, db, units, login_as):
    plan = make_plan()
    make_plan(code="KH-KHAC", activities=1)
    login_as("office")
    data = dict(PLAN_FORM, code="KH-KHAC", year="2024", version=str(plan.version))
    response = client.post(f"/plans/{plan.id}/edit", data=data)
    text = visible_text(response)
    assert response.status_code == 200
    assert "Mã kế hoạch KH-KHAC đã được dùng" in text
    assert "Không đổi được năm khi kế hoạch đã có hoạt động" in text
    db.session.expire_all()
    assert (db.session.get(Plan, plan.id).code, db.session.get(Plan, plan.id).year) == ("KH-THU-2023", 2023)


# ---------------------------------------------------------------------------------------------- groups and tasks


def test_add_and_edit_group_and_task(client, db, units, login_as):
    plan = make_plan()
    login_as("office")
    response = client.post(f"/plans/{plan.id}/groups/new",
                           data={"number": "II", "title": "Đổi mới cơ chế một cửa", "declared_tasks": "2"})
    assert response.status_code == 302
    group = db.session.scalar(select(TaskGroup).where(TaskGroup.plan_id == plan.id, TaskGroup.number == "II"))
    assert group.declared_tasks == 2
    assert client.post(f"/plans/groups/{group.id}/tasks/new", data={"number": "1", "title": "Số hoá hồ sơ"}
                       ).status_code == 302
    task = db.session.scalar(select(Task).where(Task.group_id == group.id))
    assert client.post(f"/plans/tasks/{task.id}/edit", data={"number": "1", "title": "Số hoá hồ sơ, kết quả"}
                       ).status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, task.id).title == "Số hoá hồ sơ, kết quả"
    text = visible_text(client.get(f"/plans/{plan.id}"))
    assert "II. Đổi mới cơ chế một cửa" in text and "1. Số hoá hồ sơ, kết quả" in text
    assert text.index("I. Nhóm nhiệm vụ số 1") < text.index("II. Đổi mới cơ chế một cửa")
    # a missing title is named, nothing saved
    bad = client.post(f"/plans/groups/{group.id}/edit", data={"number": "II", "title": ""})
    assert bad.status_code == 200 and "Hãy nhập tên nhóm nhiệm vụ" in visible_text(bad)
    bad = client.post(f"/plans/groups/{group.id}/tasks/new", data={"number": "", "title": "x"})
    assert "Hãy nhập số thứ tự nhiệm vụ" in visible_text(bad)
    assert _count(db, Task) == 2


# ---------------------------------------------------------------------------------------------- activities


def test_new_activity_with_collective_assignees_expands_to_each_active_unit(client, db, units, login_as):
    plan = make_plan()
    task_id = _first_activity(db, plan.id).task_id
    login_as("office")
    response = client.post(f"/plans/tasks/{task_id}/activities/new", data={
        "number": "1.2", "content": "Công khai 100% thủ tục hành chính", "product": "100%",
        "lead_text": "Các sở, ban, ngành", "coordinating_text": "Văn phòng UBND tỉnh",
        "deadline_text": "Trước ngày 01/4/2023"})
    assert response.status_code == 302, visible_text(response)
    activity = db.session.scalar(select(Activity).where(Activity.plan_id == plan.id, Activity.number == "1.2"))
    assert response.headers["Location"].endswith(f"/plans/activities/{activity.id}")
    assert activity.due_date == date(2023, 4, 1) and activity.deadline_text == "Trước ngày 01/4/2023"
    departments = set(db.session.scalars(select(Unit.id).join(UnitKind).where(UnitKind.code == "department")))
    leads = {a.unit_id for a in assignments_of(plan.id) if a.activity_id == activity.id and a.responsibility == "lead"}
    assert leads == {u for u in departments if db.session.get(Unit, u).is_active()} and len(leads) >= 15
    coordinating = [a for a in assignments_of(plan.id) if a.activity_id == activity.id
                    and a.responsibility == "coordinating"]
    assert [a.unit.code for a in coordinating] == ["HG-VPUB"]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "Activity",
                                                      AuditEntry.entity_id == activity.id,
                                                      AuditEntry.action == "create")) is not None


def test_per_level_targets_are_kept_per_level(client, db, units, login_as):
    plan = make_plan()
    task_id = _first_activity(db, plan.id).task_id
    login_as("office")
    response = client.post(f"/plans/tasks/{task_id}/activities/new", data={
        "number": "1.2", "content": "Tỷ lệ hồ sơ giải quyết đúng hạn", "product": "Đúng hạn",
        "target_province": "100%", "target_district": "95%", "target_commune": "90%",
        "lead_text": "Sở Tư pháp", "deadline_text": "Quý IV/2023"})
    assert response.status_code == 302
    activity = db.session.scalar(select(Activity).where(Activity.number == "1.2"))
    assert activity.targets == {"province": "100%", "district": "95%", "commune": "90%"}
    text = visible_text(client.get(f"/plans/activities/{activity.id}"))
    assert "Cấp tỉnh: 100%" in text and "Cấp huyện: 95%" in text and "Cấp xã: 90%" in text


def test_impossible_deadline_is_named_on_the_field_and_nothing_saved(client, db, units, login_as):
    plan = make_plan()
    activity = _first_activity(db, plan.id)
    login_as("office")
    before = (_count(db, Activity), _count(db, Assignment), _audit_count(db))
    response = client.post(f"/plans/tasks/{activity.task_id}/activities/new", data={
        "number": "1.2", "content": "Hoạt động mới", "lead_text": "Sở Tư pháp", "deadline_text": "31/02/2023"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'has-error">\s*<label for="deadline_text"', html)
    assert "Ngày 31/02/2023 không tồn tại" in visible_text(response)
    unclear = client.post(f"/plans/activities/{activity.id}/edit",
                          data=_activity_form(activity, deadline_text="khi nào xong"))
    assert "Không hiểu thời hạn «khi nào xong»" in visible_text(unclear)
    assert (_count(db, Activity), _count(db, Assignment), _audit_count(db)) == before
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).deadline_text == "Quý IV/2023"


def test_missing_content_and_unknown_footnote_are_named(client, db, units, login_as):
    plan = make_plan()
    activity = _first_activity(db, plan.id)
    login_as("office")
    response = client.post(f"/plans/activities/{activity.id}/edit",
                           data=_activity_form(activity, content="", footnotes="1, 7"))
    text = visible_text(response)
    assert "Hãy nhập nội dung hoạt động" in text and "Kế hoạch không có chú thích 7" in text
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).version == activity.version


def test_unknown_unit_is_warned_with_a_suggestion_and_nothing_changes_until_confirmed(client, db, units, login_as):
    plan = make_plan()
    activity = _first_activity(db, plan.id)
    login_as("office")
    before = (_count(db, Assignment), _audit_count(db))
    data = _activity_form(activity, coordinating_text="Văn phòng UBND tỉnh; Sở Tư phap Hà Giag")
    response = client.post(f"/plans/activities/{activity.id}/edit", data=data)
    assert response.status_code == 200
    text = visible_text(response)
    assert "không tìm thấy đơn vị «Sở Tư phap Hà Giag» (gợi ý: Sở Tư pháp" in text
    assert "chưa lưu" in text and 'name="accept_unknown"' in response.get_data(as_text=True)
    assert (_count(db, Assignment), _audit_count(db)) == before
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).coordinating_text == "Văn phòng UBND tỉnh"
    # the user insists: saved, the unknown name is reported again, no assignment is made for it
    confirmed = client.post(f"/plans/activities/{activity.id}/edit", data=dict(data, accept_unknown="y"),
                            follow_redirects=True)
    assert "không tìm thấy đơn vị «Sở Tư phap Hà Giag»" in visible_text(confirmed)
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).coordinating_text == "Văn phòng UBND tỉnh; Sở Tư phap Hà Giag"
    assert _count(db, Assignment) == before[0]


def test_activity_edit_syncs_assignments_and_is_audited(client, db, units, login_as):
    plan = make_plan()
    activity = _first_activity(db, plan.id)
    opened_version = activity.version
    office = login_as("office")
    response = client.post(f"/plans/activities/{activity.id}/edit",
                           data=_activity_form(activity, lead_text="Sở Nội vụ", deadline_text="Quý III/2023"))
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Activity, activity.id)
    assert saved.version == opened_version + 1 and saved.due_date == date(2023, 9, 30)
    codes = {(a.unit.code, a.responsibility, a.due_date) for a in assignments_of(plan.id)}
    assert codes == {(SNV, "lead", date(2023, 9, 30)), ("HG-VPUB", "coordinating", date(2023, 9, 30))}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "Activity",
                                                       AuditEntry.entity_id == activity.id))
    assert entry.user_id == office.id
    assert entry.changes["lead_text"] == ["Sở Tư pháp", "Sở Nội vụ"]


def test_a_unit_that_already_reported_keeps_its_assignment(client, db, units, login_as):
    plan = make_plan()
    activity = _first_activity(db, plan.id)
    stp = next(a for a in assignments_of(plan.id) if a.unit.code == STP)
    db.session.add(ProgressUpdate(assignment_id=stp.id, action="update", state_before="open", state_after="open",
                                  percent=30))
    db.session.commit()
    login_as("office")
    response = client.post(f"/plans/activities/{activity.id}/edit",
                           data=_activity_form(activity, lead_text="Sở Nội vụ"), follow_redirects=True)
    assert "Sở Tư pháp đã báo cáo nên vẫn giữ phân công" in visible_text(response)
    assert db.session.get(Assignment, stp.id) is not None


def test_stale_activity_edit_gets_409_and_overwrites_nothing(client, db, units, login_as):
    plan = make_plan()
    activity = _first_activity(db, plan.id)
    login_as("office")
    opened = version_on_page(page_text(client.get(f"/plans/activities/{activity.id}/edit")))
    # a colleague saves first, from a form opened at the same version
    colleague = client.post(f"/plans/activities/{activity.id}/edit",
                            data=_activity_form(activity, product="70%", version=opened))
    assert colleague.status_code == 302
    audits = _audit_count(db)
    stale = client.post(f"/plans/activities/{activity.id}/edit",
                        data=_activity_form(activity, product="80%", version=opened))
    assert stale.status_code == 409
    assert "Hoạt động này vừa được người khác sửa. Dữ liệu của bạn chưa được lưu" in visible_text(stale)
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).product == "70%"
    assert _audit_count(db) == audits
    # without a version the edit is refused too (never a silent overwrite)
    missing = client.post(f"/plans/activities/{activity.id}/edit",
                          data=_activity_form(activity, product="90%", version=""))
    assert missing.status_code == 409


def test_delete_activity_without_history_and_refusal_with_history(client, db, units, login_as):
    plan = make_plan(activities=2)
    first, second = db.session.scalars(select(Activity).where(Activity.plan_id == plan.id)
                                       .order_by(Activity.id)).all()
    reported = next(a for a in assignments_of(plan.id) if a.activity_id == second.id)
    db.session.add(ProgressUpdate(assignment_id=reported.id, action="update", state_before="open",
                                  state_after="open", percent=10))
    db.session.commit()
    first_id, second_id = first.id, second.id
    login_as("office")
    response = client.post(f"/plans/activities/{first_id}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/plans/{plan.id}")
    assert db.session.get(Activity, first_id) is None
    assert not [a for a in assignments_of(plan.id) if a.activity_id == first_id]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "Activity",
                                                      AuditEntry.entity_id == first_id,
                                                      AuditEntry.action == "delete")) is not None
    refused = client.post(f"/plans/activities/{second_id}/delete", follow_redirects=True)
    assert "Hoạt động đã có báo cáo tiến độ nên không thể xoá" in visible_text(refused)
    db.session.expire_all()
    assert db.session.get(Activity, second_id) is not None
    assert client.get(f"/plans/activities/{first_id}/delete").status_code == 405
