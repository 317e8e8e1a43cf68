"""Login and logout: messages, rate limiting, hashing, cookies, CSRF, open redirects, inactive users."""
import pytest
from sqlalchemy import func, select

from models import LoginAttempt, User
from tests.factories import PASSWORD, post_login
from tests.permission_helpers import assert_permission, open_as, role_cases
from tests.responses import page_text

#: (method, url template, {role: expected}) — expected is an HTTP status, or "login" for a redirect to /login.
#: The login page redirects a logged-in user home; logout is a POST that always lands on the login page.
ROUTE_PERMISSIONS: list[tuple[str, str, dict[str, int | str]]] = [
    ("GET", "/login", {
        "anonymous": 200, "admin": 302, "office": 302, "leader": 302, "unit_officer": 302, "unit_head": 302}),
    ("POST", "/logout", {
        "anonymous": "login", "admin": "login", "office": "login", "leader": "login", "unit_officer": "login",
        "unit_head": "login"}),
]

WRONG_MESSAGE = "Tên đăng nhập hoặc mật khẩu không đúng"


def logged_in(client) -> bool:
    """Whether the client's session is a logged-in user (the account page is for users only)."""
    return client.get("/account/").status_code == 200


@pytest.mark.parametrize(("method", "template", "role", "expected"), role_cases(ROUTE_PERMISSIONS))
def test_route_permissions(client, db, units, login_as, method, template, role, expected):
    response = open_as(client, login_as, role, method, template)
    assert_permission(response, expected)


def test_login_then_logout(client, db, units, make_user):
    user = make_user("office", "HG-VPUB")
    assert not logged_in(client)
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)
    assert client.post("/logout").status_code == 302
    assert not logged_in(client)


def test_username_is_case_insensitive(client, db, units, make_user):
    make_user("office", "HG-VPUB", username="vanphong")
    assert post_login(client, "VanPhong", PASSWORD).status_code == 302


@pytest.mark.parametrize(("username", "password"), [("office-user", "sai-mat-khau"), ("khong-ton-tai", PASSWORD)])
def test_wrong_credentials_get_the_same_vietnamese_message_and_401(client, db, units, make_user, username, password):
    make_user("office", "HG-VPUB", username="office-user")
    response = post_login(client, username, password)
    assert response.status_code == 401
    assert WRONG_MESSAGE in page_text(response)
    assert not logged_in(client)


def test_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(app, client, db, units,
                                                                                  make_user):
    user = make_user("office", "HG-VPUB")
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert limit == 5
    for _ in range(limit):
        assert post_login(client, user.username, "sai-mat-khau").status_code == 401
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert f"Đăng nhập sai quá {limit} lần" in page_text(response)
    assert not logged_in(client)
    # the refused attempt is not even checked, so it is not recorded as a success
    assert db.session.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.success.is_(True))) == 0


def test_failures_below_the_limit_do_not_block(client, db, units, make_user):
    user = make_user("office", "HG-VPUB")
    for _ in range(4):
        post_login(client, user.username, "sai-mat-khau")
    assert post_login(client, user.username, PASSWORD).status_code == 302


def test_password_is_stored_hashed(db, units, make_user):
    user = make_user("unit_officer", "HG-STP", password="mot-mat-khau-rieng")
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored != "mot-mat-khau-rieng" and "mot-mat-khau-rieng" not in stored
    assert user.check_password("mot-mat-khau-rieng") and not user.check_password("mot-mat-khau-khac")
    other = make_user("unit_officer", "HG-STP", password="mot-mat-khau-rieng")
    assert other.password_hash != user.password_hash  # salted


def test_session_cookie_is_httponly_and_samesite_lax(client, db, units, make_user):
    user = make_user("office", "HG-VPUB")
    response = post_login(client, user.username, PASSWORD)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie


def test_login_without_csrf_token_is_refused(app, client, db, units, make_user):
    user = make_user("office", "HG-VPUB")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = post_login(client, user.username, PASSWORD)
        assert response.status_code == 400
        assert db.session.scalar(select(func.count(LoginAttempt.id))) == 0
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert not logged_in(client)


def test_login_with_csrf_token_works(app, client, db, units, make_user):
    """The same check with the token the form carries, so the refusal above is about the token."""
    import re

    user = make_user("office", "HG-VPUB")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        form = page_text(client.get("/login"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        response = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize("target", [
    "//evil.example", "//evil.example/login", "https://evil.example/",
    # browsers read "/\\host" as "//host"
    "/\\evil.example",
])
def test_next_cannot_redirect_off_site(client, db, units, make_user, target):
    user = make_user("office", "HG-VPUB")
    response = post_login(client, user.username, PASSWORD, next_url=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil.example" not in location
    assert location.startswith("/")


def test_next_keeps_a_local_path(client, db, units, make_user):
    user = make_user("office", "HG-VPUB")
    response = post_login(client, user.username, PASSWORD, next_url="/account/")
    assert response.headers["Location"] == "/account/"


def test_inactive_user_cannot_log_in(client, db, units, make_user):
    user = make_user("unit_officer", "HG-STP")
    user.active = False
    db.session.commit()
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 401
    assert WRONG_MESSAGE in page_text(response)
    assert not logged_in(client)


def test_deactivating_a_logged_in_user_ends_their_access(client, db, units, make_user):
    user = make_user("unit_officer", "HG-STP")
    assert post_login(client, user.username, PASSWORD).status_code == 302
    user.active = False
    db.session.commit()
    assert not logged_in(client)
