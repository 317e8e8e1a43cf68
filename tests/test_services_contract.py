"""The services' contract (docs/architecture.md): they check the actor's permission with the pages' rule, never end
the caller's transaction, and say why they refuse in the reader's language."""
from datetime import date
from pathlib import Path

import flask_babel
import pytest
from sqlalchemy import delete, func, select, update

from models import (
    Activity,
    Assignment,
    AuditEntry,
    DayOverride,
    Plan,
    PlanImport,
    ProgressUpdate,
    ReminderPolicy,
    Task,
    TaskGroup,
)
from tests.factories import make_plan, plan_data
from tests.plans_helpers import STP
from tests.test_plan_import_files import build_xlsx, curated
from tracker.services import plan_import, plans, reminders
from tracker.services.assignments import update_progress
from tracker.services.errors import ConflictError, PermissionDenied

MAX = 20 << 20
#: every table a refused write could touch
COUNTED = (Plan, TaskGroup, Task, Activity, Assignment, AuditEntry, PlanImport, ReminderPolicy, DayOverride)


def _counts(db) -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def _refused(db, call) -> None:
    """The call raises PermissionDenied and leaves nothing in the session to write."""
    with pytest.raises(PermissionDenied):
        call()
    assert not (db.session.new or db.session.dirty or db.session.deleted)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_plan_services_refuse_a_unit_officer_and_write_nothing(db, units, make_user):
    plan = make_plan()
    group = db.session.scalar(select(TaskGroup).where(TaskGroup.plan_id == plan.id))
    task = db.session.scalar(select(Task).where(Task.group_id == group.id))
    activity = db.session.scalar(select(Activity).where(Activity.plan_id == plan.id))
    officer = make_user("unit_officer", STP)
    before = _counts(db)
    spec = {"number": "1.9", "content": "Việc mới", "lead": "Sở Tư pháp", "deadline": "Quý IV/2023"}
    _refused(db, lambda: plans.save_plan(officer, None, {"code": "KH-MOI", "kind": "plan", "title": "Mới",
                                                         "year": 2023}))
    _refused(db, lambda: plans.save_plan(officer, plan, {"title": "Tên khác"}))
    _refused(db, lambda: plans.save_group(officer, plan, None, {"number": "II", "title": "Nhóm mới"}))
    _refused(db, lambda: plans.save_group(officer, plan, group, {"number": "I", "title": "Nhóm khác"}))
    _refused(db, lambda: plans.save_task(officer, group, None, {"number": "2", "title": "Nhiệm vụ mới"}))
    _refused(db, lambda: plans.save_task(officer, group, task, {"number": "1", "title": "Nhiệm vụ khác"}))
    _refused(db, lambda: plans.save_activity(officer, task, None, spec))
    _refused(db, lambda: plans.save_activity(officer, task, activity, dict(spec, number=activity.number)))
    _refused(db, lambda: plans.sync_assignments(activity, officer))
    _refused(db, lambda: plans.delete_activity(officer, activity))
    _refused(db, lambda: plans.load_plan(plan_data(code="KH-KHAC"), officer))
    _refused(db, lambda: plans.load_plan(plan_data(code=plan.code), officer, replace=True))
    db.session.rollback()
    assert _counts(db) == before
    assert db.session.get(Plan, plan.id).title == plan.title
    # the office may, and so may the system (no actor: seeding, the CLI)
    plans.save_group(make_user("office"), plan, None, {"number": "II", "title": "Nhóm mới"})
    plans.save_task(None, group, None, {"number": "2", "title": "Nhiệm vụ mới"})
    db.session.commit()
    assert _counts(db)["TaskGroup"] == before["TaskGroup"] + 1 and _counts(db)["Task"] == before["Task"] + 1


def test_plan_import_services_refuse_a_unit_officer_and_write_nothing(app, db, units, make_user, tmp_path):
    content = build_xlsx(curated())
    plan = make_plan()
    draft = plan_import.create_preview(None, "phu-luc.xlsx", content, upload_root=tmp_path, max_bytes=MAX,
                                       overrides={"code": "KH-DRAFT"})
    db.session.commit()
    officer = make_user("unit_officer", STP)
    before, files = _counts(db), _files(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    _refused(db, lambda: plan_import.create_preview(officer, "b.xlsx", content, upload_root=elsewhere,
                                                    max_bytes=MAX))
    _refused(db, lambda: plan_import.apply_corrections(officer, draft, {"title": "Tên khác"}, {}))
    _refused(db, lambda: plan_import.commit_import(officer, draft))
    _refused(db, lambda: plan_import.discard_import(officer, draft, tmp_path))
    _refused(db, lambda: plan_import.clone_plan(officer, plan, "KH-SAO"))
    db.session.rollback()
    assert _counts(db) == before
    assert _files(tmp_path) == files and not elsewhere.exists()
    draft = db.session.get(PlanImport, draft.id)
    assert draft.state == "draft" and draft.data["code"] == "KH-DRAFT"


def test_reminder_services_refuse_a_unit_officer_and_write_nothing(db, units, make_user):
    office = make_user("office")
    day = reminders.add_day_override(office, date(2025, 9, 2), "off", "Quốc khánh")
    db.session.commit()
    db.session.execute(delete(ReminderPolicy))
    db.session.commit()
    officer = make_user("unit_head", STP)
    before = _counts(db)
    _refused(db, lambda: reminders.update_policy(officer, {"working_days": True}))
    _refused(db, lambda: reminders.add_day_override(officer, date(2025, 5, 2), "off", "Nghỉ bù"))
    _refused(db, lambda: reminders.remove_day_override(officer, day))
    db.session.rollback()
    assert _counts(db) == before
    assert db.session.get(ReminderPolicy, 1) is None  # not even the default row was created
    assert db.session.get(DayOverride, day.id) is not None


def test_a_lost_race_leaves_the_callers_transaction_to_the_caller(db, units, make_user):
    """A service that loses a race raises a conflict; it does not roll back what its caller did before calling it
    (here the caller keeps its own work by calling the service inside a savepoint)."""
    officer = make_user("unit_officer", STP)
    plan = make_plan(unit_ids=[units[STP].id])
    assignment = db.session.scalar(select(Assignment).where(Assignment.plan_id == plan.id))
    db.session.commit()
    seen = assignment.version
    # the caller's own work in the same transaction
    db.session.add(DayOverride(day=date(2025, 1, 2), kind="off", name="Việc của người gọi"))
    db.session.flush()
    # another request saves the assignment between our read and our write
    table = Assignment.__table__  # Core, so the session's copy keeps the version it read
    db.session.connection().execute(update(table).where(table.c.id == assignment.id)
                                    .values(version=table.c.version + 1))
    with pytest.raises(ConflictError), db.session.begin_nested():
        update_progress(officer, assignment, percent=40, note="Đua", expected_version=seen)
    db.session.commit()
    assert db.session.scalar(select(DayOverride.name)) == "Việc của người gọi"
    assert db.session.scalar(select(func.count(ProgressUpdate.id))) == 0
    assert db.session.get(Assignment, assignment.id).percent == 0


def test_import_and_permission_refusals_speak_the_readers_language(app, db, units, make_user, english_catalog):
    officer = make_user("unit_officer", STP)
    with pytest.raises(plan_import.PlanImportError) as refused:
        plan_import.inspect_file("ke-hoach.pdf", b"%PDF-1.4", MAX)
    with pytest.raises(PermissionDenied) as denied:
        plans.save_plan(officer, None, {"code": "KH-X"})
    with pytest.raises(PermissionDenied) as denied_reminders:
        reminders.update_policy(officer, {})
    with app.test_request_context(), flask_babel.force_locale("vi"):
        assert str(refused.value) == "Tệp «ke-hoach.pdf» không phải tệp Word (.docx) hoặc Excel (.xlsx)."
        assert str(denied.value) == "Bạn không có quyền sửa kế hoạch"
    with app.test_request_context(), flask_babel.force_locale("en"):
        assert str(refused.value) == "The file «ke-hoach.pdf» is not a Word (.docx) or Excel (.xlsx) file."
        assert str(denied.value) == "You are not allowed to edit plans"
        assert str(denied_reminders.value) == "You are not allowed to change the reminder settings"


def test_plan_warnings_shown_on_the_page_speak_the_readers_language(app, db, units, english_catalog):
    values = {"number": "1.1", "deadline_text": "Quý IV/2023", "lead_text": "Sở <b>Không Có</b>"}
    infos = plans.plan_unit_infos(None, 2023)
    with app.test_request_context(), flask_babel.force_locale("vi"):
        _rows, warnings = plans.desired_assignments(values, 2023, infos)
        assert any(w.startswith("Hoạt động 1.1: không tìm thấy đơn vị «Sở <b>Không Có</b>»") for w in warnings)
    with app.test_request_context(), flask_babel.force_locale("en"):
        _rows, warnings = plans.desired_assignments(values, 2023, infos)
        assert any(w.startswith("Activity 1.1: no unit named «Sở <b>Không Có</b>» was found") for w in warnings)
    # plain text, escaped where a page shows it (a lazy string would pass for markup)
    assert all(type(w) is str for w in warnings)
