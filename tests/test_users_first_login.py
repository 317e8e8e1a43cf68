"""First login: a user whose password someone else set (import, administrator reset) must choose their own."""
import pytest

from models import User
from tests.factories import PASSWORD, login
from tests.permission_helpers import assert_permission, open_as, role_cases
from tests.responses import page_text

#: everyone logged in may choose a new password (an empty POST is a 400)
ROUTE_PERMISSIONS: list[tuple[str, str, dict[str, int | str]]] = [
    ("GET", "/account/new-password", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 200, "unit_head": 200}),
    ("POST", "/account/new-password", {
        "anonymous": "login", "admin": 400, "office": 400, "leader": 400, "unit_officer": 400, "unit_head": 400}),
]


@pytest.mark.parametrize(("method", "template", "role", "expected"), role_cases(ROUTE_PERMISSIONS))
def test_route_permissions(client, db, units, login_as, method, template, role, expected):
    response = open_as(client, login_as, role, method, template)
    assert_permission(response, expected, page_text(response)[:300])


def _must_change(db, user) -> User:
    user.must_change_password = True
    db.session.commit()
    return user


def test_every_page_redirects_to_the_change_page_until_the_password_is_changed(client, db, units, make_user):
    user = _must_change(db, make_user("unit_officer", "HG-STP"))
    login(client, user)
    for url in ("/", "/my", "/account/", "/notifications"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].endswith("/account/new-password"), url
    assert client.get("/account/new-password").status_code == 200
    # machines and leaving are unaffected
    assert client.get("/healthz").status_code == 200
    assert client.get(f"/calendar/{user.ics_token}.ics").status_code == 200

    response = client.post("/account/new-password", data={
        "current_password": PASSWORD, "new_password": "mat-khau-rieng-1", "confirm": "mat-khau-rieng-1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).must_change_password is False
    assert client.get("/account/").status_code == 200
    assert client.get("/my").status_code == 200


def test_the_change_page_refuses_a_wrong_current_password_and_keeps_the_flag(client, db, units, make_user):
    user = _must_change(db, make_user("unit_officer", "HG-STP"))
    login(client, user)
    response = client.post("/account/new-password", data={
        "current_password": "sai-mat-khau", "new_password": "mat-khau-rieng-1", "confirm": "mat-khau-rieng-1"})
    assert response.status_code == 400
    assert "Mật khẩu hiện tại: không đúng" in page_text(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).must_change_password is True
    assert client.get("/my").status_code == 302


def test_logout_works_while_the_flag_is_set(client, db, units, make_user):
    user = _must_change(db, make_user("unit_officer", "HG-STP"))
    login(client, user)
    assert client.post("/logout").status_code == 302
    assert client.get("/my").headers["Location"].startswith("/login")


def test_admin_reset_sets_the_flag(client, db, units, make_user, login_as):
    target = make_user("unit_officer", "HG-STP")
    assert target.must_change_password is False
    login_as("admin")
    response = client.post(f"/admin/users/{target.id}/password",
                           data={"new_password": "mat-khau-cap-lai", "confirm": "mat-khau-cap-lai"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).must_change_password is True
    login(client, target, "mat-khau-cap-lai")
    assert client.get("/my").headers["Location"].endswith("/account/new-password")
