"""User administration: list with accent-insensitive search and filters, create, edit, deactivate, reset password."""
import json

import pytest
from sqlalchemy import func, select

from models import AuditEntry, User
from tests.factories import PASSWORD, login, post_login
from tests.permission_helpers import UNIT_OF_ROLE, assert_permission, audit_count, role_cases
from tests.responses import page_text
from tracker.services.accounts import create_user

#: (method, url template, {role: expected}) — expected is an HTTP status, or "login" for a redirect to /login.
#: Placeholder: {user_id} is a unit officer of HG-STP. Admin and office users belong to HG-VPUB, the leader to HG,
#: unit roles to HG-STP. POST bodies are empty, so an allowed user gets 400 (form errors).
ROUTE_PERMISSIONS: list[tuple[str, str, dict[str, int | str]]] = [
    ("GET", "/admin/users", {
        "anonymous": "login", "admin": 200, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("GET", "/admin/users/new", {
        "anonymous": "login", "admin": 200, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("POST", "/admin/users/new", {
        "anonymous": "login", "admin": 400, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("GET", "/admin/users/{user_id}/edit", {
        "anonymous": "login", "admin": 200, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("POST", "/admin/users/{user_id}/edit", {
        "anonymous": "login", "admin": 400, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("POST", "/admin/users/{user_id}/password", {
        "anonymous": "login", "admin": 400, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
]



def table_of(page: str) -> str:
    """The list table only (the header names the logged-in user too)."""
    return page[page.index("<table"):page.index("</table>")]


def new_user_form(units, **overrides) -> dict:
    data = {"username": "nva.stp", "full_name": "Nguyễn Văn An", "email": "nva@sotuphap.hagiang.gov.vn",
            "role": "unit_officer", "unit_id": units["HG-STP"].id, "password": "mat-khau-moi-1",
            "confirm": "mat-khau-moi-1"}
    data.update(overrides)
    return data


def edit_form(user: User, **overrides) -> dict:
    data = {"full_name": user.full_name, "email": user.email or "", "role": user.role, "unit_id": user.unit_id,
            "active": "y" if user.active else ""}
    data.update(overrides)
    if not data["active"]:
        del data["active"]  # an unchecked box is simply absent from the post
    return data


@pytest.mark.parametrize(("method", "template", "role", "expected"), role_cases(ROUTE_PERMISSIONS))
def test_route_permissions(client, db, units, make_user, login_as, method, template, role, expected):
    target = make_user("unit_officer", "HG-STP", username="muc-tieu")
    url = template.format(user_id=target.id)
    if role != "anonymous":
        login_as(role, UNIT_OF_ROLE[role])
    before = audit_count(db)
    response = client.open(url, method=method)
    assert_permission(response, expected, page_text(response)[:300])
    assert audit_count(db) == before


# --- the list -------------------------------------------------------------------------------------------------


@pytest.fixture()
def people(db, units):
    """A few named users across units and roles."""
    specs = [("nva", "Nguyễn Văn An", "unit_officer", "HG-STP"), ("ttb", "Trần Thị Bích", "unit_head", "HG-STP"),
             ("lvc", "Lê Văn Cường", "office", "HG-VPUB"), ("pmd", "Phạm Minh Đức", "unit_officer", "HG-TTPVHCC"),
             ("hth", "Hoàng Thu Hà", "unit_officer", "HG-SNV")]
    for username, full_name, role, unit_code in specs:
        create_user(None, username=username, password=PASSWORD, role=role, unit_code=unit_code, full_name=full_name)
    db.session.commit()


def test_search_by_name_ignores_accents(client, db, units, people, login_as):
    login_as("admin")
    table = table_of(page_text(client.get("/admin/users?q=nguyen van an")))
    assert "Nguyễn Văn An" in table and "Trần Thị Bích" not in table
    table = table_of(page_text(client.get("/admin/users?q=DUC")))
    assert "Phạm Minh Đức" in table and "Nguyễn Văn An" not in table


def test_filter_by_role_and_by_unit_with_units_below(client, db, units, people, login_as):
    login_as("admin", "HG")
    table = table_of(page_text(client.get("/admin/users?role=unit_head")))
    assert "Trần Thị Bích" in table and "Nguyễn Văn An" not in table
    # the office's list includes the service centre below it, not a department
    table = table_of(page_text(client.get(f"/admin/users?unit={units['HG-VPUB'].id}")))
    assert "Lê Văn Cường" in table and "Phạm Minh Đức" in table and "Hoàng Thu Hà" not in table
    table = table_of(page_text(client.get(f"/admin/users?unit={units['HG-STP'].id}&role=unit_officer")))
    assert "Nguyễn Văn An" in table and "Trần Thị Bích" not in table


def test_list_paginates_and_query_count_does_not_grow(client, db, units, login_as, count_queries):
    login_as("admin")
    client.get("/admin/users")
    with count_queries() as small:
        client.get("/admin/users")
    for index in range(30):
        create_user(None, username=f"user{index:02d}", password=PASSWORD, role="unit_officer",
                    unit_code=["HG-STP", "HG-SNV", "HG-TTPVHCC"][index % 3], full_name=f"Cán bộ {index:02d}")
    db.session.commit()
    with count_queries() as large:
        first = page_text(client.get("/admin/users"))
    assert large.count == small.count, large.statements
    assert "Trang 1/2" in first
    assert "user29" in page_text(client.get("/admin/users?page=2"))


# --- creating -------------------------------------------------------------------------------------------------


def test_create_user_hashes_the_password_and_audits_without_it(app, client, db, units, login_as):
    admin = login_as("admin")
    response = client.post("/admin/users/new", data=new_user_form(units))
    assert response.status_code == 302, page_text(response)[:500]
    user = db.session.scalar(select(User).where(User.username == "nva.stp"))
    assert (user.full_name, user.role, user.unit_id) == ("Nguyễn Văn An", "unit_officer", units["HG-STP"].id)
    assert user.password_hash != "mat-khau-moi-1" and "mat-khau-moi-1" not in user.password_hash
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "User",
                                                        AuditEntry.entity_id == user.id)).one()
    assert entry.user_id == admin.id and entry.action == "create"
    stored = json.dumps(entry.changes, ensure_ascii=False) + entry.summary
    assert "mat-khau-moi-1" not in stored and user.password_hash not in stored
    login(app.test_client(), "nva.stp", "mat-khau-moi-1")


@pytest.mark.parametrize(("overrides", "message"), [
    ({"username": "trung"}, "Tên đăng nhập «trung» đã có"),
    ({"username": "TRUNG"}, "Tên đăng nhập «TRUNG» đã có"),
    ({"username": "nguyễn an"}, "Tên đăng nhập"),
    ({"username": ""}, "Tên đăng nhập"),
    ({"full_name": ""}, "Họ và tên"),
    ({"password": "ngan", "confirm": "ngan"}, "Mật khẩu: phải có ít nhất 8 ký tự"),
    ({"confirm": "khac-hoan-toan"}, "Nhập lại mật khẩu: không khớp"),
    ({"role": "superuser"}, "Vai trò"),
    ({"unit_id": 999999}, "Đơn vị"),
    ({"email": "khong-phai-thu"}, "Thư điện tử"),
])
def test_create_refuses_bad_input(client, db, units, make_user, login_as, overrides, message):
    make_user("unit_officer", "HG-STP", username="trung")
    login_as("admin")
    before_users, before_audit = db.session.scalar(select(func.count(User.id))), audit_count(db)
    response = client.post("/admin/users/new", data=new_user_form(units, **overrides))
    assert response.status_code == 400
    assert message in page_text(response)
    assert db.session.scalar(select(func.count(User.id))) == before_users
    assert audit_count(db) == before_audit


# --- editing, deactivating, resetting -------------------------------------------------------------------------


def test_edit_role_unit_email_is_audited_before_and_after(client, db, units, make_user, login_as):
    target = make_user("unit_officer", "HG-STP", username="doi-vai-tro")
    login_as("admin")
    response = client.post(f"/admin/users/{target.id}/edit", data=edit_form(
        target, role="unit_head", unit_id=units["HG-SNV"].id, email="moi@snv.gov.vn"))
    assert response.status_code == 302, page_text(response)[:500]
    db.session.refresh(target)
    assert (target.role, target.unit_id, target.email) == ("unit_head", units["HG-SNV"].id, "moi@snv.gov.vn")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_id == target.id,
                                                        AuditEntry.action == "update")).one()
    assert entry.changes["role"] == ["unit_officer", "unit_head"]
    assert entry.changes["unit_id"] == [units["HG-STP"].id, units["HG-SNV"].id]
    assert "password_hash" not in entry.changes


def test_deactivated_user_cannot_log_in_and_is_kept(app, client, db, units, make_user, login_as):
    target = make_user("unit_officer", "HG-STP", username="nghi-huu")
    login_as("admin")
    response = client.post(f"/admin/users/{target.id}/edit", data=edit_form(target, active=""))
    assert response.status_code == 302
    db.session.refresh(target)
    assert target.active is False
    assert post_login(app.test_client(), "nghi-huu").status_code == 401
    assert "Đã khóa" in page_text(client.get("/admin/users?q=nghi-huu"))


def test_admin_cannot_lock_themselves_out(client, db, units, login_as):
    admin = login_as("admin")
    response = client.post(f"/admin/users/{admin.id}/edit", data=edit_form(admin, active=""))
    assert response.status_code == 400
    assert "không thể tự khóa" in page_text(response)
    response = client.post(f"/admin/users/{admin.id}/edit", data=edit_form(admin, role="office"))
    assert response.status_code == 400
    assert "không thể tự bỏ quyền quản trị" in page_text(response)
    db.session.refresh(admin)
    assert admin.active and admin.role == "admin"


def test_reset_password(app, client, db, units, make_user, login_as):
    target = make_user("unit_officer", "HG-STP", username="quen-mat-khau")
    old_hash = target.password_hash
    login_as("admin")
    response = client.post(f"/admin/users/{target.id}/password",
                           data={"new_password": "mat-khau-cap-lai", "confirm": "mat-khau-cap-lai"})
    assert response.status_code == 302
    db.session.refresh(target)
    assert target.password_hash != old_hash
    assert post_login(app.test_client(), "quen-mat-khau").status_code == 401
    login(app.test_client(), "quen-mat-khau", "mat-khau-cap-lai")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reset_password")).one()
    assert entry.changes == {}
    assert "mat-khau-cap-lai" not in entry.summary


def test_reset_password_too_short_changes_nothing(client, db, units, make_user, login_as):
    target = make_user("unit_officer", "HG-STP", username="mk-ngan")
    old_hash = target.password_hash
    login_as("admin")
    response = client.post(f"/admin/users/{target.id}/password", data={"new_password": "1234", "confirm": "1234"})
    assert response.status_code == 400
    assert "Mật khẩu mới: phải có ít nhất 8 ký tự" in page_text(response)
    db.session.refresh(target)
    assert target.password_hash == old_hash


def test_stale_user_edit_is_a_conflict(client, db, units, make_user, login_as):
    target = make_user("unit_officer", "HG-STP", username="hai-nguoi-sua")
    login_as("admin")
    opened_at = target.version
    target.email = "nguoi-khac@sua.truoc"
    db.session.commit()
    response = client.post(f"/admin/users/{target.id}/edit",
                           data={**edit_form(target, email="cua-toi@sua.sau"), "version": opened_at})
    assert response.status_code == 409
    assert "vừa được người khác sửa" in page_text(response)
    db.session.refresh(target)
    assert target.email == "nguoi-khac@sua.truoc"


def test_missing_user_is_404(client, db, units, login_as):
    login_as("admin")
    assert client.get("/admin/users/999999/edit").status_code == 404
