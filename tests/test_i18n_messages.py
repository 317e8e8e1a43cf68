"""Stored texts are keys (style.md, lesson 2): audit entries, notifications, service errors, legends and
report titles render in the reader's language, whoever wrote them."""
import html
from datetime import date

import flask_babel
import pytest
from sqlalchemy import delete, select

from models import Assignment, AuditEntry, PlanImport
from tests.factories import make_plan
from tracker import i18n_tools
from tracker.services import assignments as workflow
from tracker.services import audit

ROUTE_PERMISSIONS: list = []

DUE = date(2023, 12, 14)


@pytest.fixture(scope="session", autouse=True)
def english_catalog(app):
    """Compile the English catalog when the .mo is missing or older than the .po."""
    po, mo = i18n_tools.po_path("en"), i18n_tools.mo_path("en")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        i18n_tools.compile_catalog(po, mo)
        with app.app_context():
            flask_babel.get_domain().cache.clear()
    return mo


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def _choose(client, code: str) -> None:
    assert client.post(f"/lang/{code}", data={"next": "/"}).status_code == 302


@pytest.fixture()
def decided_extension(db, units, make_user):
    """Sở Tư pháp asked for an extension of activity 1.1 to 31/01/2024; the office approved it."""
    stp = units["HG-STP"].id
    plan = make_plan(db, code="KH-LANG", unit_ids=[stp], due=DUE)
    assignment = db.session.scalars(select(Assignment).where(Assignment.plan_id == plan.id)).one()
    officer = make_user("unit_officer", "HG-STP", username="stp.thu")
    office = make_user("office", username="vp.lan")
    office.full_name = "Nguyễn Thị Lan"
    db.session.execute(delete(AuditEntry))
    request = workflow.request_extension(officer, assignment, requested_due=date(2024, 1, 31), reason="Chờ số liệu",
                                         today=date(2023, 12, 1))
    db.session.commit()
    workflow.decide_extension(office, request, approve=True, note="Đồng ý")
    db.session.commit()
    return {"assignment": assignment.id, "office": office, "request": request.id}


def _audit_table(client) -> str:
    page = _page(client.get("/admin/audit"))
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
    assert audit  # the module the keys go through


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
