"""The year-end report and the results notice from the seeded Hà Giang data, read back from the files.

The data are seeded once for the module (units, the 2023 plan with reproducible demo progress, the 2024 766
results of seed 000), so these tests use the `app` fixture and their own context instead of `db`, and empty the
database when the module ends. Expected figures come from the spine's dashboards (an independent query) and
from the source document itself (seed 000), never from the code under test.
"""
import io
import re
import shutil
import subprocess
from datetime import date

import pytest
from docx import Document as open_docx
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from models import Plan
from models import db as _db
from tests.conftest import empty_database
from tracker.domain.formatting import fmt_int, fmt_percent
from tracker.reports.generate import build_document, render

AS_OF = date(2023, 12, 31)
PLAN = "HG-KSTTHC-2023"
YEAR_SETTINGS = {"year": 2023, "plan_codes": [], "unit_code": None, "framework": None, "period": "2024",
                 "as_of": AS_OF.isoformat()}
NARRATIVE = {"signer_name": "Hoàng Gia Long", "causes": "Người đứng đầu một số cơ quan chưa quan tâm đúng mức.",
             "next_steps": "Tập trung xử lý dứt điểm các nhiệm vụ quá hạn."}
OUT_DIR = __import__("pathlib").Path(__file__).resolve().parent / "out"


@pytest.fixture(scope="module")
def seeded(app, report_fonts):
    """Seed once, build the documents and files once; yields a dict of what the tests read."""
    from tracker.services import accounts, dashboards, indicator_seed, plans, seed, units

    with app.app_context():
        empty_database()
        units.load_units_file(units.DATA_DIR / "ha-giang.yaml")
        plans.load_plan_file(plans.DATA_DIR / "ha-giang-2023-ksthc.yaml")
        accounts.create_user(None, username="vanphong", password="matkhau123", role="office", unit_code="HG-VPUB",
                             email="vp@example.gov.vn")
        seed.demo_progress(date(2023, 12, 20))
        indicator_seed.seed_indicators()
        _db.session.commit()
        plan_id = _db.session.scalar(select(Plan.id).where(Plan.code == PLAN))
        expected = dashboards.status_counts(AS_OF, plan_ids=[plan_id])
        year_doc = build_document("year", YEAR_SETTINGS, NARRATIVE, date(2024, 1, 5))
        unit_doc = build_document("year", {**YEAR_SETTINGS, "unit_code": "HG-STP"}, {}, date(2024, 1, 5))
        stp_expected = dashboards.status_counts(AS_OF, unit_ids={units_id("HG-STP")}, plan_ids=[plan_id])
        notice_doc = build_document("notice", {"framework": "766-2022", "period": "2024"},
                                    {"snapshot": "11 giờ 00 phút ngày 01/01/2025"}, date(2025, 1, 5))
        files = {"year.pdf": render(year_doc, "pdf"), "year.docx": render(year_doc, "docx"),
                 "year.xlsx": render(year_doc, "xlsx"), "unit.pdf": render(unit_doc, "pdf"),
                 "notice.pdf": render(notice_doc, "pdf"), "notice.xlsx": render(notice_doc, "xlsx"),
                 "notice.docx": render(notice_doc, "docx")}
        _preview(files)
        yield {"expected": expected, "stp_expected": stp_expected, "files": files, "year_doc": year_doc}
        _db.session.rollback()
        _db.session.remove()
        empty_database()


def units_id(code: str) -> int:
    from models import Unit

    return _db.session.scalar(select(Unit.id).where(Unit.code == code))


def _preview(files: dict) -> None:
    """First pages as PNG in tests/out (git-ignored) so a person can look at the layout."""
    OUT_DIR.mkdir(exist_ok=True)
    for name, data in files.items():
        (OUT_DIR / f"reports-{name}").write_bytes(data)
        if name.endswith(".pdf") and shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3", str(OUT_DIR / f"reports-{name}"),
                            str(OUT_DIR / f"reports-{name[:-4]}")], check=True, timeout=120)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _flat(text_value: str) -> str:
    return re.sub(r"\s+", " ", text_value)


def test_year_report_prints_the_seeded_figures(seeded):
    expected = seeded["expected"]
    body = _flat(_pdf_text(seeded["files"]["year.pdf"]))
    assert f"giao {fmt_int(expected.total)} lượt nhiệm vụ" in body
    assert f"hoàn thành đúng hạn {fmt_int(expected.done_on_time)} lượt" in body
    assert f"quá hạn chưa hoàn thành {fmt_int(expected.overdue)} lượt" in body
    assert f"Tỷ lệ hoàn thành đúng hạn đạt {fmt_percent(expected.on_time_rate)}" in body
    assert "Tính đến ngày 31/12/2023" in body
    # part II: the 2024 results as Decision 01/QĐ-UBND (seed 000) published them
    assert "Năm 2024, Chỉ số của tỉnh đạt 85,60/100 điểm, xếp loại Tốt, xếp hạng 10/63" in body
    assert "Có 03/18 cơ quan xếp loại Xuất sắc" in body and "Có 09/18 cơ quan xếp loại Tốt" in body
    assert "Có 10/11 huyện, thành phố xếp loại Xuất sắc" in body
    for heading in ("I. KẾT QUẢ THỰC HIỆN KẾ HOẠCH", "II. KẾT QUẢ CÁC CHỈ SỐ", "III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
                    "IV. NHIỆM VỤ, GIẢI PHÁP THỜI GIAN TỚI", "PHỤ LỤC 01", "PHỤ LỤC 02", "PHỤ LỤC 03"):
        assert heading in body
    assert "Người đứng đầu một số cơ quan chưa quan tâm đúng mức." in body  # the office's narrative
    assert "Hoàng Gia Long" in body and "Sở Tư pháp" in body


def test_year_report_pdf_is_a4_with_embedded_fonts_and_appendix_pages(seeded):
    reader = PdfReader(io.BytesIO(seeded["files"]["year.pdf"]))
    assert len(reader.pages) > 5
    assert all(round(float(p.mediabox.width)) == 595 and round(float(p.mediabox.height)) == 842 for p in reader.pages)
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor


def test_year_report_xlsx_sums_to_the_seeded_totals(seeded):
    expected = seeded["expected"]
    book = load_workbook(io.BytesIO(seeded["files"]["year.xlsx"]))
    sheet = next(book[name] for name in book.sheetnames if name.startswith("PL02"))
    header = next(row for row in sheet.iter_rows() if row[0].value == "STT")[0].row
    rows = [row for row in sheet.iter_rows(min_row=header + 2) if isinstance(row[0].value, int)]
    assert len(rows) > 20
    assert sum(row[2].value for row in rows) == expected.total  # column "Tổng số lượt"
    assert sum(row[3].value for row in rows) == expected.done_on_time
    assert all(row[2].data_type == "n" for row in rows)
    total_row = next(row for row in sheet.iter_rows(min_row=header + 2) if row[1].value == "Tổng cộng")
    assert total_row[2].value == expected.total
    scores = next(book[name] for name in book.sheetnames if name.startswith("PL05"))
    values = [row[7].value for row in scores.iter_rows() if isinstance(row[7].value, float)]
    assert len(values) == 18 and sum(values) == pytest.approx(1448.7)  # the 18 department totals of seed 000


def test_year_report_docx_has_the_same_headings(seeded):
    word = open_docx(io.BytesIO(seeded["files"]["year.docx"]))
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:4] == ["I. KẾT QUẢ THỰC HIỆN KẾ HOẠCH", "1. Tình hình chung", "2. Kết quả theo nhóm nhiệm vụ",
                            "3. Kết quả theo cơ quan, đơn vị"]
    assert "II. KẾT QUẢ CÁC CHỈ SỐ" in headings and "III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN" in headings
    assert seeded["year_doc"].headings() == [h for h in headings if h in seeded["year_doc"].headings()]
    assert word.inline_shapes, "the charts are in the Word file as pictures"


def test_unit_report_covers_only_what_the_unit_owed(seeded):
    expected = seeded["stp_expected"]
    body = _flat(_pdf_text(seeded["files"]["unit.pdf"]))
    assert "SỞ TƯ PHÁP" in body and "UBND TỈNH HÀ GIANG" in body
    assert f"Sở Tư pháp được giao {fmt_int(expected.total)} lượt nhiệm vụ" in body
    assert "Năm 2024, Sở Tư pháp đạt 92,20/100 điểm, xếp loại Xuất sắc" in body
    assert "NHIỆM VỤ ĐƯỢC GIAO VÀ KẾT QUẢ THỰC HIỆN" in body


def test_notice_counts_bands_per_level_with_one_ranked_appendix_each(seeded):
    body = _flat(_pdf_text(seeded["files"]["notice.pdf"]))
    assert "V/v công khai kết quả" in body and "Kính gửi:" in body
    assert "Thời điểm đánh giá, xếp loại: 11 giờ 00 phút ngày 01/01/2025" in body
    assert "Từ 90 điểm trở lên xếp loại: Xuất sắc" in body and "Dưới 50 điểm xếp loại: Yếu" in body
    assert "Công khai, minh bạch: 18/100 điểm" in body
    assert "Có 03/18 cơ quan xếp loại Xuất sắc" in body and "Không có cơ quan xếp loại Yếu" in body
    assert "KT. CHÁNH VĂN PHÒNG" in body and "PHỤ LỤC 1" in body and "PHỤ LỤC 2" in body
    # ranked: Sở Tư pháp (92,2) first, Sở Giao thông vận tải (57,4) last among departments
    appendix = body[body.index("PHỤ LỤC 1"):body.index("PHỤ LỤC 2")]
    assert appendix.index("Sở Tư pháp") < appendix.index("Sở Giao thông vận tải")
    book = load_workbook(io.BytesIO(seeded["files"]["notice.xlsx"]))
    district = next(book[name] for name in book.sheetnames if name.startswith("PL2"))
    totals = [row[7].value for row in district.iter_rows() if isinstance(row[7].value, float)]
    assert len(totals) == 11 and max(totals) == pytest.approx(92.8)
    word = open_docx(io.BytesIO(seeded["files"]["notice.docx"]))
    assert "3. Kết quả đánh giá, xếp loại" in [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]


def test_cli_writes_the_same_report_and_refuses_bad_settings(seeded, app, tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "bao-cao.xlsx"
    result = runner.invoke(args=["report", "year", "--year", "2023", "--plan", PLAN, "--as-of", "2023-12-31",
                                 "--period", "2024", "--format", "xlsx", "-o", str(target)])
    assert result.exit_code == 0, result.output
    book = load_workbook(target)
    assert any(name.startswith("PL02") for name in book.sheetnames)
    missing = tmp_path / "trong.pdf"
    result = runner.invoke(args=["report", "year", "--year", "2031", "--format", "pdf", "-o", str(missing)])
    assert result.exit_code != 0
    assert "Năm 2031: chưa có kế hoạch hay văn bản chỉ đạo nào" in result.output
    assert not missing.exists() and list(tmp_path.glob(".tmp-*")) == []
    result = runner.invoke(args=["report", "notice", "--framework", "766-2022", "--period", "Q3/2019",
                                 "-o", str(tmp_path / "tb.pdf")])
    assert result.exit_code != 0 and "chưa có kết quả" in result.output
    result = runner.invoke(args=["report", "notice", "--framework", "766-2022", "--period", "2024",
                                 "-o", str(tmp_path / "tb.docx")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tb.docx").stat().st_size > 10_000
