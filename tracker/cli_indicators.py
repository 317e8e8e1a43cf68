"""CLI of the indicators: `flask --app app frameworks list|load FILE` and `flask --app app import scores FILE …`."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from models import Unit, db
from tracker.services import score_import
from tracker.services.frameworks import (
    FrameworkError,
    FrameworkLoadError,
    by_code,
    framework_summaries,
    load_framework_file,
)

frameworks_cli = AppGroup("frameworks", help="Bộ chỉ số đánh giá (Chỉ số 766, Chỉ số CCHC).")


@frameworks_cli.command("list")
def frameworks_list() -> None:
    """One framework a line: code, name, years, nodes, scores, periods with scores."""
    summaries = framework_summaries()
    if not summaries:
        click.echo("Chưa có bộ chỉ số nào; nạp bằng `flask --app app frameworks load TỆP`.")
    for item in summaries:
        framework = item.framework
        years = f"{framework.valid_from}–{framework.valid_to or 'nay'}"
        periods = ", ".join(item.periods) or "chưa có điểm"
        click.echo(f"{framework.code}\t{framework.name}\t{years}\t{item.nodes} chỉ tiêu\t{item.scores} điểm số\t"
                   f"{periods}")


@frameworks_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def frameworks_load(path: str) -> None:
    """Load a framework YAML file (new code: a new framework; existing code: update in place)."""
    try:
        outcome = load_framework_file(path)
    except FrameworkError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(problem, err=True)
        click.echo("Tệp bộ chỉ số không hợp lệ; không nạp gì.", err=True)
        sys.exit(1)
    except FrameworkLoadError as error:
        db.session.rollback()
        click.echo(str(error), err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(outcome.line())


@click.command("scores")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--framework", "framework_code", required=True, help="Mã bộ chỉ số, ví dụ 766-2022.")
@click.option("--period", required=True,
              help="Kỳ: 2024, \"6 tháng đầu năm 2024\", Q2/2024, \"Tháng 10/2025\", \"Tuần 27/2024\" (tuần ISO), "
                   "\"11:00 08/07/2024\".")
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra và in thông báo, không lưu.")
@click.option("--sheet", default=None, help="Tên trang tính (tệp .xlsx); mặc định trang đầu.")
@click.option("--source", default="", help="Văn bản công bố, ví dụ \"Quyết định số 01/QĐ-UBND ngày 02/01/2025\".")
@click.option("--scope", "scope_code", default=None, help="Mã đơn vị (tỉnh) để khớp tên đơn vị; mặc định tất cả.")
@click.option("--mapping", "mapping_json", default=None, help="Ánh xạ cột (JSON) thay cho ánh xạ tự nhận.")
def import_scores(path, framework_code, period, dry_run, sheet, source, scope_code, mapping_json) -> None:
    """Import a results table; prints each message with its row and exits 1 when the table is refused."""
    framework = by_code(framework_code)
    if framework is None:
        raise click.ClickException(f"Không có bộ chỉ số mã '{framework_code}' (xem `flask --app app frameworks list`)")
    scope_id = None
    if scope_code:
        scope_id = db.session.scalar(select(Unit.id).where(Unit.code == scope_code))
        if scope_id is None:
            raise click.ClickException(f"Không có đơn vị mã '{scope_code}'")
    try:
        result = score_import.import_file(
            path, framework, period, score_import.import_folder(current_app.config["UPLOAD_FOLDER"]),
            dry_run=dry_run, sheet=sheet, source=source, scope_unit_id=scope_id, mapping_json=mapping_json)
    except (score_import.ScoreImportError, ValueError) as error:
        db.session.rollback()
        click.echo(f"Lỗi: {error}", err=True)
        sys.exit(1)
    for message in result.messages:
        label = "Lỗi" if message.level == "error" else "Cảnh báo"
        click.echo(f"{label}: {message.text}", err=message.level == "error")
    if result.refused:
        db.session.rollback()
        errors = sum(1 for message in result.messages if message.level == "error")
        click.echo(f"Từ chối nhập: {errors} lỗi; không lưu dòng nào.", err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
        click.echo(f"Chạy thử: {result.rows} dòng hợp lệ; chưa lưu.")
        return
    db.session.commit()
    click.echo(f"Đã nhập {result.rows} dòng ({result.saved} điểm số) vào {framework.code} kỳ {period}.")
