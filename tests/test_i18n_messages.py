"""Stored texts are keys (style.md, lesson 2): audit entries, notifications, service errors, legends and
report titles render in the reader's language, whoever wrote them."""
import html
from datetime import date

import flask_babel
import pytest
from sqlalchemy import delete, select

from models import Assignment, AuditEntry, Notification, PlanImport
from tests.factories import login, make_plan
from tests.responses import ok_page
from tracker import i18n_tools
from tracker.services import assignments as workflow
from tracker.services.errors import WorkflowError

ROUTE_PERMISSIONS: list = []

DUE = date(2023, 12, 14)


@pytest.fixture(scope="session", autouse=True)
def _english(english_catalog):
    """Every test here reads the English catalog (tests/conftest.py compiles it when stale)."""


def _choose(client, code: str) -> None:
    assert client.post(f"/lang/{code}", data={"next": "/"}).status_code == 302


@pytest.fixture()
def decided_extension(db, units, make_user):
    """Sở Tư pháp asked for an extension of activity 1.1 to 31/01/2024; the office approved it."""
    stp = units["HG-STP"].id
    plan = make_plan(code="KH-LANG", unit_ids=[stp], due=DUE)
    assignment = db.session.scalars(select(Assignment).where(Assignment.plan_id == plan.id)).one()
    officer = make_user("unit_officer", "HG-STP", username="stp.thu")
    office = make_user("office", username="vp.lan")
    office.full_name = "Nguyễn Thị Lan"
    db.session.execute(delete(AuditEntry))
    extension = workflow.request_extension(officer, assignment, requested_due=date(2024, 1, 31), reason="Chờ số liệu",
                                           today=date(2023, 12, 1))
    db.session.commit()
    workflow.decide_extension(office, extension, approve=True, note="Đồng ý", expected_version=extension.version)
    db.session.commit()
    return {"assignment": assignment.id, "office": office, "extension": extension.id}


def _audit_table(client) -> str:
    page = ok_page(client.get("/admin/audit"))
    return page[page.index("<table"):page.index("</table>")]


def test_audit_log_reads_as_sentences_in_vietnamese(client, login_as, decided_extension):
    login_as("office")
    table = _audit_table(client)
    assert "Nguyễn Thị Lan đã duyệt gia hạn hoạt động 1.1" in table
    assert "đến 31/01/2024" in table
    # a humanised change list: who decided (a name, not an id), the state as a label
    assert "Người quyết định" in table and "Nguyễn Thị Lan" in table
    assert "chờ quyết định" in table and "đã duyệt" in table
    for internal in ("decided_by_id", "pending", "approved", "ExtensionRequest", "extension_decision",
                     "decision_note", "extended_due"):
        assert internal not in table, internal


def test_audit_log_reads_as_sentences_in_english(client, login_as, decided_extension):
    login_as("office")
    _choose(client, "en")
    table = _audit_table(client)
    assert "Nguyễn Thị Lan approved the extension of activity 1.1" in table
    assert "to 31/01/2024" in table
    assert "Decided by" in table and "awaiting decision" in table
    for vietnamese in ("đã duyệt", "gia hạn", "Người quyết định", "chờ quyết định"):
        assert vietnamese not in table, vietnamese
    for internal in ("decided_by_id", "pending", "ExtensionRequest", "extension_decision"):
        assert internal not in table, internal


def test_discarded_plan_import_is_a_sentence(client, db, login_as):
    office = login_as("office")
    imp = PlanImport(filename="ke-hoach.docx", stored_path="x.docx", file_kind="docx", created_by_id=office.id)
    db.session.add(imp)
    db.session.flush()
    db.session.execute(delete(AuditEntry))
    from tracker.services.plan_import import discard_import

    discard_import(office, imp, "/tmp")
    db.session.commit()
    table = _audit_table(client)
    assert f"{office.full_name} đã huỷ bản xem trước của tệp ke-hoach.docx" in table
    assert "discard" not in table and "PlanImport" not in table
    _choose(client, "en")
    assert "discarded the preview of the file ke-hoach.docx" in _audit_table(client)


def test_old_audit_rows_keep_their_stored_text(client, db, login_as):
    login_as("office")
    db.session.execute(delete(AuditEntry))
    db.session.add(AuditEntry(action="update", entity_type="Unit", entity_id=1, summary="Sửa đơn vị cũ",
                              changes={}))
    db.session.commit()
    assert "Sửa đơn vị cũ" in _audit_table(client)


def test_every_audit_message_key_is_known(app, db):
    """Every key the services pass to audit.record/apply has a sentence (no key falls back to its name)."""
    import re
    from pathlib import Path

    from tracker.messages import MESSAGES

    used = set()
    for file in Path(i18n_tools.PROJECT_ROOT, "tracker").rglob("*.py"):
        used |= set(re.findall(r"[\"'](audit\.[a-z_]+\.[a-z_]+)[\"']", file.read_text(encoding="utf-8")))
    assert used, "no audit keys found"
    assert used <= set(MESSAGES), sorted(used - set(MESSAGES))


# --- WTForms' built-in messages ------------------------------------------------------------------------------

#: fragments of WTForms' and Flask-WTF's English defaults
ENGLISH_DEFAULTS = ("Field ", "This field", "Not a valid", "Invalid", "Number must", "Date must", "File does not",
                    "character")


def _every_form_error(app, locale: str) -> list[str]:
    """Submit every form of the app with over-long text and with nothing; all the error messages."""
    import importlib
    import inspect
    import pkgutil

    from werkzeug.datastructures import MultiDict

    import forms
    from forms.base import Form

    found = []
    with app.test_request_context(method="POST"), flask_babel.force_locale(locale):
        for module_info in pkgutil.iter_modules(forms.__path__):
            module = importlib.import_module(f"forms.{module_info.name}")
            for _name, form_class in inspect.getmembers(module, inspect.isclass):
                if not issubclass(form_class, Form) or form_class is Form or form_class.__module__ != module.__name__:
                    continue
                names = [name for name, value in vars(form_class).items() if hasattr(value, "field_class")]
                for value in ("x" * 6000, ""):
                    form = form_class(formdata=MultiDict({name: value for name in names}), meta={"csrf": False})
                    for field in form:
                        if hasattr(field, "choices") and field.choices is None:
                            field.choices = []  # set by the view
                    form.validate()
                    found += [str(error) for errors in form.errors.values() for error in errors
                              if isinstance(error, str)]
    return found


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_no_english_default_validation_message_in_vietnamese(app, db, locale):
    errors = _every_form_error(app, locale)
    assert len(errors) > 30  # the forms were really submitted
    defaults = sorted({error for error in errors if any(fragment in error for fragment in ENGLISH_DEFAULTS)})
    if locale == "vi":
        assert defaults == [], f"{len(defaults)} English defaults: {defaults}"
    else:
        assert "Cannot be longer than 200 characters." in errors or any(
            "longer than" in error for error in errors)
        assert not any("ký tự" in error for error in errors)


def test_too_long_unit_kind_name_in_both_languages(client, db, login_as):
    login_as("admin")
    data = {"code": "X", "name": "x" * 201, "level": "1"}
    page = html.unescape(client.post("/admin/unit-kinds/new", data=data).get_data(as_text=True))
    assert "Không được dài quá 200 ký tự." in page and "Field cannot be longer" not in page
    _choose(client, "en")
    page = html.unescape(client.post("/admin/unit-kinds/new", data=data).get_data(as_text=True))
    assert "Cannot be longer than 200 characters." in page


# --- notifications, digests and their emails -----------------------------------------------------------------

@pytest.fixture()
def returned_work(db, units, make_user):
    """The office returned Sở Tư pháp's completion of activity 1.1 with a reason; the officer was told."""
    stp = units["HG-STP"].id
    plan = make_plan(code="KH-TB", unit_ids=[stp], due=DUE)
    assignment = db.session.scalars(select(Assignment).where(Assignment.plan_id == plan.id)).one()
    officer = make_user("unit_officer", "HG-STP")
    office = make_user("office")
    workflow.update_progress(officer, assignment, percent=100, note="Xong", expected_version=None,
                             evidence_number="12/BC", submit=True, today=date(2023, 12, 1))
    db.session.commit()
    workflow.review(office, assignment, confirm=False, reason="Thiếu phụ lục", expected_version=None)
    db.session.commit()
    return officer


def test_event_notification_in_the_readers_language(client, returned_work):
    login(client, returned_work)
    page = ok_page(client.get("/notifications"))
    assert "Trả lại kết quả: 1.1 Hoạt động 0" in page and "Lý do: Thiếu phụ lục" in page
    _choose(client, "en")
    page = ok_page(client.get("/notifications"))
    assert "Returned: 1.1 Hoạt động 0" in page and "Reason: Thiếu phụ lục" in page
    assert "Trả lại kết quả" not in page and "Văn phòng UBND tỉnh trả lại" not in page


def test_email_in_the_recipients_chosen_language(app, db, returned_work):
    from tracker.services.mail import build_message

    notification = db.session.scalars(select(Notification).where(Notification.user_id == returned_work.id)).one()
    message = build_message(notification)
    assert message["Subject"] == "Trả lại kết quả: 1.1 Hoạt động 0"
    returned_work.locale = "en"
    db.session.commit()
    message = build_message(notification)
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "Returned: 1.1 Hoạt động 0"
    assert "Reason: Thiếu phụ lục" in text and "Dear" in text and "Kính gửi" not in text


def test_rows_written_before_message_keys_keep_their_text(client, db, make_user):
    officer = make_user("unit_officer", "HG-STP")
    db.session.add(Notification(user_id=officer.id, day=DUE, kind="completion_confirmed", ref="old",
                                subject="Tiêu đề cũ", body="Nội dung cũ"))
    db.session.commit()
    login(client, officer)
    page = ok_page(client.get("/notifications"))
    assert "Tiêu đề cũ" in page and "Nội dung cũ" in page


@pytest.fixture()
def digest_for_officer(db, units, make_user):
    """The 17/03/2025 digest of Sở Tư pháp's officer: one item due in 3 days, one coordinated item 6 days late."""
    from tests.reminders_support import digest_of, make_assignments
    from tracker.services import reminders

    day = date(2025, 3, 17)
    officer = make_user("unit_officer", "HG-STP")
    ids = make_assignments(db, officer.unit_id, [date(2025, 3, 20), date(2025, 3, 11)])
    db.session.execute(Assignment.__table__.update().where(Assignment.id == ids[1]).values(role="coordinating"))
    db.session.commit()
    reminders.scan_day(day, on_batch=db.session.commit)
    db.session.commit()
    return officer, digest_of(db, officer.id, day)


def test_digest_in_both_languages(client, digest_for_officer):
    officer, digest = digest_for_officer
    assert digest.subject == "Đôn Đốc 17/03/2025: 1 việc đến hạn trong 7 ngày, 1 việc quá hạn"
    assert "còn 3 ngày" in digest.body and "quá hạn 6 ngày" in digest.body and "(phối hợp)" in digest.body
    login(client, officer)
    page = ok_page(client.get("/notifications"))
    assert "Sắp đến hạn" in page and "còn 3 ngày" in page and "(phối hợp)" in page
    _choose(client, "en")
    page = ok_page(client.get("/notifications"))
    assert "Đôn Đốc 17/03/2025: 1 task due within 7 days, 1 task overdue" in page
    assert "Due soon" in page and "3 days left" in page and "6 days overdue" in page and "(supporting)" in page
    for vietnamese in ("Sắp đến hạn", "còn 3 ngày", "việc quá hạn", "phối hợp"):
        assert vietnamese not in page, vietnamese


def test_digest_email_in_english(app, db, digest_for_officer):
    from tracker.services.mail import build_message

    officer, digest = digest_for_officer
    officer.locale = "en"
    db.session.commit()
    message = build_message(digest)
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "Đôn Đốc 17/03/2025: 1 task due within 7 days, 1 task overdue"
    assert "Overdue" in text and "6 days overdue, due 11/03/2025" in text
    assert "việc" not in text


def test_digest_headline_and_timing_words(app):
    from tracker import messages

    payload = {"counts": {"due_soon": 3, "overdue": 1, "horizon": 7, "stale_units": 2}}
    with app.test_request_context(), flask_babel.force_locale("vi"):
        assert messages.digest_headline(payload) == ("3 việc đến hạn trong 7 ngày, 1 việc quá hạn, "
                                                     "2 đơn vị không cập nhật tiến độ")
        assert messages.item_timing({"reminder": {"kind": "before", "days": 3, "working": False}}) == "còn 3 ngày"
        assert messages.item_timing({"reminder": {"kind": "overdue", "days": 6, "working": True}}) == \
            "quá hạn 6 ngày làm việc"
    with app.test_request_context(), flask_babel.force_locale("en"):
        assert messages.digest_headline({"counts": {"overdue": 1}}) == "1 task overdue"
        assert messages.item_timing({"reminder": {"kind": "before", "days": 1, "working": True}}) == \
            "1 working day left"


# --- service errors --------------------------------------------------------------------------------------------

def test_service_error_in_the_readers_language(client, db, units, login_as):
    plan = make_plan(code="KH-LOI", unit_ids=[units["HG-STP"].id], due=DUE)
    assignment_id = db.session.scalars(select(Assignment.id).where(Assignment.plan_id == plan.id)).one()
    db.session.commit()
    login_as("unit_officer", "HG-STP")
    data = {"requested_due": "01/12/2023", "reason": "Chờ số liệu", "ask": "1"}
    page = html.unescape(client.post(f"/assignments/{assignment_id}/extension", data=data).get_data(as_text=True))
    assert "Hạn mới phải sau hạn hiện tại (14/12/2023)" in page
    _choose(client, "en")
    page = html.unescape(client.post(f"/assignments/{assignment_id}/extension", data=data).get_data(as_text=True))
    assert "The new deadline must be after the current one (14/12/2023)" in page
    assert "Hạn mới phải sau" not in page


def test_service_errors_outside_a_request_are_vietnamese(app, db, units):
    """The CLI and the worker have no reader: the messages are in the source language."""
    from tracker.services.accounts import AccountError, create_user

    with pytest.raises(AccountError) as raised:
        create_user(None, username="x", password="matkhau123", role="office", unit_code="KHONG-CO")
    assert str(raised.value) == "Không có đơn vị mã «KHONG-CO»"


# --- legends and report titles -------------------------------------------------------------------------------

def test_rank_movement_in_the_readers_language(app):
    from types import SimpleNamespace

    from tracker import messages

    computed = SimpleNamespace(rank_delta=4, rank_change_text="Tăng 4 bậc")
    worse = SimpleNamespace(rank_delta=-1, rank_change_text="Giảm 1 bậc")
    printed = SimpleNamespace(rank_delta=None, rank_change_text="tăng 07 bậc (theo văn bản)")
    with app.test_request_context(), flask_babel.force_locale("vi"):
        assert messages.rank_change_label(computed) == "Tăng 4 bậc"
        assert messages.rank_change_label(SimpleNamespace(rank_delta=0, rank_change_text="")) == "Giữ nguyên"
    with app.test_request_context(), flask_babel.force_locale("en"):
        assert messages.rank_change_label(computed) == "Up 4 places"
        assert messages.rank_change_label(worse) == "Down 1 place"
        assert messages.rank_change_label(SimpleNamespace(rank_delta=0, rank_change_text="")) == "No change"
        assert messages.rank_change_label(printed) == "tăng 07 bậc (theo văn bản)"  # the source's own words


def test_report_title_in_the_readers_language(client, db, units, make_user):
    """A report made by a Vietnamese reader is titled in English for an English reader, and the other way round."""
    from models import Report

    make_plan(code="KH-BC", unit_ids=[units["HG-STP"].id], due=DUE)
    office = make_user("office")
    office.locale = "en"
    db.session.commit()
    login(client, office)
    response = client.post("/reports/new/year", data={"year": "2023", "unit": "", "framework": "", "period": "",
                                                      "formats": ["pdf"]})
    report = db.session.scalars(select(Report)).one()
    assert report.title == "Báo cáo tổng kết năm 2023", response.status_code  # stored in the source language
    page = ok_page(client.get("/reports/"))
    assert "Year-end report 2023" in page and "Báo cáo tổng kết năm 2023" not in page
    page = ok_page(client.get(f"/reports/{report.id}"))
    assert "<h1>Year-end report 2023</h1>" in page
    office.locale = "vi"
    db.session.commit()
    page = ok_page(client.get(f"/reports/{report.id}"))
    assert "<h1>Báo cáo tổng kết năm 2023</h1>" in page


def test_unit_kind_error_names_the_field_in_the_readers_language(client, db, login_as):
    login_as("admin")
    data = {"code": "province", "name": "Tỉnh", "level": "0"}  # the code is taken
    page = html.unescape(client.post("/admin/unit-kinds/new", data=data).get_data(as_text=True))
    assert "Mã loại: mã «province» đã có" in page
    _choose(client, "en")
    page = html.unescape(client.post("/admin/unit-kinds/new", data=data).get_data(as_text=True))
    assert "Type code: the code “province” already exists" in page and "đã có" not in page


def test_a_refused_workflow_step_in_the_readers_language(app, db, units, make_user):
    """Reporting completion twice: the workflow refuses, in the language of whoever reads the message."""
    plan = make_plan(code="KH-WF", unit_ids=[units["HG-STP"].id], due=DUE)
    assignment = db.session.scalars(select(Assignment).where(Assignment.plan_id == plan.id)).one()
    officer = make_user("unit_officer", "HG-STP")
    submit = {"percent": 100, "note": "Xong", "expected_version": None, "evidence_number": "1/BC", "submit": True}
    workflow.update_progress(officer, assignment, **submit)
    db.session.commit()
    with pytest.raises(WorkflowError) as refused:
        workflow.update_progress(officer, assignment, **submit)
    with app.test_request_context(), flask_babel.force_locale("vi"):
        assert str(refused.value) == ("Không thể gửi báo cáo hoàn thành khi nhiệm vụ đang ở trạng thái "
                                      "«đã gửi, chờ xác nhận»")
    with app.test_request_context(), flask_babel.force_locale("en"):
        assert str(refused.value) == "Cannot report completion while the task is “submitted, awaiting confirmation”"


def test_calendar_feed_in_its_owners_language(client, db, make_user):
    from tests.reminders_support import make_assignments

    officer = make_user("unit_officer", "HG-STP")
    make_assignments(db, officer.unit_id, [date(2025, 6, 30)])
    body = client.get(f"/calendar/{officer.ics_token}.ics").get_data(as_text=True).replace("\r\n ", "")
    assert "SUMMARY:Hạn: " in body and "chủ trì" in body
    officer.locale = "en"
    db.session.commit()
    body = client.get(f"/calendar/{officer.ics_token}.ics").get_data(as_text=True).replace("\r\n ", "")
    assert "SUMMARY:Due: " in body and "– lead." in body and "chủ trì" not in body and "hạn của" not in body
