"""The UI in English: chosen with POST /lang/en or saved on the account; Vietnamese stays the default.

Dates stay dd/mm/yyyy in both languages; decimals follow the language (85,60 in Vietnamese, 85.60 in English).
"""
import html
import re
from datetime import date

import flask_babel
import pytest

from models import Assignment
from tests.factories import login, make_plan, post_login
from tests.responses import ok_page
from tracker import i18n_tools

#: no route of its own: the language switch (/lang/<code>) and /account/ belong to auth and account
ROUTE_PERMISSIONS: list = []

DUE = date(2023, 12, 14)  # in the past, so open assignments are overdue


@pytest.fixture(scope="session", autouse=True)
def _english(english_catalog):
    """Every test here reads the English catalog (tests/conftest.py compiles it when stale)."""


@pytest.fixture()
def plan_world(db, units):
    """A 2023 plan with three activities for Sở Tư pháp: one done on time (33,3%), two overdue."""
    stp = units["HG-STP"].id
    plan = make_plan(code="KH-I18N", activities=3, unit_ids=[stp], due=DUE)
    assignments = db.session.query(Assignment).filter_by(plan_id=plan.id).order_by(Assignment.id).all()
    done = assignments[0]
    done.state, done.completed_on, done.due_at_completion, done.percent = "confirmed", date(2023, 12, 1), DUE, 100
    db.session.commit()
    return {"plan": plan.id, "overdue": assignments[1].id}


def _choose(client, code: str, next_url: str = "/") -> None:
    response = client.post(f"/lang/{code}", data={"next": next_url})
    assert response.status_code == 302


def test_flask_babel_reads_the_project_catalog(app):
    """The catalog lives in <project>/translations; Flask-Babel's default is relative to the package (tracker/)."""
    with app.app_context():
        directories = [str(path) for path in flask_babel.get_babel().translation_directories]
    assert str(i18n_tools.TRANSLATIONS_DIR) in directories, (
        f"Flask-Babel looks in {directories}: set BABEL_TRANSLATION_DIRECTORIES to "
        f"{i18n_tools.TRANSLATIONS_DIR} in tracker/config.py")


def test_login_page_is_vietnamese_by_default(client, db):
    page = ok_page(client.get("/login"))
    assert '<html lang="vi">' in page
    assert "Tên đăng nhập" in page and "Ghi nhớ đăng nhập" in page
    assert "Username" not in page


def test_login_page_in_english_after_choosing_it(client, db):
    _choose(client, "en", "/login")
    page = ok_page(client.get("/login"))
    assert '<html lang="en">' in page
    for label in ("Log in", "Username", "Password", "Remember me"):
        assert label in page
    for label in ("Đăng nhập", "Tên đăng nhập", "Mật khẩu", "Ghi nhớ đăng nhập"):
        assert label not in page
    # form validation and flashed messages are translated too
    page = html.unescape(post_login(client, "", "").get_data(as_text=True))
    assert "Enter your username" in page and "Hãy nhập tên đăng nhập" not in page
    page = html.unescape(post_login(client, "ai", "sai-mat-khau").get_data(as_text=True))
    assert "Incorrect username or password" in page


def test_switching_back_to_vietnamese(client, db):
    _choose(client, "en")
    assert "Log in" in ok_page(client.get("/login"))
    _choose(client, "vi")
    page = ok_page(client.get("/login"))
    assert "Đăng nhập" in page and "Log in" not in page


def test_unknown_language_keeps_vietnamese(client, db):
    _choose(client, "fr")
    assert "Tên đăng nhập" in ok_page(client.get("/login"))


def test_dashboard_in_both_languages(client, login_as, plan_world):
    login_as("office")
    page = ok_page(client.get("/dashboard"))
    assert "Tổng quan thực hiện kế hoạch" in page and "Quá hạn (chưa hoàn thành)" in page
    assert "33,3%" in page and "14/12/2023" in page

    _choose(client, "en", "/dashboard")
    page = ok_page(client.get("/dashboard"))
    for label in ("Plan implementation overview", "Overdue", "Overdue (not done)", "Assignments", "By task group",
                  "By unit", "Due within 7 days", ">Plans</a>", "Log out"):
        assert label in page
    for label in ("Tổng quan thực hiện kế hoạch", "Quá hạn", "Phân công", "Theo đơn vị", "Đăng xuất"):
        assert label not in page
    assert "33.3%" in page and "33,3%" not in page  # decimals follow the language
    assert "14/12/2023" in page  # dates do not


def test_plan_list_in_english(client, login_as, plan_world):
    login_as("office")
    page = ok_page(client.get("/plans/"))
    assert "Kế hoạch và văn bản chỉ đạo" in page and "33,3%" in page

    _choose(client, "en", "/plans/")
    page = ok_page(client.get("/plans/"))
    for label in ("Plans and directives", "Add plan", "Done rate", "Overdue", "KH-I18N"):
        assert label in page
    for label in ("Kế hoạch và văn bản chỉ đạo", "Thêm kế hoạch", "Tỷ lệ HT", "Quá hạn"):
        assert label not in page
    assert "33.3%" in page


def test_assignment_page_in_english(client, login_as, plan_world):
    login_as("unit_officer", "HG-STP")
    url = f"/assignments/{plan_world['overdue']}"
    page = ok_page(client.get(url))
    assert "Hạn gốc" in page and "Quá hạn (chưa hoàn thành)" in page

    _choose(client, "en", url)
    page = ok_page(client.get(url))
    for label in ("Activity 1.2", "Original deadline", "Current deadline", "Overdue (not done)", "Update progress",
                  "Save progress", "Report completion", "Lead"):
        assert label in page
    for label in ("Hạn gốc", "Quá hạn (chưa hoàn thành)", "Cập nhật tiến độ", "Lưu tiến độ", "Chủ trì"):
        assert label not in page
    assert re.search(r'id="due-original">14/12/2023<', page)
    # the document's own words (content, deadline text) are data and stay as written
    assert "Hoạt động 1" in page


def test_saved_language_follows_the_user_to_a_new_session(app, client, login_as, db):
    user = login_as("office")
    _choose(client, "en")
    db.session.refresh(user)
    assert user.locale == "en"
    other_browser = login(app.test_client(), user)
    page = ok_page(other_browser.get("/plans/"))
    assert "Plans and directives" in page


def test_every_status_label_is_english(app, db):
    """The status labels are translated at runtime from the pure domain module, so the catalog must hold them."""
    from tracker.domain.status import STATUS_LABELS, Status

    expected = {
        Status.NOT_STARTED: "Not started", Status.IN_PROGRESS: "In progress (on time)",
        Status.OVERDUE: "Overdue (not done)", Status.DONE_ON_TIME: "Done on time", Status.DONE_LATE: "Done late",
        Status.AWAITING: "Awaiting confirmation", Status.RETURNED: "Returned",
    }
    with app.test_request_context("/"), flask_babel.force_locale("en"):
        rendered = {status: app.jinja_env.globals["status_label"](status.value) for status in Status}
    assert rendered == expected
    assert set(STATUS_LABELS) == set(expected)
