"""Users imported from .csv/.xlsx: checked whole, written all or nothing, new users change their password first."""
import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from models import User
from tests.factories import login
from tests.permission_helpers import assert_permission, open_as, role_cases
from tests.responses import page_text
from tracker.services import user_import

#: (method, url template, {role: expected}); only the administrator imports users (an empty POST is a 400)
ROUTE_PERMISSIONS: list[tuple[str, str, dict[str, int | str]]] = [
    ("GET", "/admin/users/import", {
        "anonymous": "login", "admin": 200, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("POST", "/admin/users/import", {
        "anonymous": "login", "admin": 400, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("POST", "/admin/users/import/confirm", {
        "anonymous": "login", "admin": 400, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
]

CSV_VI = ("Tên đăng nhập;Họ và tên;Email;Vai trò;Mã đơn vị\n"
          "stp.moi;Nguyễn Văn Mới;moi@stp.gov.vn;unit_officer;HG-STP\n"
          "snv.lanhdao;Trần Thị Hai;hai@snv.gov.vn;Lãnh đạo đơn vị;HG-SNV\n")


def _users() -> dict[str, User]:
    return {user.username: user for user in User.query.all()}


def _xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_cli_imports_a_vietnamese_semicolon_csv_with_bom_and_prints_passwords(runner, db, units, tmp_path):
    path = tmp_path / "users.csv"
    path.write_bytes(CSV_VI.encode("utf-8-sig"))
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    users = _users()
    new = users["stp.moi"]
    assert (new.full_name, new.email, new.role, new.unit.code) == (
        "Nguyễn Văn Mới", "moi@stp.gov.vn", "unit_officer", "HG-STP")
    assert users["snv.lanhdao"].role == "unit_head"
    assert new.must_change_password is True
    password = next(line.split("\t")[1] for line in result.output.splitlines() if line.startswith("stp.moi\t"))
    assert new.check_password(password)


def test_utf16_tab_csv_with_english_headers_in_another_order(runner, db, units, tmp_path):
    text = "unit\temail\trole\tusername\tfull_name\nHG-STP\ta@b.vn\tleader\tlanhdao.moi\tLãnh Đạo\n"
    path = tmp_path / "users.csv"
    path.write_bytes(text.encode("utf-16"))
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert _users()["lanhdao.moi"].role == "leader"


def test_xlsx_import_creates_users(db, units):
    data = _xlsx([["username", "full_name", "email", "role", "unit"],
                  ["xl.mot", "Một", "mot@x.vn", "office", "HG-VPUB"]])
    check, results = user_import.import_file(None, "users.xlsx", data)
    db.session.commit()
    assert check.ok and [user.username for user, password in results if password] == ["xl.mot"]
    assert _users()["xl.mot"].role == "office"


def test_an_existing_username_is_updated_and_keeps_its_password(db, units, make_user):
    user = make_user("unit_officer", "HG-STP", username="stp.moi")
    old_hash = user.password_hash
    _check, results = user_import.import_file(None, "u.csv", CSV_VI.encode())
    db.session.commit()
    assert dict((u.username, p) for u, p in results)["stp.moi"] is None
    db.session.expire_all()
    user = _users()["stp.moi"]
    assert (user.full_name, user.email, user.password_hash) == ("Nguyễn Văn Mới", "moi@stp.gov.vn", old_hash)
    assert user.must_change_password is False


BAD_ROWS = [
    ("stp.a;A;a@x.vn;unit_officer;KHONG-CO", "Dòng 2, cột «Mã đơn vị»: không có đơn vị mã «KHONG-CO»"),
    ("stp.a;A;a@x.vn;thu-ky;HG-STP", "Dòng 2, cột «Vai trò»: «thu-ky» không phải vai trò"),
    ("stp.a;A;khong-phai-email;unit_officer;HG-STP", "Dòng 2, cột «Email»: «khong-phai-email» không phải địa chỉ"),
    ("stp.moi;A;a@x.vn;unit_officer;HG-STP", "Dòng 4, cột «Tên đăng nhập»: «stp.moi» trùng với dòng 2"),
]


@pytest.mark.parametrize(("bad_row", "message"), BAD_ROWS)
def test_one_bad_row_refuses_the_whole_file_naming_row_and_column(runner, db, units, tmp_path, bad_row, message):
    lines = CSV_VI.splitlines()
    text = "\n".join([lines[0], bad_row, lines[1], lines[2]] if "trùng" not in message
                     else [lines[0], lines[1], lines[2], bad_row]) + "\n"
    path = tmp_path / "users.csv"
    path.write_text(text, encoding="utf-8")
    before = db.session.scalar(select(func.count(User.id)))
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(func.count(User.id))) == before


def test_dry_run_writes_nothing(runner, db, units, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(CSV_VI, encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "stp.moi" in result.output
    assert "stp.moi" not in _users()


def test_missing_columns_and_size_limits(db, units, monkeypatch):
    check = user_import.check_file(None, "u.csv", b"username;email\nx;x@y.vn\n")
    assert not check.ok and any("Vai trò" in problem for problem in check.problems)
    monkeypatch.setattr(user_import, "MAX_ROWS", 1)
    check = user_import.check_file(None, "u.csv", CSV_VI.encode())
    assert not check.ok and "1" in check.problems[0]


# ---- the web page ----

@pytest.mark.parametrize(("method", "template", "role", "expected"), role_cases(ROUTE_PERMISSIONS))
def test_route_permissions(client, db, units, login_as, method, template, role, expected):
    response = open_as(client, login_as, role, method, template)
    assert_permission(response, expected, page_text(response)[:300])


@pytest.mark.parametrize("role", ["office", "leader", "unit_officer", "unit_head"])
def test_only_the_administrator_opens_the_import_page(client, db, units, login_as, role):
    login_as(role, "HG-STP" if role.startswith("unit") else "HG-VPUB")
    assert client.get("/admin/users/import").status_code == 403
    response = client.post("/admin/users/import", data={"file": (io.BytesIO(CSV_VI.encode()), "u.csv")})
    assert response.status_code == 403
    assert "stp.moi" not in _users()


def test_web_preview_then_confirm_creates_users_who_must_change_password(client, db, units, login_as):
    login_as("admin")
    response = client.post("/admin/users/import", data={"file": (io.BytesIO(CSV_VI.encode()), "u.csv")})
    assert response.status_code == 200
    page = page_text(response)
    assert "stp.moi" in page and "snv.lanhdao" in page
    assert "stp.moi" not in _users()  # the preview writes nothing
    token = re.search(r'name="upload"[^>]*value="([^"]+)"', response.get_data(as_text=True)).group(1)
    response = client.post("/admin/users/import/confirm", data={"upload": token})
    assert response.status_code == 200, page_text(response)[:500]
    new = _users()["stp.moi"]
    assert new.must_change_password
    password = response.get_data(as_text=True).split('data-password="')[1].split('"')[0]
    login(client, "stp.moi", password)
    assert client.get("/my").headers["Location"].endswith("/account/new-password")


def test_web_preview_of_a_bad_file_shows_every_problem_and_cannot_be_confirmed(client, db, units, login_as):
    login_as("admin")
    bad = CSV_VI + "x.y;A;a@x.vn;thu-ky;KHONG-CO\n"
    response = client.post("/admin/users/import", data={"file": (io.BytesIO(bad.encode()), "u.csv")})
    assert response.status_code == 400
    page = page_text(response)
    assert "Dòng 4, cột «Vai trò»" in page and "Dòng 4, cột «Mã đơn vị»" in page
    assert 'name="upload"' not in response.get_data(as_text=True)


def test_problems_are_in_the_administrators_language(client, db, units, login_as):
    admin = login_as("admin")
    admin.locale = "en"
    db.session.commit()
    bad = "username,role,unit\nx.y,thu-ky,HG-STP\n"
    response = client.post("/admin/users/import", data={"file": (io.BytesIO(bad.encode()), "u.csv")})
    assert response.status_code == 400
    assert "Row 2, column «role»: «thu-ky» is not a role" in page_text(response)
