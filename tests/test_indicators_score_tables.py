"""Reading published results tables: xlsx/csv/tsv, header detection, row checks, the real portal export."""
import json
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from tracker.domain.frameworks import load_frameworks
from tracker.domain.score_tables import (
    ColumnMapping,
    TableReadError,
    detect_delimiter,
    detect_mapping,
    parse_points,
    parse_rows,
    read_table,
)
from tracker.domain.scoring import band_counts, band_for, rank

FRAMEWORKS = load_frameworks()
F2022 = FRAMEWORKS["766-2022"]
F2025 = FRAMEWORKS["766-2025"]
SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "samples" / "766-portal-export-provinces-2025-10.tsv"

HEADER = ["STT", "Tên đơn vị", "Công khai minh bạch", "Tiến độ, kết quả giải quyết", "Số hoá hồ sơ",
          "Cung cấp dịch vụ trực tuyến", "Mức độ hài lòng", "Tổng điểm", "Xếp loại"]
MARKERS = ["A", "B", "1", "2", "3", "4", "5", "6=1+2+3+4+5", "C"]
UNITS = [
    ("TP", "Sở Tư pháp", ()),
    ("VHTTDL", "Sở Văn hoá, Thể thao và Du lịch", ("Sở VHTTDL",)),
    ("TTTT", "Sở Thông tin và Truyền thông", ()),
    ("NV", "Sở Nội vụ", ()),
    ("KHCN", "Sở Khoa học và Công nghệ", ()),
]


def _xlsx(tmp_path: Path, rows: list[list], merges: tuple[str, ...] = (), title: str = "PL02") -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for cell_range in merges:
        sheet.merge_cells(cell_range)
    path = tmp_path / "ket-qua.xlsx"
    workbook.save(path)
    return path


def _messages(issues) -> list[str]:
    return [issue.message for issue in issues]


# ------------------------------------------------------------------------------------------------ reading


def test_xlsx_fills_merged_cells_and_keeps_numbers_as_written(tmp_path):
    path = _xlsx(tmp_path, [
        ["KẾT QUẢ NĂM 2024", None, None],
        ["Tên đơn vị", "Tổng điểm", "Xếp loại"],
        ["Sở Tư pháp", 92.2, "Xuất sắc"],
    ], merges=("A1:C1",))
    rows = read_table(path)
    assert rows[0] == ["KẾT QUẢ NĂM 2024"] * 3
    assert rows[2] == ["Sở Tư pháp", "92.2", "Xuất sắc"]
    assert read_table(path.read_bytes(), "ket-qua.xlsx") == rows


def test_xlsx_sheet_can_be_chosen_and_unknown_sheet_is_explained(tmp_path):
    path = _xlsx(tmp_path, [["a"]])
    assert read_table(path, sheet=0) == [["a"]]
    with pytest.raises(TableReadError, match="không có trang tính 'PL03'"):
        read_table(path, sheet="PL03")


def test_unsupported_and_damaged_files_are_explained(tmp_path):
    with pytest.raises(TableReadError, match=r"\.xls\)"):
        read_table(b"x", "cu.xls")
    with pytest.raises(TableReadError, match="không đọc được như tệp Excel"):
        read_table(b"not a zip", "hong.xlsx")


def test_semicolon_csv_with_decimal_commas(tmp_path):
    text = "STT;Tên đơn vị;Tổng điểm\n1;Sở Tư pháp;92,2\n2;Sở Nội vụ;88,3\n"
    assert detect_delimiter(text) == ";"
    path = tmp_path / "bang.csv"
    path.write_bytes(text.encode("utf-8-sig"))
    assert read_table(path)[1] == ["1", "Sở Tư pháp", "92,2"]


def _cp1258(text: str) -> bytes:
    """Encode as Vietnamese Windows does: base letters precomposed, tone marks as combining characters."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        letter = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        out.append(letter + "".join(c for c in decomposed if c in tones))
    return "".join(out).encode("cp1258")


def test_comma_csv_with_quoted_names_and_windows_encoding():
    text = 'Tên đơn vị,Tổng điểm\n"Sở Văn hoá, Thể thao và Du lịch",91.3\n'
    rows = read_table(_cp1258(text), "bang.csv")
    assert rows[1] == ["Sở Văn hoá, Thể thao và Du lịch", "91.3"]


@pytest.mark.parametrize(("text", "value"), [
    ("85,60", "85.60"), ("85.60", "85.60"), ("1.179", "1.179"), ("1.234,5", "1234.5"), ("1,234.5", "1234.5"),
    (" 18 ", "18"), ("", None), ("-", None),
])
def test_parse_points(text, value):
    assert parse_points(text) == (Decimal(value) if value else None)


@pytest.mark.parametrize("text", ["Tốt", "12,5%", "1,2,3"])
def test_parse_points_rejects_text(text):
    with pytest.raises(ValueError):
        parse_points(text)


# ------------------------------------------------------------------------------------------------ mapping


def test_detect_mapping_accent_insensitive_with_column_label_row(tmp_path):
    ascii_header = ["STT", "TEN DON VI", "Cong khai, minh bach", "Tien do giai quyet", "So hoa ho so",
                    "Cung cap dich vu truc tuyen", "Muc do hai long", "TONG DIEM", "Xep loai"]
    rows = read_table(_xlsx(tmp_path, [["PHỤ LỤC 02"], ascii_header, MARKERS,
                                       [1, "Sở Tư pháp", 18, 19.5, 16.7, 20, 18, 92.2, "Xuất sắc"]]))
    mapping = detect_mapping(rows, F2022)
    assert mapping.header_rows == [1, 2]
    assert mapping.columns == {
        0: "stt", 1: "unit", 2: "node:CKMB", 3: "node:TDGQ", 4: "node:MDSH", 5: "node:CCDVTT", 6: "node:MDHL",
        7: "total", 8: "band",
    }


def test_detect_mapping_rank_and_rank_change_columns_of_seed_000():
    header = ["Tên đơn vị", "Công khai minh bạch", "Tổng điểm", "Xếp loại", "Xếp hạng tỉnh/thành phố",
              "Tăng/giảm so với năm 2023 ¹"]
    mapping = detect_mapping([header], F2022)
    assert mapping.columns == {0: "unit", 1: "node:CKMB", 2: "total", 3: "band", 4: "rank", 5: "rank_change"}


def test_two_row_header_is_merged():
    rows = [["Đơn vị", "Điểm các nhóm", "Điểm các nhóm", "Tổng điểm"],
            ["", "Công khai, minh bạch", "Mức độ hài lòng", ""],
            ["Sở Tư pháp", "18", "18", "36"]]
    mapping = detect_mapping(rows, F2022)
    assert mapping.header_rows == [0, 1]
    assert mapping.columns == {0: "unit", 1: "node:CKMB", 2: "node:MDHL", 3: "total"}


def test_no_header_gives_an_empty_mapping_and_a_clear_error():
    mapping = detect_mapping([["a", "b"], ["1", "2"]], F2022)
    assert mapping.columns == {}
    result = parse_rows([["a", "b"]], mapping, F2022)
    assert _messages(result.errors) == ["Chưa xác định được cột tên đơn vị; hãy chọn cột cho 'Tên đơn vị'"]


def test_mapping_round_trips_through_json_and_is_adjustable():
    mapping = ColumnMapping(columns={0: "rank", 1: "unit", 7: "total"}, header_rows=[6, 7], framework_code="766-2022")
    restored = ColumnMapping.from_json(mapping.to_json(), F2022)
    assert restored == mapping
    assert json.loads(mapping.to_json())["columns"] == {"0": "rank", "1": "unit", "7": "total"}
    with pytest.raises(ValueError, match="không có chỉ tiêu mã 'XYZ'"):
        ColumnMapping.from_json('{"columns": {"2": "node:XYZ"}}', F2022)
    with pytest.raises(ValueError, match="Trường không hợp lệ"):
        ColumnMapping.from_json('{"columns": {"2": "diem"}}', F2022)


# ------------------------------------------------------------------------------------------------ parsing


def _department_rows() -> list[list]:
    return [
        ["PHỤ LỤC 02"],
        HEADER,
        MARKERS,
        [1, "Sở Tư pháp", 18, "19,5", "16,7", 20, 18, "92,2", "Xuất sắc"],                 # row 4
        [2, "Sở VHTTDL", 18, "19,3", 16, 20, 18, "91,3", "Xuất sắc"],                       # row 5
        HEADER,                                                                           # page break: header again
        MARKERS,
        [3, "Sở Thông tin và Truyền thông", 18, "19,7", "14,7", 20, 18, "90,4", None],      # row 8, band on next row
        [None, None, None, None, None, None, None, None, "Xuất sắc"],                     # row 9: continuation
        [4, "Sở Nội vụ", 18, "19,6", "16,2", "16,5", 18, "88,3", "Xuất sắc"],             # row 10: wrong band
        [5, "So Khoa hoc cong nghe", 18, "16,9", 16, "19,7", "17,6", "88,2", "Tốt"],        # row 11: unknown unit
        [6, "Sở Tư pháp", 18, 19, 16, 20, 18, 91, "Xuất sắc"],                            # row 12: duplicate
        [7, "Sở Nội vụ 2", 19, "x", 16, 20, 18, 73, "Khá"],                                # row 13: >max, text
        [8, "Sở Khoa học và Công nghệ", 18, 17, 16, 19, 17, 90, "Xuất sắc"],               # row 14: total ≠ sum
        [None, "¹ Số liệu tại thời điểm 01/01/2025", None, None, None, None, None, None, None],  # footnote
    ]


@pytest.fixture
def department_result(tmp_path):
    rows = read_table(_xlsx(tmp_path, _department_rows()))
    return parse_rows(rows, detect_mapping(rows, F2022), F2022, UNITS)


def test_valid_rows_are_read_with_decimal_commas(department_result):
    first = department_result.rows[0]
    assert (first.row_number, first.unit_code, first.total, first.band_text) == (4, "TP", Decimal("92.2"), "Xuất sắc")
    assert first.values == {"CKMB": Decimal(18), "TDGQ": Decimal("19.5"), "MDSH": Decimal("16.7"),
                            "CCDVTT": Decimal(20), "MDHL": Decimal(18)}
    assert first.computed_total == Decimal("92.2")
    # an alias of the known unit
    assert department_result.rows[1].unit_code == "VHTTDL"


def test_repeated_header_is_skipped_and_split_row_is_merged(department_result):
    numbers = [row.row_number for row in department_result.rows]
    assert 6 not in numbers and 7 not in numbers and 9 not in numbers
    split = next(row for row in department_result.rows if row.row_number == 8)
    assert split.band_text == "Xuất sắc" and split.continued_rows == (9,) and split.unit_code == "TTTT"


def test_every_problem_is_reported_with_its_row(department_result):
    errors = _messages(department_result.errors)
    assert errors == [
        "Dòng 11: không tìm thấy đơn vị 'So Khoa hoc cong nghe' trong danh mục. Có phải: Sở Khoa học và Công nghệ?",
        "Dòng 12: đơn vị 'Sở Tư pháp' bị lặp (đã có ở dòng 4)",
        "Dòng 13: điểm 'Công khai minh bạch' là 19, nằm ngoài khoảng 0 đến 18 điểm tối đa",
        "Dòng 13: cột 'Tiến độ, kết quả giải quyết': 'x' không phải là số",
        "Dòng 13: không tìm thấy đơn vị 'Sở Nội vụ 2' trong danh mục. Có phải: Sở Nội vụ?",
    ]
    warnings = _messages(department_result.warnings)
    assert "Dòng 10: xếp loại 'Xuất sắc' không khớp tổng điểm 88,3 (theo thang điểm là 'Tốt')" in warnings
    assert "Dòng 14: tổng điểm 90 khác tổng các nhóm 87 (chênh 3)" in warnings
    assert "Dòng 15: bỏ qua dòng không có điểm số ('¹ Số liệu tại thời điểm 01/01/2025')" in warnings
    assert all(issue.row_number is not None and issue.message.startswith(f"Dòng {issue.row_number}:")
               for issue in department_result.errors + department_result.warnings)
    assert not department_result.ok


def test_continuation_row_with_conflicting_number_is_an_error():
    rows = [["Tên đơn vị", "Tổng điểm"], ["Sở Tư pháp", "92,2"], ["", "91"]]
    result = parse_rows(rows, detect_mapping(rows, F2022), F2022)
    assert _messages(result.errors) == [
        "Dòng 3: dòng không có tên đơn vị được coi là phần tiếp của dòng 2, nhưng cả hai dòng đều có số ở cột "
        "Tổng điểm; không gộp được",
    ]


def test_group_and_sub_indicator_columns_are_checked_against_each_other():
    rows = [["Tên đơn vị", "Cung cấp dịch vụ trực tuyến", "Dịch vụ công trực tuyến", "Thanh toán trực tuyến"],
            ["Sở Tư pháp", "20", "11", "8"]]
    result = parse_rows(rows, detect_mapping(rows, F2022), F2022)
    assert result.rows[0].values == {"CCDVTT": Decimal(20), "CLGQ": Decimal(11), "TTTT": Decimal(8)}
    assert _messages(result.warnings) == [
        "Dòng 2: điểm nhóm 'Cung cấp dịch vụ trực tuyến' 20 khác tổng các chỉ tiêu con 19",
    ]


def test_published_ranks_are_checked_and_rounding_ties_flagged():
    """Seed 000 Phụ lục 03: the 'STT' column holds ranks; the user maps it to 'rank'."""
    rows = [HEADER[:8],
            ["1", "UBND huyện Vị Xuyên", "18", "19,8", "19,4", "17,6", "18", "92,8"],
            ["2", "UBND huyện Yên Minh", "18", "19,6", "18,8", "17,4", "18", "91,8"],
            ["3", "UBND thành phố Hà Giang", "18", "19,4", "18,9", "17,5", "18", "91,8"],
            ["3", "UBND huyện Quản Bạ", "18", "19,8", "18,2", "12,9", "18", "86,9"]]
    mapping = detect_mapping(rows, F2022)
    mapping.columns[0] = "rank"
    result = parse_rows(rows, mapping, F2022)
    assert [row.published_rank for row in result.rows] == [1, 2, 3, 3]
    assert _messages(result.warnings) == [
        "Dòng 4: hạng công bố 3 khác hạng tính lại 2 vì đồng điểm 91,8 với đơn vị khác; có thể cơ quan công bố "
        "xếp hạng trên điểm chưa làm tròn — giữ hạng công bố",
        "Dòng 5: hạng công bố 3 không khớp hạng tính lại từ tổng điểm 86,9 (4)",
    ]


def test_rank_among_a_wider_field_is_not_recomputed():
    rows = [["Tên đơn vị", "Tổng điểm", "Xếp hạng"], ["UBND tỉnh Hà Giang", "85,60", "10/63"]]
    result = parse_rows(rows, detect_mapping(rows, F2022), F2022)
    assert (result.rows[0].published_rank, result.rows[0].published_rank_of) == (10, 63)
    assert result.warnings == [] and result.errors == []


# ------------------------------------------------------------------------------------ the real portal export


def _sample_rows() -> list[list[str]]:
    return read_table(SAMPLE)


def test_real_portal_export_parses_all_34_provinces():
    rows = _sample_rows()
    mapping = detect_mapping(rows, F2025)
    assert mapping.header_rows == [2]  # after the "SOURCE:" and "=== SHEET" lines
    assert {name for name in mapping.columns.values()} == {
        "unit", "stt", "total", "node:CKMB", "node:TDGQ", "node:CLGQ", "node:TTTT", "node:MDHL", "node:MDSH",
    }
    # Known units spelled without "UBND", as a unit catalogue would hold them.
    names = [row[1] for row in rows[3:]]
    units = [(f"P{i:02d}", name.replace("UBND ", "").capitalize(), ()) for i, name in enumerate(names)]
    result = parse_rows(rows, mapping, F2025, units)
    assert result.errors == [] and result.warnings == []
    assert len(result.rows) == 34 and all(row.unit_code for row in result.rows)
    first = result.rows[0]
    assert (first.unit_text, first.total, first.values["TTTT"]) == ("UBND tỉnh Bắc Ninh", Decimal("91.64"), 10)
    assert all(row.total == row.computed_total for row in result.rows)


def test_real_portal_export_bands_and_ranks():
    rows = _sample_rows()
    result = parse_rows(rows, detect_mapping(rows, F2025), F2025)
    counts = band_counts({row.unit_text: band_for(row.total, F2025) for row in result.rows}, F2025.bands)
    assert [(count.band.name, count.count) for count in counts] == [
        ("Xuất sắc", 3), ("Tốt", 29), ("Khá", 2), ("Trung bình", 0), ("Yếu", 0),
    ]
    ranks = rank({row.unit_text: row.total for row in result.rows})
    # ROW_STT is a row number; Huế and Cao Bằng share 84.70, so they share rank 25 and rank 26 is skipped.
    assert ranks["UBND Thành phố Huế"] == ranks["UBND tỉnh Cao Bằng"] == 25
    assert ranks["UBND tỉnh Vĩnh Long"] == 27 and ranks["UBND tỉnh Khánh Hòa"] == 34


def test_unknown_province_gets_suggestions():
    rows = _sample_rows()
    units = [("HN", "Thành phố Hà Nội", ()), ("HT", "Tỉnh Hà Tĩnh", ()), ("HP", "Thành phố Hải Phòng", ())]
    result = parse_rows(rows[:3] + [rows[16]], detect_mapping(rows, F2025), F2025, units)
    assert result.rows[0].unit_code == "HN"
    result = parse_rows(rows[:3] + [[c.replace("Hà Nội", "Ha Noi 2") for c in rows[16]]],
                        detect_mapping(rows, F2025), F2025, units)
    assert _messages(result.errors) == [
        "Dòng 4: không tìm thấy đơn vị 'UBND Thành phố Ha Noi 2' trong danh mục. "
        "Có phải: Thành phố Hà Nội, Thành phố Hải Phòng?",
    ]
