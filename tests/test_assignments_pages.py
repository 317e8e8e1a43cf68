"""Assignment pages: view, progress with evidence, review, extensions, downloads, permissions and conflicts."""
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Activity, Assignment, Attachment, AuditEntry, ExtensionRequest, Plan, ProgressUpdate
from tests.factories import login, make_plan
from tests.permission_helpers import assert_permission
from tests.responses import version_on_page
from tracker import clock

#: (method, url template, {role: expected}) — expected is an HTTP status, or "login" for a redirect to /login.
#: Placeholders: {assignment_id} an open assignment of HG-STP (Sở Tư pháp) with one update carrying a PDF
#: ({attachment_id}) and a pending extension request ({extension_id}). Unit roles belong to HG-STP;
#: "…:other" roles belong to HG-SVHTTDL. POST bodies are empty, so an allowed user gets 400 (form errors).
ROUTE_PERMISSIONS: list[tuple[str, str, dict[str, int | str]]] = [
    ("GET", "/assignments/{assignment_id}", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 200, "unit_head": 200,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("POST", "/assignments/{assignment_id}/progress", {
        "anonymous": "login", "admin": 403, "office": 403, "leader": 403, "unit_officer": 400, "unit_head": 400,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("POST", "/assignments/{assignment_id}/review", {
        "anonymous": "login", "admin": 400, "office": 400, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("POST", "/assignments/{assignment_id}/extension", {
        "anonymous": "login", "admin": 403, "office": 403, "leader": 403, "unit_officer": 400, "unit_head": 400,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("POST", "/assignments/extensions/{extension_id}/decide", {
        "anonymous": "login", "admin": 400, "office": 400, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/assignments/files/{attachment_id}", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 200, "unit_head": 200,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/assignments/review", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
]

OWN_UNIT, OTHER_UNIT, OFFICE_UNIT = "HG-STP", "HG-SVHTTDL", "HG-VPUB"
#: a real, minimal one-page PDF
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
#: the start of a Windows executable
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
TODAY = clock.today()


# --- helpers -----------------------------------------------------------------------------------------------


def make_assignment(db, units, unit_code: str = OWN_UNIT, due: date | None = None, number: str = "1.1") -> int:
    """An activity of plan KH-TEST (made on first use) with one assignment for the unit; returns the assignment id."""
    plan = db.session.scalar(select(Plan).where(Plan.code == "KH-TEST")) or make_plan("KH-TEST", TODAY.year, 0)
    task = plan.groups[0].tasks[0]
    due = due or TODAY + timedelta(days=30)
    activity = Activity(task_id=task.id, plan_id=plan.id, number=number, content="Rà soát văn bản quy phạm pháp luật",
                        product="Báo cáo kết quả rà soát", targets={"province": "100%", "district": "60%"},
                        lead_text="Sở Tư pháp", deadline_text=f"Trước ngày {due:%d/%m/%Y}", due_date=due)
    db.session.add(activity)
    db.session.flush()
    assignment = Assignment(activity_id=activity.id, plan_id=plan.id, unit_id=units[unit_code].id, due_date=due)
    db.session.add(assignment)
    db.session.commit()
    return assignment.id


def post_progress(client, assignment_id: int, version: str, *, percent: int = 50, note: str = "", submit=False,
                  files=(), evidence_number: str = "", evidence_date: str = ""):
    """Post the progress form as a browser would."""
    data = {"percent": str(percent), "note": note, "version": version, "evidence_number": evidence_number,
            "evidence_date": evidence_date, "files": [(io.BytesIO(content), name) for name, content in files]}
    data["submit_done" if submit else "save"] = "x"
    return client.post(f"/assignments/{assignment_id}/progress", data=data, content_type="multipart/form-data")


def review_post(client, assignment_id: int, version, *, confirm: bool, reason: str = "", back: str = ""):
    """Post the office's review form."""
    data = {"version": str(version), "reason": reason, "back": back, ("confirm" if confirm else "send_back"): "x"}
    return client.post(f"/assignments/{assignment_id}/review", data=data)


def evidence_files(app) -> list[Path]:
    """Files currently in the evidence folder (not the temp files)."""
    folder = Path(app.config["UPLOAD_FOLDER"]) / "evidence"
    return sorted(p for p in folder.glob("*") if not p.name.startswith(".")) if folder.exists() else []


def history_count(db, assignment_id: int) -> int:
    """Rows in the append-only history of the assignment."""
    return db.session.scalar(select(func.count(ProgressUpdate.id)).where(ProgressUpdate.assignment_id == assignment_id))


def fresh(db, assignment_id: int) -> Assignment:
    """The assignment as committed (never a stale identity-map copy)."""
    db.session.expire_all()
    return db.session.get(Assignment, assignment_id)


@pytest.fixture(autouse=True)
def _clean_evidence(app):
    yield
    for path in evidence_files(app):
        path.unlink()


# --- permissions -------------------------------------------------------------------------------------------


@pytest.fixture()
def permission_world(app, db, units, make_user):
    """One open assignment of HG-STP with a PDF in its history and a pending extension request."""
    assignment_id = make_assignment(db, units)
    client = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    version = version_on_page(client.get(f"/assignments/{assignment_id}").get_data(as_text=True))
    assert post_progress(client, assignment_id, version, files=[("bao-cao.pdf", PDF)]).status_code == 302
    response = client.post(f"/assignments/{assignment_id}/extension",
                           data={"requested_due": f"{TODAY + timedelta(days=60):%d/%m/%Y}", "reason": "Chờ số liệu",
                                 "ask": "x"})
    assert response.status_code == 302
    return {"assignment_id": assignment_id,
            "attachment_id": db.session.scalar(select(Attachment.id)),
            "extension_id": db.session.scalar(select(ExtensionRequest.id))}


@pytest.mark.parametrize(("method", "template", "role", "expected"), [
    (method, template, role, expected)
    for method, template, expectations in ROUTE_PERMISSIONS for role, expected in expectations.items()])
def test_route_permissions(app, db, make_user, permission_world, method, template, role, expected):
    url = template.format(**permission_world)
    if role == "anonymous":
        client = app.test_client()
    else:
        role_name, _sep, where = role.partition(":")
        unit_code = OTHER_UNIT if where == "other" else (OFFICE_UNIT if role_name in {"admin", "office"} else OWN_UNIT)
        client = login(app.test_client(), make_user(role_name, "HG" if role_name == "leader" else unit_code))
    before = history_count(db, permission_world["assignment_id"])
    response = client.open(url, method=method)
    assert_permission(response, expected, response.get_data(as_text=True)[:300])
    # nothing an empty or refused post does may change the history
    assert history_count(db, permission_world["assignment_id"]) == before


def test_unit_user_sees_units_below_their_own(app, db, units, make_user):
    child_code = next(code for code, unit in units.items() if unit.parent_id == units[OFFICE_UNIT].id)
    assignment_id = make_assignment(db, units, unit_code=child_code)
    parent_client = login(app.test_client(), make_user("unit_officer", OFFICE_UNIT))
    assert parent_client.get(f"/assignments/{assignment_id}").status_code == 200
    sibling_client = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    assert sibling_client.get(f"/assignments/{assignment_id}").status_code == 403


def test_leader_sees_the_page_without_forms_and_cannot_post(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    leader = login(app.test_client(), make_user("leader", "HG"))
    page = leader.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert "Rà soát văn bản quy phạm pháp luật" in page
    assert "Lưu tiến độ" not in page and "Báo cáo hoàn thành" not in page
    response = post_progress(leader, assignment_id, "1", percent=30)
    assert response.status_code == 403
    assert history_count(db, assignment_id) == 0


def test_missing_assignment_is_404(app, db, units, make_user):
    office = login(app.test_client(), make_user("office", OFFICE_UNIT))
    assert office.get("/assignments/999999").status_code == 404
    assert office.get("/assignments/files/999999").status_code == 404


# --- the full workflow -------------------------------------------------------------------------------------


def test_unit_submits_with_pdf_and_office_confirms_on_time(app, db, units, make_user):
    assignment_id = make_assignment(db, units, due=TODAY + timedelta(days=10))
    officer = make_user("unit_officer", OWN_UNIT)
    unit = login(app.test_client(), officer)
    page = unit.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert "Lưu tiến độ" in page and "Báo cáo hoàn thành" in page
    assert "Chưa thực hiện" in page

    response = post_progress(unit, assignment_id, version_on_page(page), percent=40, note="Đã rà soát 40 văn bản")
    assert response.status_code == 302
    page = unit.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert "Đang thực hiện trong hạn" in page and "Đã rà soát 40 văn bản" in page

    response = post_progress(unit, assignment_id, version_on_page(page), submit=True, note="Hoàn thành rà soát",
                             files=[("Báo cáo kết quả.pdf", PDF)], evidence_number="15/BC-STP",
                             evidence_date=f"{TODAY:%d/%m/%Y}")
    assert response.status_code == 302
    assignment = fresh(db, assignment_id)
    assert (assignment.state, assignment.percent, assignment.completed_on) == ("submitted", 100, TODAY)
    stored = evidence_files(app)
    assert len(stored) == 1 and stored[0].read_bytes() == PDF
    attachment = db.session.scalar(select(Attachment))
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "Báo cáo kết quả.pdf", "application/pdf", len(PDF))

    reviewer = make_user("office", OFFICE_UNIT)
    office = login(app.test_client(), reviewer)
    queue = office.get("/assignments/review").get_data(as_text=True)
    assert f"/assignments/{assignment_id}/review" in queue
    response = review_post(office, assignment_id, assignment.version, confirm=True, back="queue")
    assert response.status_code == 302 and response.headers["Location"].endswith("/assignments/review")

    assignment = fresh(db, assignment_id)
    assert assignment.state == "confirmed" and assignment.confirmed_by_id == reviewer.id
    page = office.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert "Hoàn thành đúng hạn" in page
    # history newest first, with the evidence and its download link
    assert page.index("Xác nhận hoàn thành") < page.index("Báo cáo hoàn thành") < page.index("Cập nhật tiến độ")
    assert "15/BC-STP" in page and f"/assignments/files/{attachment.id}" in page
    assert f"{TODAY:%d/%m/%Y}" in page

    # the audit trail names who did what, with the state before and after
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "Assignment",
                                                          AuditEntry.entity_id == assignment_id)
                                 .order_by(AuditEntry.id)).all()
    by_action = {e.action: e for e in entries}
    assert by_action["submit"].user_id == officer.id
    assert by_action["submit"].changes["state"] == ["open", "submitted"]
    assert by_action["confirm"].user_id == reviewer.id
    assert by_action["confirm"].changes["state"] == ["submitted", "confirmed"]


def test_work_done_after_the_deadline_is_done_late(app, db, units, make_user):
    assignment_id = make_assignment(db, units, due=TODAY - timedelta(days=3))
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    page = unit.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert "Quá hạn (chưa hoàn thành)" in page
    assert post_progress(unit, assignment_id, version_on_page(page), submit=True,
                         evidence_number="20/BC-STP").status_code == 302
    office = login(app.test_client(), make_user("office", OFFICE_UNIT))
    assert review_post(office, assignment_id, fresh(db, assignment_id).version, confirm=True).status_code == 302
    assert "Hoàn thành quá hạn" in office.get(f"/assignments/{assignment_id}").get_data(as_text=True)


def test_return_with_reason_then_resubmit(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    unit = login(app.test_client(), make_user("unit_head", OWN_UNIT))
    page = unit.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert post_progress(unit, assignment_id, version_on_page(page), submit=True,
                         files=[("kq.pdf", PDF)]).status_code == 302
    office = login(app.test_client(), make_user("office", OFFICE_UNIT))
    version = fresh(db, assignment_id).version

    response = review_post(office, assignment_id, version, confirm=False, reason="   ")
    assert response.status_code == 400
    assert "Hãy nêu lý do trả lại" in response.get_data(as_text=True)
    assert fresh(db, assignment_id).state == "submitted"

    response = review_post(office, assignment_id, version, confirm=False, reason="Thiếu phụ lục số liệu")
    assert response.status_code == 302
    page = unit.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert "Bị trả lại" in page and "Thiếu phụ lục số liệu" in page
    assert fresh(db, assignment_id).completed_on is None

    response = post_progress(unit, assignment_id, version_on_page(page), submit=True,
                             files=[("kq-bo-sung.pdf", PDF)], note="Đã bổ sung phụ lục")
    assert response.status_code == 302
    assert fresh(db, assignment_id).state == "submitted"
    actions = db.session.scalars(select(ProgressUpdate.action).where(ProgressUpdate.assignment_id == assignment_id)
                                 .order_by(ProgressUpdate.id)).all()
    assert actions == ["submit", "return", "submit"]


def test_submit_needs_evidence(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
    response = post_progress(unit, assignment_id, version, submit=True)
    assert response.status_code == 400
    assert "minh chứng" in response.get_data(as_text=True)
    assert fresh(db, assignment_id).state == "open" and history_count(db, assignment_id) == 0


def test_history_is_append_only(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
    assert post_progress(unit, assignment_id, version, percent=20, note="Bắt đầu").status_code == 302
    row = db.session.scalar(select(ProgressUpdate))
    row.note = "sửa lại lịch sử"
    with pytest.raises(ValueError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(ProgressUpdate.note)) == "Bắt đầu"


# --- conflicts and bad input -------------------------------------------------------------------------------


def test_second_writer_gets_409_and_nothing_is_saved(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    first = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    second = login(app.test_client(), make_user("unit_head", OWN_UNIT))
    first_version = version_on_page(first.get(f"/assignments/{assignment_id}").get_data(as_text=True))
    second_version = version_on_page(second.get(f"/assignments/{assignment_id}").get_data(as_text=True))

    assert post_progress(first, assignment_id, first_version, percent=30, note="Cán bộ").status_code == 302
    response = post_progress(second, assignment_id, second_version, percent=80, note="Lãnh đạo",
                             files=[("ghi-de.pdf", PDF)])
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "vừa được người khác cập nhật" in body
    # the typed note is kept and the form now carries the current version, so a deliberate re-post can succeed
    assert "Lãnh đạo" in body and version_on_page(body) == str(fresh(db, assignment_id).version)

    assignment = fresh(db, assignment_id)
    assert (assignment.percent, assignment.note) == (30, "Cán bộ")
    assert history_count(db, assignment_id) == 1
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert evidence_files(app) == []  # the refused upload was deleted from disk


def test_executable_renamed_pdf_is_refused(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
    response = post_progress(unit, assignment_id, version, submit=True, files=[("bao-cao.pdf", EXE)])
    assert response.status_code == 400
    assert "bao-cao.pdf" in response.get_data(as_text=True)
    assert "không đúng định dạng" in response.get_data(as_text=True)
    assert history_count(db, assignment_id) == 0 and evidence_files(app) == []
    assert fresh(db, assignment_id).state == "open"


def test_good_file_is_not_kept_when_another_is_refused(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
    response = post_progress(unit, assignment_id, version, files=[("tot.pdf", PDF), ("virus.docx", EXE)])
    assert response.status_code == 400
    assert evidence_files(app) == [] and history_count(db, assignment_id) == 0


def test_impossible_evidence_date_is_refused_in_vietnamese(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
    response = post_progress(unit, assignment_id, version, submit=True, evidence_number="12/BC",
                             evidence_date="31/02/2023")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Ngày 31/02/2023 không tồn tại" in body
    assert 'value="31/02/2023"' in body  # what the user typed stays in the field
    assert history_count(db, assignment_id) == 0 and fresh(db, assignment_id).state == "open"


def test_percent_out_of_range_is_refused(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
    response = post_progress(unit, assignment_id, version, percent=150)
    assert response.status_code == 400
    assert "Tiến độ (%) phải từ 0 đến 100" in response.get_data(as_text=True)
    assert history_count(db, assignment_id) == 0


def test_200_mb_upload_gets_413_page(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    size = 200 * 1024 * 1024
    # the declared length alone must make the server refuse, before it reads the body
    response = unit.post(f"/assignments/{assignment_id}/progress", input_stream=io.BytesIO(b"x" * 1024),
                         environ_overrides={"CONTENT_LENGTH": str(size)},
                         content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "Tệp tải lên quá lớn" in body and f"{app.config['MAX_UPLOAD_MB']} MB" in body
    assert f'href="/assignments/{assignment_id}"' in body  # a way back to the form
    assert history_count(db, assignment_id) == 0 and evidence_files(app) == []


def test_real_body_over_the_request_limit_gets_413(app, db, units, make_user, monkeypatch):
    assignment_id = make_assignment(db, units)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    response = post_progress(unit, assignment_id, version, files=[("quet.pdf", PDF + b"0" * (3 * 1024 * 1024))])
    assert response.status_code == 413
    assert history_count(db, assignment_id) == 0 and evidence_files(app) == []


def test_file_over_the_per_file_limit_is_refused(app, db, units, make_user, monkeypatch):
    assignment_id = make_assignment(db, units)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 1)
    big = PDF + b"0" * (1024 * 1024)
    response = post_progress(unit, assignment_id, version, files=[("lon.pdf", big)])
    assert response.status_code == 400
    assert "vượt quá 1 MB" in response.get_data(as_text=True)
    assert evidence_files(app) == []


def test_posts_need_a_csrf_token(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = post_progress(unit, assignment_id, version, percent=10)
        page = unit.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert history_count(db, assignment_id) == 0
    assert 'name="csrf_token"' in page  # every form on the page carries one


# --- evidence download -------------------------------------------------------------------------------------


def test_download_serves_the_file_as_attachment(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
    post_progress(unit, assignment_id, version, files=[("Kết quả rà soát.pdf", PDF)])
    attachment_id = db.session.scalar(select(Attachment.id))

    response = unit.get(f"/assignments/files/{attachment_id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''K%E1%BA%BFt%20qu%E1%BA%A3%20r%C3%A0%20so%C3%A1t.pdf" in disposition

    leader = login(app.test_client(), make_user("leader", "HG"))
    assert leader.get(f"/assignments/files/{attachment_id}").status_code == 200
    stranger = login(app.test_client(), make_user("unit_officer", OTHER_UNIT))
    assert stranger.get(f"/assignments/files/{attachment_id}").status_code == 403
    assert stranger.get(f"/assignments/{assignment_id}").status_code == 403
    assert post_progress(stranger, assignment_id, version, percent=90).status_code == 403


# --- extensions --------------------------------------------------------------------------------------------


def test_approved_extension_makes_late_work_on_time_and_both_dates_show(app, db, units, make_user):
    original_due = TODAY - timedelta(days=5)
    new_due = TODAY + timedelta(days=10)
    assignment_id = make_assignment(db, units, due=original_due)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))

    response = unit.post(f"/assignments/{assignment_id}/extension",
                         data={"requested_due": f"{new_due:%d/%m/%Y}", "reason": "Chờ ý kiến Bộ Tư pháp", "ask": "x"})
    assert response.status_code == 302
    page = unit.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert "Chờ duyệt" in page and "Chờ ý kiến Bộ Tư pháp" in page
    assert 'action="/assignments/' + str(assignment_id) + '/extension"' not in page  # one pending request at a time

    office = login(app.test_client(), make_user("office", OFFICE_UNIT))
    queue = office.get("/assignments/review").get_data(as_text=True)
    extension_id = db.session.scalar(select(ExtensionRequest.id))
    assert f"/assignments/extensions/{extension_id}/decide" in queue
    response = office.post(f"/assignments/extensions/{extension_id}/decide",
                           data={"note": "Đồng ý", "approve": "x", "back": "queue", "version": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/assignments/review")

    assignment = fresh(db, assignment_id)
    assert (assignment.due_date, assignment.extended_due) == (original_due, new_due)  # the original is kept

    page = unit.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert "Đang thực hiện trong hạn" in page or "Chưa thực hiện" in page
    assert re.search(r'id="due-original">\s*' + f"{original_due:%d/%m/%Y}", page)
    assert re.search(r'id="due-in-force">\s*' + f"{new_due:%d/%m/%Y}", page)
    assert post_progress(unit, assignment_id, version_on_page(page), submit=True,
                         files=[("kq.pdf", PDF)]).status_code == 302
    assert review_post(office, assignment_id, fresh(db, assignment_id).version, confirm=True).status_code == 302

    page = office.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert "Hoàn thành đúng hạn" in page
    assert f"{original_due:%d/%m/%Y}" in page and f"{new_due:%d/%m/%Y}" in page
    assert fresh(db, assignment_id).due_at_completion == new_due


def test_refusal_needs_a_note_and_keeps_the_deadline(app, db, units, make_user):
    due = TODAY + timedelta(days=3)
    assignment_id = make_assignment(db, units, due=due)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    unit.post(f"/assignments/{assignment_id}/extension",
              data={"requested_due": f"{due + timedelta(days=30):%d/%m/%Y}", "reason": "Thiếu nhân lực", "ask": "x"})
    extension_id = db.session.scalar(select(ExtensionRequest.id))
    office = login(app.test_client(), make_user("office", OFFICE_UNIT))

    response = office.post(f"/assignments/extensions/{extension_id}/decide",
                           data={"note": "", "refuse": "x", "version": "1"})
    assert response.status_code == 400
    assert "Hãy nêu lý do từ chối gia hạn" in response.get_data(as_text=True)
    assert db.session.scalar(select(ExtensionRequest.state)) == "pending"

    response = office.post(f"/assignments/extensions/{extension_id}/decide",
                           data={"note": "Không có căn cứ", "refuse": "x", "version": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(ExtensionRequest.state)) == "refused"
    assert fresh(db, assignment_id).extended_due is None
    page = unit.get(f"/assignments/{assignment_id}").get_data(as_text=True)
    assert "Từ chối" in page and "Không có căn cứ" in page


def test_extension_date_must_be_valid_and_later(app, db, units, make_user):
    due = TODAY + timedelta(days=3)
    assignment_id = make_assignment(db, units, due=due)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    response = unit.post(f"/assignments/{assignment_id}/extension",
                         data={"requested_due": "31/02/2030", "reason": "Lý do", "ask": "x"})
    assert response.status_code == 400 and "Ngày 31/02/2030 không tồn tại" in response.get_data(as_text=True)
    response = unit.post(f"/assignments/{assignment_id}/extension",
                         data={"requested_due": f"{due - timedelta(days=1):%d/%m/%Y}", "reason": "Lý do", "ask": "x"})
    assert response.status_code == 400 and "Hạn mới phải sau hạn hiện tại" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ExtensionRequest.id))) == 0


# --- query counts ------------------------------------------------------------------------------------------


def _submit_directly(db, assignment_id: int, user) -> None:
    from tracker.services import assignments as workflow

    assignment = db.session.get(Assignment, assignment_id)
    workflow.update_progress(user, assignment, percent=100, note="", expected_version=None,
                             evidence_number="1/BC", submit=True)
    workflow.request_extension(user, assignment, requested_due=TODAY + timedelta(days=90), reason="Lý do")
    db.session.commit()


def _add_rows(db, units, user, start: int, count: int) -> int:
    last = 0
    for index in range(start, start + count):
        last = make_assignment(db, units, number=f"1.{index}")
        _submit_directly(db, last, user)
    return last


def test_review_queue_query_count_does_not_grow_with_rows(app, db, units, make_user, count_queries):
    officer = make_user("unit_officer", OWN_UNIT)
    _add_rows(db, units, officer, 1, 2)
    office = login(app.test_client(), make_user("office", OFFICE_UNIT))
    db.session.expire_all()  # the test shares the request's session: start both measures from the same cache state
    with count_queries() as few:
        assert office.get("/assignments/review").status_code == 200
    _add_rows(db, units, officer, 3, 10)
    db.session.expire_all()
    with count_queries() as many:
        page = office.get("/assignments/review")
    assert page.status_code == 200 and page.get_data(as_text=True).count("/decide") == 12
    assert many.count == few.count


def test_assignment_page_query_count_does_not_grow_with_history(app, db, units, make_user, count_queries):
    assignment_id = make_assignment(db, units)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))

    def add_updates(count: int) -> None:
        for _index in range(count):
            version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
            assert post_progress(unit, assignment_id, version, files=[("a.pdf", PDF)]).status_code == 302

    add_updates(1)
    db.session.expire_all()
    with count_queries() as few:
        assert unit.get(f"/assignments/{assignment_id}").status_code == 200
    add_updates(6)
    db.session.expire_all()
    with count_queries() as many:
        assert unit.get(f"/assignments/{assignment_id}").status_code == 200
    assert many.count == few.count

