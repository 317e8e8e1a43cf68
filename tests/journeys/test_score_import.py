"""The office imports a table of 766 scores through the web: upload, a column the app could not recognise
mapped by hand in the preview, confirmed; the results page then shows the scores."""
import re
from decimal import Decimal

from tests.journeys.pages import submit
from tests.test_indicators_app_import import appendix_csv, department_rows

PERIOD = "Q2/2024"


def number(text: str) -> Decimal:
    """A figure as the pages print it (decimal comma)."""
    return Decimal(text.strip().replace(".", "").replace(",", "."))


def test_score_import_with_column_mapping(login, visits, tmp_path):
    rows = department_rows()
    assert len(rows) == 18
    table = tmp_path / "phu-luc-02-q2.csv"
    # the satisfaction column's header is one the importer cannot recognise: the clerk maps it
    table.write_bytes(appendix_csv(rows).replace("Mức độ hài lòng".encode(), "Cột MĐHL".encode()))
    transport = next(r for r in rows if r[1] == "Sở Giao thông vận tải")

    page = login("vanphong")
    page.goto("/indicators/import")
    visits.look(page, "scores-01-upload")
    page.select_option("select[name=framework]", value="766-2022")
    page.fill("input[name=period]", PERIOD)
    page.fill("input[name=source]", "Quyết định số 15/QĐ-UBND ngày 15/7/2024")
    page.select_option("select[name=scope]", page.locator("select[name=scope] option", has_text="Hà Giang")
                       .first.get_attribute("value"))
    page.set_input_files("input[name=file]", str(table))
    submit(page, "main form button[type=submit]")
    assert "Xem trước bảng kết quả" in page.inner_text("h1"), page.inner_text("main")[:1500]
    column = page.locator("select[name=col_6]")
    assert column.input_value() == "ignore"  # not recognised: left out until mapped
    assert "Cột MĐHL" in page.inner_text("form.mapping")
    visits.look(page, "scores-02-preview-unmapped")

    column.select_option("node:MDHL")
    submit(page, "form.mapping button[type=submit]")
    assert page.locator("select[name=col_6]").input_value() == "node:MDHL"
    summary = page.inner_text("section.messages h2")
    assert re.search(r"0 lỗi, \d+ cảnh báo, 18 dòng đọc được", summary), summary
    preview = page.locator("table.preview tbody tr")
    assert preview.count() == 18
    row = page.locator("table.preview tbody tr", has_text="Sở Giao thông vận tải").first
    assert number(row.locator("td[data-label='MDHL']").inner_text()) == number(transport[6])
    assert "không tìm thấy" not in page.inner_text("table.preview")
    visits.look(page, "scores-03-preview-mapped")

    submit(page, "button:has-text('Xác nhận nhập 18 dòng')")
    assert "Đã nhập 108 điểm số" in page.inner_text("main"), page.inner_text("main")[:1500]
    visits.look(page, "scores-04-imported")

    page.goto(f"/indicators/results?framework=766-2022&period={PERIOD}&kind=department")
    row = page.locator("main table tr", has_text="Sở Giao thông vận tải").first
    figures = {number(f) for f in re.findall(r"\d+,\d+", row.inner_text())}
    assert number(transport[7]) in figures, row.inner_text()
    visits.look(page, "scores-05-results")
