"""Rendering a Document to PDF, Word and Excel, without the app or a database."""
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from docx import Document as open_docx
from openpyxl import load_workbook
from pypdf import PdfReader

from tracker.reports import pdf as pdf_module
from tracker.reports.build import band_lines, long_date, place_date
from tracker.reports.document import (
    Appendix,
    Block,
    Chart,
    Column,
    Document,
    Header,
    Signature,
    Table,
    from_json,
    to_json,
)
from tracker.reports.docx import render_docx
from tracker.reports.xlsx import render_xlsx

A4 = (595.28, 841.89)
MM = 72 / 25.4


def small_document(rows: int = 40, with_chart: bool = True) -> Document:
    table = Table("PL02", "Kết quả theo đơn vị",
                  [Column("STT", 10, "int"), Column("Tên đơn vị", 85), Column("Số lượt", 20, "int"),
                   Column("Điểm", 25, "dec", 2), Column("Tỷ lệ (%)", 25, "pct", 1)],
                  [[i, f"Sở Văn hoá, Thể thao và Du lịch số {i}", i * 1000, Decimal("85.605"), Decimal("45.55")]
                   for i in range(1, rows + 1)], numbering=["A", "B", "1", "2", "3"])
    body = [Block("heading", text="I. KẾT QUẢ THỰC HIỆN KẾ HOẠCH", level=1),
            Block("paragraph", text="Thực hiện Quyết định số 210/QĐ-UBND ngày 17/02/2023 của Ủy ban nhân dân tỉnh "
                                    "Hà Giang về kiểm soát thủ tục hành chính, Ủy ban nhân dân tỉnh báo cáo kết quả "
                                    "thực hiện năm 2023 như sau:")]
    if with_chart:
        body.append(Block("chart", chart=Chart("BD1", "Biểu đồ 1. Số lượt theo trạng thái",
                                               ["Hoàn thành đúng hạn", "Quá hạn"], [("Số lượt", [640, 88])],
                                               kind="hbar")))
    body.append(Block("heading", text="II. KẾT QUẢ CÁC CHỈ SỐ", level=1))
    return Document(
        kind="year",
        header=Header("", "ỦY BAN NHÂN DÂN\nTỈNH HÀ GIANG", "Số: …/BC-UBND", "Hà Giang, ngày … tháng … năm 2023",
                      "BÁO CÁO", "Tổng kết thực hiện Kế hoạch kiểm soát thủ tục hành chính năm 2023"),
        body=body, recipients=["Văn phòng Chính phủ;", "Lưu: VT."],
        signature=Signature("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Hoàng Gia Long"),
        appendices=[Appendix("PHỤ LỤC 01", "KẾT QUẢ THEO ĐƠN VỊ", "(Kèm theo Báo cáo số …/BC-UBND)",
                             [Block("table", table=table)])])


@pytest.fixture(scope="module")
def rendered_pdf(report_fonts) -> bytes:
    return pdf_module.render_pdf(small_document())


def test_document_survives_json_round_trip_with_exact_decimals():
    document = small_document(rows=3)
    again = from_json(to_json(document))
    assert again == document
    assert again.appendices[0].blocks[0].table.rows[0][3] == Decimal("85.605")


def test_table_rejects_rows_of_the_wrong_width():
    with pytest.raises(ValueError, match="dòng 1 có 1 ô, cần 2"):
        Table("X", "x", [Column("a", 10), Column("b", 10)], [["only one"]])


def test_pdf_is_a4_with_decree_30_text_and_embedded_fonts(rendered_pdf):
    reader = PdfReader(io.BytesIO(rendered_pdf))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A4
    first = reader.pages[0].extract_text()
    for text in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Số: …/BC-UBND",
                 "BÁO CÁO", "I. KẾT QUẢ THỰC HIỆN KẾ HOẠCH", "Ủy ban nhân dân tỉnh"):
        assert text in first
    whole = "".join(page.extract_text() for page in reader.pages)
    assert "Nơi nhận:" in whole and "KT. CHỦ TỊCH" in whole and "PHÓ CHỦ TỊCH" in whole
    assert "Sở Văn hoá, Thể thao và Du lịch số 40" in whole
    assert "85,61" in whole and "45,6" in whole and "40.000" in whole  # Vietnamese number formats
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor, f"{font['/BaseFont']} not embedded"
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
    assert any("Liberation" in name or "Tinos" in name for name in fonts)


def test_pdf_header_row_repeats_and_page_numbers_start_on_page_two(rendered_pdf):
    reader = PdfReader(io.BytesIO(rendered_pdf))
    appendix_pages = [page.extract_text() for page in reader.pages if "Tên đơn vị" in page.extract_text()]
    assert len(appendix_pages) >= 2, "the appendix table should run over two pages, its header repeated"
    for number, page in enumerate(reader.pages[1:], start=2):
        assert str(number) in [line.strip() for line in page.extract_text().splitlines()]
    assert "1" not in [line.strip() for line in reader.pages[0].extract_text().splitlines()]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
def test_pdf_text_stays_inside_the_decree_30_margins(rendered_pdf, tmp_path):
    source = tmp_path / "doc.pdf"
    source.write_bytes(rendered_pdf)
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(source), "-"], capture_output=True,
                          text=True, check=True).stdout
    import re

    boxes = [tuple(float(v) for v in match) for match in re.findall(
        r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', html)]
    assert boxes
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[2] for b in boxes), max(b[3] for b in boxes)
    assert abs(left - 30 * MM) < 1.0  # justified body lines start on the 30 mm left margin
    assert 552.0 - 15 <= right <= A4[0] - 15 * MM + 0.5  # and end on the 15 mm right margin
    assert top >= 20 * MM - 0.5 and bottom <= A4[1] - 20 * MM + 0.5


def test_same_document_gives_the_same_pdf_bytes(rendered_pdf):
    assert pdf_module.render_pdf(small_document()) == rendered_pdf


def test_url_fetcher_refuses_local_files_and_network(report_fonts):
    fonts = report_fonts
    fetch = pdf_module.restrictive_fetcher(fonts.paths())
    for url in ("file:///etc/passwd", "http://example.com/x.png", "https://127.0.0.1/", "ftp://x/y"):
        with pytest.raises(pdf_module.FetchRefused):
            fetch(url)
    font = next(iter(fonts.paths()))
    assert fetch(font.as_uri())["file_obj"].read(4)
    assert fetch("data:text/plain;base64,eA==")


def test_a_narrative_cannot_pull_local_files_into_the_pdf(monkeypatch, report_fonts):
    document = small_document(rows=1, with_chart=False)
    document.body.append(Block("paragraph", text='<img src="file:///etc/passwd"> <link href="http://x/y.css">'))
    refused = []
    original = pdf_module.restrictive_fetcher

    def spy(allowed):
        fetch = original(allowed)

        def wrapped(url, *args, **kwargs):
            if not url.startswith("data:") and not url.endswith(".ttf"):
                refused.append(url)
            return fetch(url, *args, **kwargs)

        return wrapped

    monkeypatch.setattr(pdf_module, "restrictive_fetcher", spy)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_module.render_pdf(document))).pages)
    assert '<img src="file:///etc/passwd">' in text  # escaped, printed as text
    assert refused == []  # never even asked for


def test_xlsx_keeps_numbers_numeric_with_number_formats():
    book = load_workbook(io.BytesIO(render_xlsx(small_document(rows=5))))
    assert book.sheetnames[0] == "Muc luc"
    sheet = next(book[name] for name in book.sheetnames if name.startswith("PL02"))
    header_row = next(row for row in sheet.iter_rows() if row[0].value == "STT")[0].row
    data = list(sheet.iter_rows(min_row=header_row + 2, max_row=header_row + 6))
    assert sum(row[2].value for row in data) == 15000
    assert all(row[2].data_type == "n" and row[2].number_format == "#,##0" for row in data)
    assert data[0][3].value == pytest.approx(85.605) and data[0][3].number_format == "#,##0.00"
    assert sheet.print_title_rows  # the header repeats on printed pages
    chart_sheet = next(book[name] for name in book.sheetnames if name.startswith("BD1"))
    assert [c.value for c in next(r for r in chart_sheet.iter_rows() if r[0].value == "Quá hạn")] == ["Quá hạn", 88]


def test_docx_has_headings_a4_margins_and_repeating_table_headers(report_fonts):
    word = open_docx(io.BytesIO(render_docx(small_document(rows=5))))
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["I. KẾT QUẢ THỰC HIỆN KẾ HOẠCH", "II. KẾT QUẢ CÁC CHỈ SỐ"]
    section = word.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 15
    text = "\n".join(p.text for p in word.paragraphs)
    assert "BÁO CÁO" in text
    tables_text = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in tables_text[1] and "Nơi nhận:" in "".join(tables_text)
    data_table = next(t for t in word.tables if t.rows[0].cells[0].text == "STT")
    assert data_table.rows[0]._tr.trPr.xpath("./w:tblHeader")
    assert data_table.rows[2].cells[1].text == "Sở Văn hoá, Thể thao và Du lịch số 1"
    assert word.inline_shapes or any("Quá hạn" in t for t in tables_text)  # the chart, as a picture or its table


def test_decree_30_dates_and_band_lines():
    from datetime import date

    assert long_date(date(2025, 1, 2)) == "ngày 02 tháng 01 năm 2025"
    assert long_date(date(2023, 5, 17)) == "ngày 17 tháng 5 năm 2023"
    assert place_date("Hà Giang", "17/05/2023", 2023) == "Hà Giang, ngày 17 tháng 5 năm 2023"
    assert place_date("Hà Giang", "", 2023) == "Hà Giang, ngày … tháng … năm 2023"

    class Section:
        band_basis = "points"
        bands = [("Xuất sắc", Decimal(90)), ("Tốt", Decimal(80)), ("Yếu", Decimal(0))]

    assert band_lines(Section) == ["Từ 90 điểm trở lên xếp loại: Xuất sắc.", "Từ 80 đến dưới 90 điểm xếp loại: Tốt.",
                                   "Dưới 80 điểm xếp loại: Yếu."]
