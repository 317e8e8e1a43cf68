"""CLI: `users create` and `units list`, through Flask's CLI runner."""
from sqlalchemy import func, select

from models import Unit, User
from tests.factories import login


def test_users_create_makes_a_user_who_can_log_in(app, runner, db, units):
    result = runner.invoke(args=["users", "create", "--username", "stp.dau-moi", "--password", "mat-khau-cli-1",
                                 "--role", "unit_officer", "--unit", "HG-STP", "--email", "dm@stp.gov.vn"])
    assert result.exit_code == 0, result.output
    assert "stp.dau-moi" in result.output
    user = db.session.scalar(select(User).where(User.username == "stp.dau-moi"))
    assert (user.role, user.unit.code, user.email) == ("unit_officer", "HG-STP", "dm@stp.gov.vn")
    assert user.password_hash != "mat-khau-cli-1"
    login(app.test_client(), "stp.dau-moi", "mat-khau-cli-1")


def test_users_create_with_an_unknown_unit_fails_in_vietnamese(runner, db, units):
    result = runner.invoke(args=["users", "create", "--username", "lac-don-vi", "--password", "mat-khau-cli-1",
                                 "--role", "office", "--unit", "KHONG-CO"])
    assert result.exit_code != 0
    assert "Không có đơn vị mã «KHONG-CO»" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_users_create_refuses_a_short_password_and_a_duplicate(runner, db, units):
    result = runner.invoke(args=["users", "create", "--username", "ngan", "--password", "1234567",
                                 "--role", "office", "--unit", "HG-VPUB"])
    assert result.exit_code != 0 and "ít nhất 8 ký tự" in result.output
    args = ["users", "create", "--username", "trung", "--password", "mat-khau-cli-1", "--role", "office",
            "--unit", "HG-VPUB"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "«trung» đã có" in again.output
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_users_create_refuses_an_unknown_role(runner, db, units):
    result = runner.invoke(args=["users", "create", "--username", "x1", "--password", "mat-khau-cli-1",
                                 "--role", "superuser", "--unit", "HG-VPUB"])
    assert result.exit_code != 0
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_units_list_prints_code_tab_name_one_a_line(runner, db, units):
    result = runner.invoke(args=["units", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == db.session.scalar(select(func.count(Unit.id)))
    pairs = [line.split("\t") for line in lines]
    assert all(len(pair) == 2 for pair in pairs)
    listed = dict(pairs)
    assert listed["HG-STP"] == "Sở Tư pháp"
    assert listed["HG"] == "UBND tỉnh Hà Giang"
    assert lines[0].startswith("HG\t")  # the province first: tree order


def test_units_list_includes_units_created_in_the_admin_pages(runner, client, db, units, login_as):
    login_as("admin")
    kind_id = units["HG-STP"].kind_id
    response = client.post("/admin/units/new", data={"code": "HG-SMOI", "name": "Sở Mới Thành Lập",
                                                     "kind_id": kind_id, "parent_id": units["HG"].id})
    assert response.status_code == 302
    assert "HG-SMOI\tSở Mới Thành Lập" in runner.invoke(args=["units", "list"]).output.splitlines()
