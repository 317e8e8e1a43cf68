"""The pure table/list parser of plan appendices (tracker/domain/plan_table.py): no app, no database."""
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.assignees import UnitInfo
from tracker.domain.deadlines import DeadlineError, parse_deadline
from tracker.domain.numbering import to_roman
from tracker.domain.plan_table import (
    HEADER,
    TableError,
    check_plan,
    check_units,
    clean_cell,
    find_header,
    level_targets,
    parse_paragraphs,
    parse_preamble,
    parse_table,
    plan_layout,
    shift_deadline,
    split_deadline,
    split_declared,
    take_footnote_markers,
)
from tracker.domain.targets import parse_targets

PLAN_FILE = Path(__file__).resolve().parents[1] / "tracker" / "data" / "plans" / "ha-giang-2023-ksthc.yaml"


def curated() -> dict:
    data = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    data["decision"]["date"] = data["decision"]["date"].isoformat()
    return data


def tree_of(data: dict) -> list:
    """The comparable tree: group/task/activity fields, nulls as empty strings, targets as loaded."""
    out = []
    for group in data["groups"]:
        out.append(("group", group["number"], group["title"] or "", dict(group.get("declared") or {})))
        for task in group["tasks"]:
            out.append(("task", task["number"], task.get("title") or ""))
            for a in task["activities"]:
                product = a.get("product") or ""
                out.append(("activity", a["number"], a["content"], product, a.get("lead") or "",
                            a.get("coordinating") or "", a.get("deadline") or "", list(a.get("footnotes") or []),
                            dict(a.get("targets") or parse_targets(product))))
    return out


def rows_with_header(order: list[int] | None = None) -> tuple[list[str], list[list[str]], list[str]]:
    above, layout, below = plan_layout(curated())
    order = order or list(range(len(HEADER)))
    return above, [[HEADER[i] for i in order]] + [[r.cells[i] for i in order] for r in layout], below


# ---- reading the curated plan back ---------------------------------------------------------------------------

def test_curated_plan_laid_out_as_a_table_reads_back_identically():
    above, rows, below = rows_with_header()
    result = parse_table(rows, above, below)
    expected = curated()
    assert tree_of(result.data) == tree_of(expected)
    assert result.data["footnotes"] == {str(k): v for k, v in expected["footnotes"].items()}
    assert result.data["decision"] == {"type": "Quyết định", "number": "210/QĐ-UBND", "date": "2023-02-17",
                                       "signer": "Nguyễn Văn Sơn"}
    assert result.data["declared"] == {"groups": 4, "tasks": 18, "activities": 57}
    assert [g["number"] for g in result.data["known_gaps"]] == [g["number"] for g in expected["known_gaps"]]
    assert result.data["code"] == "HG-KSTTHC-2023" and result.data["year"] == 2023


def test_columns_in_any_order():
    above, rows, below = rows_with_header([5, 3, 0, 2, 4, 1])
    assert tree_of(parse_table(rows, above, below).data) == tree_of(curated())


def test_two_line_header_and_column_numbers_row_and_repeated_headers():
    above, rows, below = rows_with_header()
    top = ["STT", "Nội dung", "Sản phẩm", "Cơ quan thực hiện", "Cơ quan thực hiện", "Thời gian hoàn thành"]
    sub = ["STT", "Nội dung", "Sản phẩm", "Chủ trì", "Phối hợp", "Thời gian hoàn thành"]
    numbers = ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"]
    body = rows[1:]
    paged = [top, sub, numbers]
    for start in range(0, len(body), 15):
        if start:
            paged += [top, sub]  # each printed page repeats the header
        paged += body[start:start + 15]
    result = parse_table(paged, above, below)
    assert tree_of(result.data) == tree_of(curated())
    assert not [w for w in result.warnings if "không xác định" in w["message"]]


def test_missing_columns_are_named():
    with pytest.raises(TableError, match="thiếu cột: Chủ trì, Thời hạn"):
        find_header([["STT", "Nội dung", "Sản phẩm", "Ghi chú"], ["1", "x", "y", ""]])
    with pytest.raises(TableError, match="Không tìm thấy dòng tiêu đề"):
        parse_table([["a", "b"], ["c", "d"]])


def test_group_header_counts_and_prefix():
    assert split_declared("Nhóm nhiệm vụ: thực hiện cơ chế một cửa (5 nhiệm vụ, 12 hoạt động)") == (
        "Thực hiện cơ chế một cửa", {"tasks": 5, "activities": 12})
    assert split_declared("Kiểm soát TTHC (3 hoạt động)") == ("Kiểm soát TTHC", {"activities": 3})
    assert split_declared("Đơn giản hóa (Đề án 1170)") == ("Đơn giản hóa (Đề án 1170)", {})


def test_footnote_markers_and_cells():
    assert take_footnote_markers("Tỷ lệ hồ sơ đúng hạn(5).") == ("Tỷ lệ hồ sơ đúng hạn", ["5"])
    assert take_footnote_markers("A (1) và B(2)") == ("A và B", ["1", "2"])
    assert clean_cell("Các sở, ban, ngành;\nUBND cấp huyện.") == "Các sở, ban, ngành; UBND cấp huyện"
    assert clean_cell("40%/tổng số TTHC\n100% TTHC đủ điều kiện") == "40%/tổng số TTHC; 100% TTHC đủ điều kiện"
    assert clean_cell("doanh nghiệp...") == "doanh nghiệp..."


def test_level_targets_from_sub_row_labels():
    product = ("Đối với các sở, ngành và tương đương thuộc UBND tỉnh: 100%; Đối với các phòng, ban và tương đương "
               "thuộc UBND cấp huyện: 95%; Đối với UBND cấp xã: 80%")
    assert level_targets(product) == {"province": "100%", "district": "95%", "commune": "80%"}
    assert level_targets("Cấp tỉnh: 100%; Cấp huyện: 60%; Cấp xã: 30%") == {
        "province": "100%", "district": "60%", "commune": "30%"}
    assert level_targets("100% Bộ phận Một cửa cấp tỉnh, huyện") == {}
    assert level_targets("Nghị quyết HĐND tỉnh") == {}


def _table(*body: list[str]) -> list[list[str]]:
    return [["STT", "Nội dung", "Sản phẩm", "Chủ trì", "Phối hợp", "Thời hạn"], *body]


def test_task_that_is_its_own_activity_both_ways():
    result = parse_table(_table(
        ["I", "Nhóm A", "", "", "", ""],
        ["1", "Rà soát TTHC", "", "", "", ""],
        ["", "Rà soát TTHC thuộc thẩm quyền", "Quyết định", "Sở Tư pháp", "", "Quý IV/2023"],
        ["2", "Đưa cơ quan ngành dọc ra Bộ phận Một cửa", "Danh mục", "Sở Nội vụ", "", "Thường xuyên"],
    ))
    tasks = result.data["groups"][0]["tasks"]
    assert [(t["number"], t["title"], [(a["number"], a["content"], a["lead"]) for a in t["activities"]])
            for t in tasks] == [
        ("1", "Rà soát TTHC", [("1", "Rà soát TTHC thuộc thẩm quyền", "Sở Tư pháp")]),
        ("2", "Đưa cơ quan ngành dọc ra Bộ phận Một cửa",
         [("2", "Đưa cơ quan ngành dọc ra Bộ phận Một cửa", "Sở Nội vụ")]),
    ]


def test_number_cell_merged_down_continues_the_activity():
    result = parse_table(_table(
        ["I", "Nhóm", "", "", "", ""], ["1", "Nhiệm vụ", "", "", "", ""],
        ["1.6", "Tỷ lệ xử lý hồ sơ", "", "Sở Tư pháp", "", "14/12/2023"],
        ["1.6", "Cấp tỉnh", "100%", "Sở Tư pháp", "", "14/12/2023"],
        ["1.6", "Cấp huyện", "95%", "Sở Tư pháp", "", "14/12/2023"],
    ))
    [activity] = result.data["groups"][0]["tasks"][0]["activities"]
    assert activity["product"] == "Cấp tỉnh: 100%; Cấp huyện: 95%"
    assert activity["targets"] == {"province": "100%", "district": "95%"}


def test_unplaced_cells_and_implied_tasks_are_warned_with_rows():
    result = parse_table(_table(
        ["I", "Nhóm", "", "", "", ""],
        ["2.2", "Hoạt động không có nhiệm vụ", "", "Sở Tư pháp", "", "Quý I/2023"],
        ["", "", "", "", "", ""],
        ["", "Dòng lạc", "", "Sở Y tế", "Sở Nội vụ", "Tháng 3/2023"],
    ) + [["3", "Nhiệm vụ ba", "", "", "", "", "Ghi chú lạc"]])
    messages = [w["message"] for w in result.warnings]
    assert any("Dòng 3: hoạt động 2.2 không có dòng nhiệm vụ 2" in m for m in messages)
    assert any(m.startswith("Dòng 5: không xác định được «Dòng lạc") for m in messages)
    assert any(m.startswith("Dòng 6, cột 7: ô «Ghi chú lạc»") for m in messages)
    assert any("Văn bản thiếu hoạt động I.2.1" in m for m in messages)


def test_count_warnings_against_declaration():
    result = parse_table(_table(
        ["I. Nhóm nhiệm vụ: Một (2 nhiệm vụ, 3 hoạt động)"] * 6,
        ["1", "Nhiệm vụ", "", "", "", ""],
        ["1.1", "Việc", "", "Sở Tư pháp", "", "Quý I/2023"],
    ))
    messages = [w["message"] for w in result.warnings]
    assert "Dòng 2: nhóm I ghi 2 nhiệm vụ, bảng có 1" in messages
    assert "Dòng 2: nhóm I ghi 3 hoạt động, bảng có 1" in messages
    assert result.data["groups"][0]["title"] == "Một"


def test_footnotes_below_the_table_and_missing_ones():
    result = parse_table(_table(
        ["I", "Nhóm", "", "", "", ""], ["1", "Nhiệm vụ", "", "", "", ""],
        ["1.1", "Tỷ lệ hồ sơ(1)", "98%(2)", "Sở Tư pháp", "", "14/12/2023"],
        ["(1) Theo công thức (b/a)."] * 6,
    ))
    activity = result.data["groups"][0]["tasks"][0]["activities"][0]
    assert (activity["content"], activity["product"], activity["footnotes"]) == ("Tỷ lệ hồ sơ", "98%", ["1", "2"])
    assert result.data["footnotes"] == {"1": "Theo công thức (b/a)."}
    assert any("ký hiệu chú thích (2) không có lời chú thích" in w["message"] for w in result.warnings)


def test_preamble_reference_title_and_year():
    meta = parse_preamble([
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Căn cứ Nghị định số 63/2010/NĐ-CP ngày 08 tháng 6 năm 2010;",
        "Điều 1. Ban hành kèm theo Quyết định này Kế hoạch kiểm soát TTHC năm 2024 với 03 nhóm nhiệm vụ trọng "
        "tâm, 10 nhiệm vụ chủ yếu và 30 hoạt động cụ thể.",
        "(Kèm theo Quyết định số 15/QĐ-UBND ngày 5/1/2024 của UBND tỉnh Hà Giang)",
    ])
    assert meta["title"] == "Kế hoạch kiểm soát TTHC năm 2024"
    assert meta["decision"] == {"type": "Quyết định", "number": "15/QĐ-UBND", "date": "2024-01-05"}
    assert meta["issuer"] == "UBND tỉnh Hà Giang" and meta["year"] == 2024
    assert meta["declared"] == {"groups": 3, "tasks": 10, "activities": 30}


# ---- the numbered-list form ----------------------------------------------------------------------------------

def test_numbered_list_with_deadlines_inside_the_text():
    result = parse_paragraphs([
        "KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH NĂM 2024",
        "I. Nhóm nhiệm vụ: Hoàn thiện thể chế (1 nhiệm vụ, 2 hoạt động)",
        "1. Rà soát văn bản",
        "1.1. Rà soát quy định về TTHC. Hoàn thành trước ngày 30/9/2024.",
        "1.2. Xây dựng đề án (Quý IV/2024). Chủ trì: Sở Tư pháp; Phối hợp: Sở Nội vụ",
        "2. Tập huấn nghiệp vụ, thực hiện thường xuyên",
        "Ghi chú:",
        "1 Không tính TTHC nội bộ.",
    ])
    data = result.data
    assert data["title"] == "Kế hoạch cải cách hành chính năm 2024" and data["year"] == 2024
    tasks = data["groups"][0]["tasks"]
    acts = [(a["number"], a["content"], a["deadline"], a["lead"], a["coordinating"])
            for t in tasks for a in t["activities"]]
    assert acts == [
        ("1.1", "Rà soát quy định về TTHC", "Hoàn thành trước ngày 30/9/2024", "", ""),
        ("1.2", "Xây dựng đề án", "Quý IV/2024", "Sở Tư pháp", "Sở Nội vụ"),
        ("2", "Tập huấn nghiệp vụ", "thực hiện thường xuyên", "", ""),
    ]
    assert data["footnotes"] == {"1": "Không tính TTHC nội bộ."}
    assert parse_deadline(acts[0][2], 2024).due == date(2024, 9, 30)
    missing_lead = [w for w in check_units(data, UNITS) if "chưa có đơn vị chủ trì" in w["message"]]
    assert [(w["number"], w["level"]) for w in missing_lead] == [("I.1.1", "error"), ("I.2", "error")]


def test_split_deadline_keeps_sentences_without_deadlines():
    assert split_deadline("Tuyên truyền về cải cách TTHC trên báo") == ("Tuyên truyền về cải cách TTHC trên báo", "")
    assert split_deadline("Ban hành kế hoạch; thời hạn: Tháng 3/2024") == ("Ban hành kế hoạch", "Tháng 3/2024")


def test_list_without_numbers_is_refused():
    with pytest.raises(TableError, match="danh sách đánh số"):
        parse_paragraphs(["Chỉ có chữ", "không đánh số"])


# ---- checks needing the year or the units --------------------------------------------------------------------

UNITS = [
    UnitInfo(1, "VP", "Văn phòng UBND tỉnh", "office"), UnitInfo(2, "STP", "Sở Tư pháp", "department"),
    UnitInfo(3, "STC", "Sở Tài chính", "department"), UnitInfo(4, "SNV", "Sở Nội vụ", "department"),
    UnitInfo(5, "BQ", "UBND huyện Bắc Quang", "district"), UnitInfo(6, "XM", "UBND huyện Xín Mần", "district"),
]


def _one(lead: str, coordinating: str = "", deadline: str = "Quý I/2023") -> dict:
    return {"code": "K", "title": "T", "year": 2023, "groups": [{"number": "I", "title": "", "tasks": [
        {"number": "1", "title": "", "activities": [{"number": "1.1", "content": "Việc", "lead": lead,
                                                     "coordinating": coordinating, "deadline": deadline,
                                                     "row": 7}]}]}]}


def test_unknown_units_with_suggestions_and_collectives():
    warnings = check_units(_one("Sở Tư Pháp, Sở Tai chinh, Sở Nôi vu tỉnh", "Sở Ngoai giao"), UNITS)
    assert [w["message"] for w in warnings] == [
        "Dòng 7, hoạt động I.1.1, ô phối hợp: không tìm thấy đơn vị «Sở Ngoai giao» — có phải: Sở Nội vụ, "
        "Sở Tài chính?"]
    assert check_units(_one("Các sở, ban, ngành (Sở Tư pháp, Sở Tài chính đã hoàn thành năm 2022); UBND cấp "
                            "huyện"), UNITS) == []


def test_an_unresolved_lead_is_an_error_until_accepted():
    data = _one("Sở Không Có, Sở Tư pháp", "Các cơ quan liên quan")
    warnings = check_units(data, UNITS)
    assert [(w["level"], w["message"]) for w in warnings] == [
        ("error", "Dòng 7, hoạt động I.1.1, ô chủ trì: không tìm thấy đơn vị «Sở Không Có» — có phải: Sở Nội vụ?; "
                  "hãy chọn đơn vị chủ trì hoặc đánh dấu chấp nhận"),
        ("warning", "Dòng 7, hoạt động I.1.1, ô phối hợp: «các cơ quan, đơn vị liên quan» cần chọn đơn vị cụ thể")]
    activity = data["groups"][0]["tasks"][0]["activities"][0]
    activity["accepted"] = {"lead": activity["lead"], "coordinating": activity["coordinating"]}
    assert check_units(data, UNITS) == []
    activity["lead"] = "Các cơ quan liên quan"  # names no definite unit: still the clerk's decision
    assert [w["level"] for w in check_units(data, UNITS)] == ["warning", "error"]


def test_unreadable_deadline_is_an_error_naming_the_row():
    [error] = [w for w in check_plan(_one("Sở Tư pháp", deadline="Quý V/2023")) if w["level"] == "error"]
    assert error["message"].startswith("Dòng 7, hoạt động I.1.1: Quý V")
    assert check_plan(_one("Sở Tư pháp", deadline="")) == [
        {"row": 7, "number": "I.1.1", "level": "warning",
         "message": "Dòng 7, hoạt động I.1.1: chưa có thời hạn; sẽ tính đến hết năm kế hoạch"}]


@pytest.mark.parametrize(("text", "expected"), [
    ("14/12/2023", "14/12/2024"), ("Quý IV/2023", "Quý IV/2024"), ("Trước tháng 11/2023", "Trước tháng 11/2024"),
    ("Thường xuyên", "Thường xuyên"), ("29/02/2024", "28/02/2025"), ("", ""),
])
def test_shift_deadline(text, expected):
    assert shift_deadline(text, 2023 if "2024" not in text else 2024) == expected


# ---- properties ----------------------------------------------------------------------------------------------

_words = (st.text(alphabet="abcdeghiklmnoprstuvxyàáảãạăâđêôơưếộ ", min_size=1, max_size=25)
          .map(lambda s: " ".join(s.split())).filter(lambda s: len(s) > 2))
_deadlines = st.sampled_from(["14/12/2023", "Quý IV/2023", "Trước ngày 01/4/2023", "Tháng 02/2023", "Thường xuyên",
                              "Quý I, II/2023", "Trước tháng 11/2023", "Hàng tháng", ""])
_leads = st.sampled_from(["Sở Tư pháp", "Các sở, ban, ngành; UBND cấp huyện", "Văn phòng UBND tỉnh", ""])
_products = st.sampled_from(["100%", "Quyết định ban hành", "Cấp tỉnh: 100%; Cấp huyện: 60%; Cấp xã: 30%", ""])


@st.composite
def plans(draw) -> dict:
    groups = []
    for g in range(draw(st.integers(1, 3))):
        tasks = []
        for t in range(draw(st.integers(1, 3))):
            title = "Nhiệm vụ " + draw(_words)
            if draw(st.booleans()):
                n = draw(st.integers(1, 4))
                activities = [{"number": f"{t + 1}.{a + 1}", "content": "Hoạt động " + draw(_words)} for a in range(n)]
            else:  # a task that is its own activity, sometimes with a content line of its own
                content = title if draw(st.booleans()) else "Nội dung " + draw(_words)
                activities = [{"number": str(t + 1), "content": content}]
            for activity in activities:
                activity.update(product=draw(_products), lead=draw(_leads), coordinating=draw(_leads),
                                deadline=draw(_deadlines), footnotes=[])
                if activity["lead"] == "" and activity["product"] == "" and activity["deadline"] == "":
                    activity["deadline"] = "Quý I/2023"
            tasks.append({"number": str(t + 1), "title": title, "activities": activities})
        groups.append({"number": to_roman(g + 1), "title": "Nhóm " + draw(_words), "declared": {}, "tasks": tasks})
    return {"code": "KH-THU", "title": "Kế hoạch thử năm 2023", "year": 2023, "groups": groups, "footnotes": {}}


@settings(max_examples=60, deadline=None)
@given(plans(), st.permutations(list(range(6))))
def test_any_plan_laid_out_in_any_column_order_reads_back(plan, order):
    above, layout, below = plan_layout(plan)
    rows = [[HEADER[i] for i in order]] + [[r.cells[i] for i in order] for r in layout]
    result = parse_table(rows, above, below)
    assert tree_of(result.data) == tree_of(plan)
    assert not [w for w in result.warnings if w.get("source") == "read"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(max_size=30), min_size=1, max_size=7), max_size=12))
def test_arbitrary_rows_raise_only_table_errors(rows):
    try:
        result = parse_table([HEADER, *rows])
    except TableError:
        return
    for warning in result.warnings + check_plan(result.data):
        assert warning["level"] in ("error", "warning") and warning["message"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=15))
def test_arbitrary_paragraphs_raise_only_table_errors(lines):
    try:
        parse_paragraphs(lines)
    except TableError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 12, 31)), st.booleans())
def test_shifted_dates_move_one_year(day, before):
    text = ("Trước ngày " if before else "") + f"{day:%d/%m/%Y}"
    moved = parse_deadline(shift_deadline(text, day.year), day.year + 1)
    expected_day = 28 if (day.month, day.day) == (2, 29) else day.day
    assert moved.due == date(day.year + 1, day.month, expected_day)
    with pytest.raises(DeadlineError):
        parse_deadline(shift_deadline("Quý V/2023", 2023), 2024)
