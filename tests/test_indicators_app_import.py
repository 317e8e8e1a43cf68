"""Importing results tables: preview and mapping, every refusal all-or-nothing, the CLI, the portal export."""
import csv
import html as html_lib
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from models import Framework, Score, ScoreImport, Unit, UnitKind
from tests.conftest import SHARED
from tests.factories import PASSWORD, login
from tracker.domain.frameworks import load_frameworks
from tracker.domain.score_sheets import SCORES_DIR, load_score_file
from tracker.services import score_results, unit_matching
from tracker.services.frameworks import load_shipped_frameworks

PORTAL_TSV = SHARED / "samples" / "766-portal-export-provinces-2025-10.tsv"
HEADER = ["STT", "Tên đơn vị", "Công khai, minh bạch", "Tiến độ, kết quả giải quyết", "Số hoá hồ sơ",
          "Cung cấp dịch vụ trực tuyến", "Mức độ hài lòng", "Tổng điểm", "Xếp loại"]
ORDER = ("CKMB", "TDGQ", "MDSH", "CCDVTT", "MDHL")


def vn(value) -> str:
    """A number as the appendices print it: decimal comma."""
    return format(Decimal(value), "f").replace(".", ",")


def department_rows() -> list[list[str]]:
    """Phụ lục 02 of file 000 (18 departments) as table cells, from the curated transcription."""
    sheet = load_score_file(SCORES_DIR / "ha-giang-766-2024.yaml", load_frameworks())
    table = next(t for t in sheet.tables if t.level == "department")
    return [[str(row.stt), row.unit, *(vn(row.scores[c]) for c in ORDER), vn(row.total), row.band]
            for row in table.rows]


def appendix_csv(rows: list[list[str]], split_row: int | None = None, repeat_header_at: int | None = None) -> bytes:
    """Semicolon CSV with a title, the header, the column labels, and optionally a page break inside it."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Phụ lục 02: Kết quả năm 2024 của các Sở, ban, ngành"])
    writer.writerow(HEADER)
    writer.writerow(["A", "B", "1", "2", "3", "4", "5", "6=1+2+3+4+5", "C"])
    for index, row in enumerate(rows):
        if index == repeat_header_at:
            writer.writerow(HEADER)  # the header printed again at the top of a page
        if index == split_row:
            writer.writerow(row[:4] + [""] * 5)
            writer.writerow(["", ""] + [""] * 2 + row[4:])
        else:
            writer.writerow(row)
    return out.getvalue().encode("utf-8")


@pytest.fixture()
def world(db, units):
    load_shipped_frameworks()
    db.session.commit()
    return units


@pytest.fixture()
def office(world, login_as):
    return login_as("office", "HG-VPUB")


def upload(client, data: bytes, name: str = "phu-luc-02.csv", framework: str = "766-2022", period: str = "2024",
           scope: str | None = None, units=None):
    scope_value = scope if scope is not None else str(units["HG"].id)
    return client.post("/indicators/import", data={
        "framework": framework, "period": period, "source": "Quyết định số 01/QĐ-UBND ngày 02/01/2025",
        "scope": scope_value, "sheet": "", "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def import_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/indicators/imports/(\d+)", response.headers["Location"]).group(1))


def score_count(db) -> int:
    return db.session.scalar(select(func.count(Score.id)))


# ------------------------------------------------------------------------------------------ the happy path


def test_appendix_table_with_page_break_imports_after_preview(world, office, client, db, app):
    rows = department_rows()
    response = upload(client, appendix_csv(rows, split_row=3, repeat_header_at=9), units=world)
    record_id = import_id(response)
    preview = client.get(f"/indicators/imports/{record_id}")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "0 lỗi" in html and "18 dòng đọc được" in html
    assert 'selected value="node:MDSH"' in html or 'value="node:MDSH" selected' in html  # detected mapping shown
    assert score_count(db) == 0  # nothing saved before the confirmation
    confirm = client.post(f"/indicators/imports/{record_id}/confirm")
    assert confirm.status_code == 302
    record = db.session.get(ScoreImport, record_id)
    assert record.state == "done" and record.rows_saved == 18 * 6
    results = {r.unit.name: r for r in score_results.unit_results("766-2022", "2024", kind="department")}
    for row in rows:
        unit = unit_matching.UnitMatcher.from_db([world["HG"].id]).find(row[1])
        result = next(r for r in results.values() if r.unit.id == unit.id)
        assert result.total == Decimal(row[7].replace(",", ".")) and result.band == row[8]
    # the original file is kept and can be downloaded
    original = client.get(f"/indicators/imports/{record_id}/file")
    assert original.status_code == 200 and original.data.startswith("Phụ lục 02".encode())
    # a second confirmation is refused
    again = client.post(f"/indicators/imports/{record_id}/confirm")
    assert again.status_code == 409


def test_xlsx_table_imports_too(world, office, client, db):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in department_rows():
        sheet.append([int(row[0]), row[1], *(float(c.replace(",", ".")) for c in row[2:8]), row[8]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    record_id = import_id(upload(client, buffer.getvalue(), name="phu-luc-02.xlsx", units=world))
    assert client.post(f"/indicators/imports/{record_id}/confirm").status_code == 302
    assert score_count(db) == 18 * 6


def test_mapping_can_be_corrected_in_the_preview(world, office, client, db):
    data = appendix_csv(department_rows()).replace("Mức độ hài lòng".encode(), b"Cot la")  # unrecognised header
    record_id = import_id(upload(client, data, units=world))
    html = client.get(f"/indicators/imports/{record_id}").get_data(as_text=True)
    assert re.search(r'name="col_6"[^>]*>.*?<option selected value="ignore">', html, re.S)
    form = {f"col_{i}": field for i, field in enumerate(
        ["stt", "unit", "node:CKMB", "node:TDGQ", "node:MDSH", "node:CCDVTT", "node:MDHL", "total", "band"])}
    response = client.post(f"/indicators/imports/{record_id}/mapping", data=form)
    assert response.status_code == 302
    html = client.get(f"/indicators/imports/{record_id}").get_data(as_text=True)
    assert "0 lỗi" in html and re.search(r'name="col_6"[^>]*>.*?<option selected value="node:MDHL">', html, re.S)
    assert client.post(f"/indicators/imports/{record_id}/confirm").status_code == 302
    assert score_count(db) == 18 * 6
    transport = next(r for r in score_results.unit_results("766-2022", "2024") if r.unit.code == "HG-SGTVT")
    assert transport.values["MDHL"] == Decimal("17.5")  # read from the column mapped by hand


def test_mapping_refuses_an_unknown_field(world, office, client, db):
    record_id = import_id(upload(client, appendix_csv(department_rows()), units=world))
    response = client.post(f"/indicators/imports/{record_id}/mapping", data={"col_0": "node:KHONG-CO"})
    assert response.status_code == 400
    assert "col_0" not in db.session.get(ScoreImport, record_id).mapping_json or \
        "KHONG-CO" not in db.session.get(ScoreImport, record_id).mapping_json


# -------------------------------------------------------------------------------- refusals, all or nothing


def _with_change(row_index: int, column: int, value: str) -> list[list[str]]:
    rows = department_rows()
    rows[row_index][column] = value
    return rows


BAD_TABLES = {
    # kind: (rows, expected message fragment naming the row) — the table's data starts at spreadsheet row 4
    "total not the sum of its parts": (_with_change(0, 7, "95,2"), "Dòng 4: tổng điểm 95,2 khác tổng các nhóm 92,2"),
    "points above the node's max": (_with_change(1, 2, "19"), "Dòng 5: điểm 'Công khai, minh bạch' là 19"),
    "band contradicting the total": (_with_change(2, 8, "Tốt"), "Dòng 6: xếp loại 'Tốt' không khớp tổng điểm 90,4"),
    "unknown unit, nearest suggested": (
        _with_change(0, 1, "So Tu phapp"),
        "Dòng 4: không tìm thấy đơn vị 'So Tu phapp' trong danh mục. Có phải: Sở Tư pháp"),
    "duplicate row": ([*department_rows(), department_rows()[4]], "Dòng 22: đơn vị 'Sở Khoa học và Công nghệ' bị lặp"),
    "text in a number cell": (_with_change(3, 4, "mười sáu"),
                              "Dòng 7: cột 'Số hoá hồ sơ': 'mười sáu' không phải là số"),
}


@pytest.mark.parametrize("kind", list(BAD_TABLES))
def test_each_bad_input_refuses_the_whole_table(kind, world, office, client, db):
    rows, message = BAD_TABLES[kind]
    record_id = import_id(upload(client, appendix_csv(rows), units=world))
    preview = html_lib.unescape(client.get(f"/indicators/imports/{record_id}").get_data(as_text=True))
    assert message in preview, kind
    assert 'disabled' in preview  # the confirm button is off while errors remain
    response = client.post(f"/indicators/imports/{record_id}/confirm")
    assert response.status_code == 400
    assert message in html_lib.unescape(response.get_data(as_text=True))
    assert score_count(db) == 0, "17 good rows must not be saved when one row is wrong"
    assert db.session.get(ScoreImport, record_id).state == "draft"


def test_bad_upload_form_names_the_field(world, office, client, db):
    response = upload(client, b"", units=world)
    assert response.status_code == 400
    response = upload(client, appendix_csv(department_rows()), period="Quý V/2024", units=world)
    assert response.status_code == 400
    assert "Không đọc được kỳ đánh giá 'Quý V/2024'" in html_lib.unescape(response.get_data(as_text=True))
    response = upload(client, b"PK\x03\x04 not really", name="bang.docx", units=world)
    assert response.status_code == 400 and "chỉ nhận bảng .xlsx, .csv hoặc .tsv" in response.get_data(as_text=True)
    response = upload(client, appendix_csv(department_rows()), period="2025", units=world)
    record_id = import_id(response)  # accepted for preview, refused on confirm: 766-2022 ends in 2024
    assert client.post(f"/indicators/imports/{record_id}/confirm").status_code == 400
    assert score_count(db) == 0


# ------------------------------------------------------------------------------------------------------ CLI


def test_cli_dry_run_prints_messages_and_fails_on_refusal(world, runner, db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(appendix_csv(_with_change(3, 4, "mười sáu")))
    result = runner.invoke(args=["import", "scores", str(bad), "--framework", "766-2022", "--period", "2024",
                                 "--scope", "HG", "--dry-run"])
    assert result.exit_code != 0
    assert "Lỗi: Dòng 7: cột 'Số hoá hồ sơ': 'mười sáu' không phải là số" in result.output
    assert "Từ chối nhập" in result.output
    good = tmp_path / "good.csv"
    good.write_bytes(appendix_csv(department_rows()))
    result = runner.invoke(args=["import", "scores", str(good), "--framework", "766-2022", "--period", "2024",
                                 "--scope", "HG", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Chạy thử: 18 dòng hợp lệ" in result.output
    assert score_count(db) == 0
    result = runner.invoke(args=["import", "scores", str(good), "--framework", "766-2022", "--period", "2024",
                                 "--scope", "HG"])
    assert result.exit_code == 0, result.output
    assert score_count(db) == 18 * 6
    assert db.session.scalar(select(ScoreImport.state)) == "done"
    result = runner.invoke(args=["import", "scores", str(good), "--framework", "KHONG", "--period", "2024"])
    assert result.exit_code != 0 and "Không có bộ chỉ số mã 'KHONG'" in result.output


def test_cli_without_scope_refuses_names_shared_by_two_provinces(world, runner, db, tmp_path):
    from tracker.services.units import DATA_DIR, load_units_file

    load_units_file(DATA_DIR / "hau-giang.yaml")
    db.session.commit()
    good = tmp_path / "good.csv"
    good.write_bytes(appendix_csv(department_rows()))
    result = runner.invoke(args=["import", "scores", str(good), "--framework", "766-2022", "--period", "2024",
                                 "--dry-run"])
    assert result.exit_code != 0
    assert "Dòng 6: tên đơn vị 'Sở Thông tin và Truyền thông' có ở nhiều nơi" in result.output
    assert "(HG-STTTT)" in result.output and "(HAG-STTTT)" in result.output
    assert "Sở Tư pháp" not in result.output  # Hậu Giang's file has no Sở Tư pháp: that name is not shared


# ------------------------------------------------------------------------------------------ portal export


def _portal_provinces() -> list[tuple[str, Decimal, int]]:
    """(name, TONG_SCORE, ROW_STT) of the 34 provinces in the sample export."""
    lines = PORTAL_TSV.read_text(encoding="utf-8").splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("ID\t"))
    reader = csv.DictReader(lines[header_at:], delimiter="\t")
    return [(row["TEN"], Decimal(row["TONG_SCORE"]), int(row["ROW_STT"])) for row in reader]


def test_portal_export_imports_with_the_2025_framework(db, client):
    load_shipped_frameworks()
    kind = UnitKind(code="province", name="Tỉnh, thành phố", level=0)
    db.session.add(kind)
    db.session.flush()
    provinces = _portal_provinces()
    for position, (name, _total, _stt) in enumerate(provinces):
        db.session.add(Unit(code=f"P{position:02d}", name=name, kind_id=kind.id, sort_order=position))
    office_unit = Unit(code="VP", name="Văn phòng", kind_id=kind.id)
    db.session.add(office_unit)
    db.session.commit()
    from tracker.services.accounts import create_user

    create_user(None, username="vp", password=PASSWORD, role="office", unit_code="VP")
    db.session.commit()
    login(client, "vp")
    response = client.post("/indicators/import", data={
        "framework": "766-2025", "period": "Tháng 10/2025", "source": "Cổng Dịch vụ công quốc gia", "scope": "",
        "file": (io.BytesIO(PORTAL_TSV.read_bytes()), PORTAL_TSV.name)}, content_type="multipart/form-data")
    record_id = import_id(response)
    html = client.get(f"/indicators/imports/{record_id}").get_data(as_text=True)
    assert "0 lỗi" in html and "34 dòng đọc được" in html
    assert client.post(f"/indicators/imports/{record_id}/confirm").status_code == 302
    framework = db.session.scalar(select(Framework).where(Framework.code == "766-2025"))
    assert db.session.scalar(select(func.count(Score.id)).where(Score.framework_id == framework.id)) == 34 * 7
    results = {r.unit.name: r for r in score_results.unit_results("766-2025", "Tháng 10/2025", kind="province")}
    assert len(results) == 34
    totals = {name: total for name, total, _stt in provinces}
    for name, total, stt in provinces:
        result = results[name]
        assert result.total == total
        assert result.rank == 1 + sum(1 for other in totals.values() if other > total)
        tied = sum(1 for other in totals.values() if other == total)
        # the portal orders ties on its unrounded totals; ours share the rank of the tie's first place
        assert result.rank <= stt < result.rank + tied
    best = min(provinces, key=lambda item: item[2])
    assert results[best[0]].band == "Xuất sắc"
    page = client.get("/indicators/results?framework=766-2025&period=Th%C3%A1ng%2010%2F2025&kind=province")
    assert page.status_code == 200 and best[0] in page.get_data(as_text=True)


def test_import_of_a_fresh_period_keeps_the_source_on_every_score(world, office, client, db):
    record_id = import_id(upload(client, appendix_csv(department_rows()), period="Q2/2024", units=world))
    client.post(f"/indicators/imports/{record_id}/confirm")
    sources = set(db.session.scalars(select(Score.source)))
    assert sources == {"Quyết định số 01/QĐ-UBND ngày 02/01/2025"}
    assert set(db.session.scalars(select(Score.import_id))) == {record_id}
    assert Path(db.session.get(ScoreImport, record_id).stored_name).suffix == ".csv"


# ------------------------------------------------------------------------ Excel's "Unicode text", week periods


def unicode_text(rows: list[list[str]], bom: bool = True, encoding: str = "utf-16-le") -> bytes:
    """The table as Excel's "Unicode text" (.txt) saves it: UTF-16 LE with a BOM, tab-separated, CRLF."""
    text = "\r\n".join("\t".join(row) for row in [HEADER, *rows]) + "\r\n"
    return (b"\xff\xfe" if bom else b"") + text.encode(encoding)


def test_unicode_text_imports_through_the_web_for_a_week_period(world, office, client, db):
    data = unicode_text(department_rows())
    assert data.startswith(b"\xff\xfe") and b"\t\x00" in data  # really UTF-16 LE with BOM, tabs
    response = upload(client, data, name="phu-luc-02.txt", period="W27/2024", units=world)
    record_id = import_id(response)
    html = client.get(f"/indicators/imports/{record_id}").get_data(as_text=True)
    assert "0 lỗi" in html and "18 dòng đọc được" in html
    assert "Tuần 27/2024" in html  # the week, under its canonical label
    assert client.post(f"/indicators/imports/{record_id}/confirm").status_code == 302
    assert score_count(db) == 18 * 6
    results = score_results.unit_results("766-2022", "2024-W27", kind="department")
    assert len(results) == 18 and {r.unit.name for r in results} >= {"Sở Tư pháp"}
    page = client.get("/indicators/results?framework=766-2022&period=Tu%E1%BA%A7n%2027%2F2024&kind=department")
    assert page.status_code == 200 and "Tuần 27/2024" in page.get_data(as_text=True)
    assert "Tuần 27/2024" in client.get("/indicators/imports").get_data(as_text=True)


def test_bad_week_is_refused_on_the_upload_form_naming_it(world, office, client, db):
    response = upload(client, appendix_csv(department_rows()), period="Tuần 54/2024", units=world)
    assert response.status_code == 400
    assert ("Kỳ đánh giá 'Tuần 54/2024': tuần 54 không hợp lệ (năm 2024 có các tuần 1 đến 52 theo ISO 8601)"
            in html_lib.unescape(response.get_data(as_text=True)))
    assert score_count(db) == 0


@pytest.mark.parametrize("bom,encoding", [(True, "utf-16-le")])  # without a BOM: refused, test_indicators_csv_errors
def test_cli_imports_unicode_text_with_or_without_bom(bom, encoding, world, runner, db, tmp_path):
    path = tmp_path / "phu-luc-02.txt"
    path.write_bytes(unicode_text(department_rows(), bom=bom, encoding=encoding))
    result = runner.invoke(args=["import", "scores", str(path), "--framework", "766-2022",
                                 "--period", "6 tháng đầu năm 2024", "--scope", "HG"])
    assert result.exit_code == 0, result.output
    assert score_count(db) == 18 * 6
    assert len(score_results.unit_results("766-2022", "H1/2024", kind="department")) == 18
