"""`flask --app app import plan FILE [--dry-run]`: the plan importer from the command line."""
from pathlib import Path

import click
from flask import current_app

from models import db
from tracker.services import plan_import


@click.command("plan")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Chỉ đọc và báo cảnh báo, không lưu gì.")
@click.option("--code", default=None, help="Mã kế hoạch (mặc định lấy từ tệp hoặc số quyết định).")
@click.option("--year", type=int, default=None, help="Năm kế hoạch (mặc định lấy từ tệp).")
@click.option("--title", default=None, help="Tên kế hoạch (mặc định lấy từ tệp).")
@click.option("--accept-unresolved-leads", is_flag=True,
              help="Nạp cả các hoạt động chưa xác định được đơn vị chủ trì (liệt kê từng hoạt động).")
def import_plan(path: Path, dry_run: bool, code: str | None, year: int | None, title: str | None,
                accept_unresolved_leads: bool) -> None:
    """Import a plan from a .docx/.xlsx appendix, printing the same warnings as the preview."""
    content = path.read_bytes()
    overrides = {"code": code, "year": year, "title": title}
    max_bytes = plan_import.max_bytes_from(current_app.config)
    try:
        if dry_run:
            result, _kind, layout = plan_import.parse_upload(path.name, content, max_bytes, overrides)
            plan_import.settle_issuer(result.data)
            read = [w for w in result.warnings if w.get("source") == "read"]
            warnings = plan_import.compute_warnings(result.data, read)
            data = result.data
        else:
            imp = plan_import.create_preview(None, path.name, content, max_bytes=max_bytes, overrides=overrides,
                                             upload_root=current_app.config["UPLOAD_FOLDER"])
            undecided = plan_import.undecided_leads(imp) if accept_unresolved_leads else {}
            if undecided:
                plan_import.apply_corrections(None, imp, {}, {}, accepted=dict.fromkeys(undecided, True))
                click.echo(f"Chấp nhận nạp không rõ đơn vị chủ trì: {', '.join(undecided.values())}")
            warnings, data, layout = imp.warnings, imp.data, imp.layout
    except plan_import.PlanImportError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    counts = plan_import.tree_counts(data)
    click.echo(f"Kế hoạch {data.get('code')} ({data.get('year')}): {data.get('title')}")
    click.echo(f"Đọc được {counts['groups']} nhóm, {counts['tasks']} nhiệm vụ, {counts['activities']} hoạt động "
               f"(dạng {'bảng' if layout == 'table' else 'danh sách đánh số'}).")
    for item in warnings:
        click.echo(f"{'LỖI' if item['level'] == 'error' else 'Cảnh báo'}: {item['message']}")
    if dry_run:
        db.session.rollback()
        click.echo("Chạy thử (--dry-run): không lưu gì.")
        return
    try:
        plan, summary = plan_import.commit_import(None, imp)
    except plan_import.PlanImportError as error:
        db.session.rollback()
        plan_import.remove_file(current_app.config["UPLOAD_FOLDER"], imp.stored_path)
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Đã nạp kế hoạch {plan.code}: {summary.activities} hoạt động, {summary.assignments} phân công.")
