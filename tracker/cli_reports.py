"""`flask --app app report year|notice …`: the same files the report pages make, written to a path."""
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from tracker import clock
from tracker.reports.fonts import FontMissingError
from tracker.reports.generate import FORMATS, build_document, render, write_atomically
from tracker.services.reports import ReportError

report_cli = AppGroup("report", help="Lập báo cáo tổng kết năm và thông báo kết quả chỉ số (PDF, Word, Excel).")


def _format(fmt: str | None, output: Path) -> str:
    chosen = (fmt or output.suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        raise click.BadParameter(f"chọn một trong {', '.join(FORMATS)} (hoặc đặt đuôi tệp tương ứng)",
                                 param_hint="--format")
    return chosen


def _write(kind: str, settings: dict, fmt: str, output: Path) -> None:
    try:
        document = build_document(kind, settings, {}, clock.today())
        data = render(document, fmt)
    except (ReportError, FontMissingError) as error:
        # nothing is written: a bad setting never leaves an empty or partial file
        raise click.ClickException(str(error)) from error
    write_atomically(output, data)
    click.echo(f"Đã ghi {output} ({len(data):,} byte, {fmt.upper()}).".replace(",", "."))


@report_cli.command("year")
@click.option("--year", type=int, required=True, help="Năm báo cáo.")
@click.option("--plan", "plans", multiple=True,
              help="Mã kế hoạch (lặp lại để chọn nhiều); mặc định: mọi kế hoạch của năm.")
@click.option("--unit", "unit_code", default=None, help="Mã đơn vị: báo cáo riêng của đơn vị đó.")
@click.option("--framework", default=None, help="Mã bộ chỉ số cho phần II (mặc định: Bộ chỉ số 766 của năm).")
@click.option("--period", default=None, help="Kỳ kết quả chỉ số cho phần II (mặc định: năm báo cáo).")
@click.option("--as-of", "as_of", default=None, help="Ngày tính số liệu, yyyy-mm-dd (mặc định: hôm nay).")
@click.option("--province", default=None, help="Mã tỉnh ban hành (cần khi dữ liệu có nhiều tỉnh).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="pdf, docx hoặc xlsx.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Tệp kết quả.")
def report_year(year, plans, unit_code, framework, period, as_of, province, fmt, output) -> None:
    """The year-end report of a year's plans (or of one unit)."""
    try:
        as_of_date = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise click.BadParameter(f"«{as_of}» không phải ngày dạng yyyy-mm-dd", param_hint="--as-of") from None
    settings = {"year": year, "plan_codes": list(plans), "unit_code": unit_code, "framework": framework,
                "period": period, "as_of": as_of_date.isoformat() if as_of_date else None, "province": province}
    _write("year", settings, _format(fmt, output), output)


@report_cli.command("notice")
@click.option("--framework", required=True, help="Mã bộ chỉ số, ví dụ 766-2022.")
@click.option("--period", required=True, help="Kỳ đánh giá, ví dụ Q2/2024 hoặc 2024.")
@click.option("--province", default=None, help="Mã tỉnh ban hành (cần khi dữ liệu có nhiều tỉnh).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="pdf, docx hoặc xlsx.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Tệp kết quả.")
def report_notice(framework, period, province, fmt, output) -> None:
    """The results notice of a framework's period, one appendix per level."""
    _write("notice", {"framework": framework, "period": period, "province": province}, _format(fmt, output), output)
