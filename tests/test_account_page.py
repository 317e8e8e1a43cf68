"""The account page: profile, own password change, language, notification preferences, calendar token."""
import json
import re

import pytest
from flask_login import login_user
from sqlalchemy import select

from models import AuditEntry, User
from tests.factories import PASSWORD, login, post_login
from tests.permission_helpers import assert_permission, open_as, role_cases
from tests.responses import page_text
from tracker.i18n import select_locale

#: (method, url template, {role: expected}) — expected is an HTTP status, or "login" for a redirect to /login.
#: Every logged-in user has an account page. Empty POSTs fail validation (400), except the token reset button,
#: which has no fields and redirects.
ROUTE_PERMISSIONS: list[tuple[str, str, dict[str, int | str]]] = [
    ("GET", "/account/", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 200, "unit_head": 200}),
    ("POST", "/account/password", {
        "anonymous": "login", "admin": 400, "office": 400, "leader": 400, "unit_officer": 400, "unit_head": 400}),
    ("POST", "/account/preferences", {
        "anonymous": "login", "admin": 400, "office": 400, "leader": 400, "unit_officer": 400, "unit_head": 400}),
    ("POST", "/account/calendar-token", {
        "anonymous": "login", "admin": 302, "office": 302, "leader": 302, "unit_officer": 302, "unit_head": 302}),
]



@pytest.mark.parametrize(("method", "template", "role", "expected"), role_cases(ROUTE_PERMISSIONS))
def test_route_permissions(client, db, units, login_as, method, template, role, expected):
    response = open_as(client, login_as, role, method, template)
    assert_permission(response, expected, page_text(response)[:300])


def test_profile_shows_who_i_am(client, db, units, login_as):
    user = login_as("unit_officer", "HG-STP")
    page = page_text(client.get("/account/"))
    assert user.username in page and user.email in page
    assert "Cán bộ đầu mối đơn vị" in page and "Sở Tư pháp" in page
    assert user.ics_token in page  # no calendar feed route yet, so the token itself is shown


def test_change_password_needs_the_current_one(app, client, db, units, login_as):
    user = login_as("office")
    old_hash = user.password_hash
    response = client.post("/account/password", data={
        "current_password": "sai-mat-khau", "new_password": "mat-khau-moi-2026", "confirm": "mat-khau-moi-2026"})
    assert response.status_code == 400
    assert "Mật khẩu hiện tại: không đúng" in page_text(response)
    db.session.refresh(user)
    assert user.password_hash == old_hash

    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "mat-khau-moi-2026", "confirm": "mat-khau-moi-2026"})
    assert response.status_code == 302
    other = app.test_client()
    assert post_login(other, user.username).status_code == 401
    login(other, user, "mat-khau-moi-2026")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "change_password")).one()
    assert "mat-khau-moi-2026" not in json.dumps(entry.changes) + entry.summary


@pytest.mark.parametrize(("data", "message"), [
    ({"new_password": "ngan", "confirm": "ngan"}, "Mật khẩu mới: phải có ít nhất 8 ký tự"),
    ({"new_password": "mat-khau-moi-1", "confirm": "mat-khau-moi-2"}, "Nhập lại mật khẩu mới: không khớp"),
    ({"new_password": PASSWORD, "confirm": PASSWORD}, "Mật khẩu mới: phải khác mật khẩu hiện tại"),
    ({"current_password": "", "new_password": "mat-khau-moi-1", "confirm": "mat-khau-moi-1"},
     "Mật khẩu hiện tại: không được để trống"),
])
def test_change_password_refuses_bad_input(client, db, units, login_as, data, message):
    user = login_as("unit_head", "HG-STP")
    old_hash = user.password_hash
    response = client.post("/account/password", data={"current_password": PASSWORD, **data})
    assert response.status_code == 400
    assert message in page_text(response)
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_preferences_language_and_notifications(app, client, db, units, login_as):
    user = login_as("unit_officer", "HG-STP")
    assert (user.email_enabled, user.digest) == (True, True)
    response = client.post("/account/preferences", data={"locale": "en", "delivery": "immediate"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.locale, user.email_enabled, user.digest) == ("en", False, False)
    # the saved choice is the one the locale selector uses from now on
    with app.test_request_context():
        login_user(user)
        assert select_locale() == "en"
    page = page_text(client.get("/account/"))
    assert re.search(r'<option selected value="en">', page)
    assert re.search(r'<input checked[^>]*value="immediate"', page)
    assert not re.search(r'<input checked[^>]*name="email_enabled"', page)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "User",
                                                        AuditEntry.entity_id == user.id,
                                                        AuditEntry.action == "update")).one()
    assert entry.changes["email_enabled"] == [True, False]
    assert entry.changes["locale"] == [None, "en"]

    response = client.post("/account/preferences", data={"locale": "vi", "email_enabled": "y", "delivery": "digest"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.locale, user.email_enabled, user.digest) == ("vi", True, True)


def test_preferences_refuse_unknown_language(client, db, units, login_as):
    user = login_as("leader", "HG")
    response = client.post("/account/preferences", data={"locale": "fr", "delivery": "digest"})
    assert response.status_code == 400
    assert "Ngôn ngữ: «fr» không hỗ trợ" in page_text(response)
    db.session.refresh(user)
    assert user.locale is None


def test_calendar_token_reset(client, db, units, login_as):
    user = login_as("unit_officer", "HG-STP")
    old_token = user.ics_token
    response = client.post("/account/calendar-token", follow_redirects=True)
    assert response.status_code == 200
    db.session.refresh(user)
    assert user.ics_token != old_token and len(user.ics_token) >= 32
    page = page_text(response)
    assert user.ics_token in page and old_token not in page
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reset_token")).one()
    stored = json.dumps(entry.changes) + entry.summary
    assert old_token not in stored and user.ics_token not in stored
    # tokens are unique per user
    assert db.session.scalar(select(User.id).where(User.ics_token == old_token)) is None
