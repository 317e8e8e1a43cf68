"""CLI commands: `flask --app app seed demo`, `users create`, `units list`."""
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from models import Unit, UnitKind, User, db
from tracker.cli_indicators import frameworks_cli, import_scores
from tracker.cli_plan_import import import_plan
from tracker.cli_reminders import reminders_cli
from tracker.cli_reports import report_cli
from tracker.services import accounts, seed, user_import
from tracker.services.units import tree
from tracker.transaction import committed

seed_cli = AppGroup("seed", help="Nạp dữ liệu mẫu.")
users_cli = AppGroup("users", help="Quản lý người dùng.")
units_cli = AppGroup("units", help="Đơn vị.")
#: `flask --app app import plan|scores …`; features add their commands to this group
import_cli = AppGroup("import", help="Nhập dữ liệu từ tệp (kế hoạch, kết quả chỉ số).")


@seed_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Chỉ nạp khi cơ sở dữ liệu chưa có đơn vị nào.")
@click.option("--notes", "notes_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tệp ghi các điểm văn bản nguồn thiếu hoặc cần rà soát (mặc định: instance/seed-notes.txt).")
def seed_demo(if_empty: bool, notes_file: Path | None) -> None:
    """Load the seeded province's units, the 2023 plan, the directive, demo users and progress."""
    if if_empty and db.session.scalar(select(Unit.id).limit(1)):
        click.echo("Cơ sở dữ liệu đã có dữ liệu; bỏ qua nạp mẫu.")
        return
    notes_file = notes_file or Path(current_app.instance_path) / "seed-notes.txt"
    for line in seed.seed_demo(notes_file=notes_file):
        click.echo(line)
    db.session.commit()


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "office", "unit_officer", "unit_head", "leader"]))
@click.option("--unit", "unit_code", required=True, help="Mã đơn vị (xem `units list`).")
@click.option("--email", default=None)
@click.option("--full-name", default="")
def users_create(username, password, role, unit_code, email, full_name) -> None:
    """Create a user bound to a unit."""
    try:
        user = accounts.create_user(None, username=username, password=password, role=role, unit_code=unit_code,
                                    email=email, full_name=full_name)
    except accounts.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Đã tạo người dùng {user.username} ({user.role}, {unit_code}).")


@users_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra, không ghi gì.")
def users_import(path: Path, dry_run: bool) -> None:
    """Create or update users from a .csv/.xlsx table (username, full_name, email, role, unit); all or nothing.

    New users get a random initial password, printed once here, and must change it at first login."""
    try:
        with committed():
            check, results = user_import.import_file(None, path.name, path.read_bytes(), dry_run=dry_run)
    except user_import.UserImportError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.ClickException(_("Không nhập tệp: %(count)s lỗi; chưa ghi gì.", count=len(error.problems))
                                   ) from error
    if dry_run:
        for row in check.rows:
            click.echo(f"{row.line}\t{row.username}\t{row.role}\t{row.unit_code}\t"
                       f"{_('cập nhật') if row.existing else _('tạo mới')}")
        click.echo(_("Kiểm tra xong %(count)s dòng, không có lỗi; chạy thử nên chưa ghi gì.", count=len(check.rows)))
        return
    for user, password in results:
        click.echo(f"{user.username}\t{password}" if password else f"{user.username}\t{_('cập nhật')}")
    created = sum(1 for _user, password in results if password)
    click.echo(_("Đã nhập %(created)s người dùng mới, cập nhật %(updated)s; mật khẩu ban đầu chỉ hiện một lần.",
                 created=created, updated=len(results) - created))


@users_cli.command("list")
def users_list() -> None:
    """One user a line: username, role, unit code."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        click.echo(f"{user.username}\t{user.role}\t{user.unit.code}")


@units_cli.command("list")
def units_list() -> None:
    """One unit a line: its code, then its name."""
    for unit, _depth in tree():
        click.echo(f"{unit.code}\t{unit.name}")


@units_cli.command("kinds")
def units_kinds() -> None:
    """Unit kinds: code, name, level."""
    for kind in db.session.scalars(select(UnitKind).order_by(UnitKind.sort_order)):
        click.echo(f"{kind.code}\t{kind.name}\t{kind.level}")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    import_cli.add_command(import_plan)
    import_cli.add_command(import_scores)
    for group in (seed_cli, users_cli, units_cli, import_cli, reminders_cli, frameworks_cli, report_cli):
        app.cli.add_command(group)
