"""Lead/coordinating cells → references (names, collectives, exceptions) → unit ids."""
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.assignees import (
    AssigneeRef,
    AssigneeSpec,
    UnitInfo,
    parse_assignees,
    resolve_assignees,
)

SEED_003 = sorted((Path(__file__).resolve().parents[1].parent / "shared" / "seeds").glob("003_*.txt"))

DEPARTMENT = AssigneeRef("collective", "department")
DISTRICT = AssigneeRef("collective", "district")
COMMUNE = AssigneeRef("collective", "commune")
RELATED = AssigneeRef("collective", "related")


def name(value: str) -> AssigneeRef:
    return AssigneeRef("name", value)


# Every distinct lead and coordinating cell of the 2023 plan (file 003), with what it must mean.
PLAN_CELLS = {
    "Văn phòng UBND tỉnh": ((name("Văn phòng UBND tỉnh"),), ()),
    "Sở Tư pháp": ((name("Sở Tư pháp"),), ()),
    "UBND cấp huyện": ((DISTRICT,), ()),
    "Các sở, ban, ngành": ((DEPARTMENT,), ()),
    "Các sở, ban, ngành; UBND cấp huyện": ((DEPARTMENT, DISTRICT), ()),
    "Các sở, ban, ngành được giao chủ trì soạn thảo văn bản QPPL": (
        (AssigneeRef("collective", "department", "được giao chủ trì soạn thảo văn bản QPPL"),), ()),
    "Văn phòng UBND tỉnh; Sở Khoa học và Công nghệ": (
        (name("Văn phòng UBND tỉnh"), name("Sở Khoa học và Công nghệ")), ()),
    "Văn phòng UBND tỉnh, UBND cấp huyện": ((name("Văn phòng UBND tỉnh"), DISTRICT), ()),
    "Văn phòng UBND tỉnh, Sở Tài chính, Sở Tư pháp": (
        (name("Văn phòng UBND tỉnh"), name("Sở Tài chính"), name("Sở Tư pháp")), ()),
    "Sở Nội vụ, Sở Tư pháp, Sở Tài chính": ((name("Sở Nội vụ"), name("Sở Tư pháp"), name("Sở Tài chính")), ()),
    "Các sở, ban, ngành (Sở Tư pháp, Sở Tài chính đã hoàn thành năm 2022)": (
        (DEPARTMENT,), ("Sở Tư pháp", "Sở Tài chính")),
    "Các cơ quan, đơn vị phối hợp kiểm tra và các cơ quan, đơn vị được kiểm tra": (
        (AssigneeRef("collective", "related", "phối hợp kiểm tra"),
         AssigneeRef("collective", "related", "được kiểm tra")), ()),
    "Báo Hà Giang, Đài PTTH tỉnh, Văn phòng UBND tỉnh, các sở, ban, ngành và UBND cấp huyện": (
        (name("Báo Hà Giang"), name("Đài PTTH tỉnh"), name("Văn phòng UBND tỉnh"), DEPARTMENT, DISTRICT), ()),
    # section IV of the plan and the decision's articles
    "Các Sở, ban, ngành; UBND các huyện, thành phố": ((DEPARTMENT, DISTRICT), ()),
    "Sở Thông tin và Truyền thông, Công an tỉnh, cơ quan có liên quan": (
        (name("Sở Thông tin và Truyền thông"), name("Công an tỉnh"), RELATED), ()),
}


@pytest.mark.parametrize(("cell", "expected"), PLAN_CELLS.items())
def test_every_assignee_cell_of_the_2023_plan(cell, expected):
    refs, exceptions = expected
    assert parse_assignees(cell) == AssigneeSpec(refs, exceptions)


@pytest.mark.skipif(not SEED_003, reason="shared/seeds not available")
def test_the_cells_above_are_real_cells_of_file_003():
    text = " ".join(SEED_003[0].read_text(encoding="utf-8").split())
    for cell in PLAN_CELLS:
        assert cell in text


@pytest.mark.parametrize(
    ("text", "refs", "exceptions"),
    [
        ("Các sở, ban, ngành (trừ Sở Tư pháp, Sở Tài chính đã hoàn thành năm 2022)", (DEPARTMENT,),
         ("Sở Tư pháp", "Sở Tài chính")),
        ("Sở, ban, ngành tỉnh", (DEPARTMENT,), ()),
        ("các sở, ngành", (DEPARTMENT,), ()),
        ("Các sở, ban, ngành thuộc UBND tỉnh", (DEPARTMENT,), ()),
        ("cac So, ban, nganh tinh va Uy ban nhan dan huyen, thi xa, thanh pho", (DEPARTMENT, DISTRICT), ()),
        ("UBND các huyện/thành phố\nUBND cấp xã", (DISTRICT, COMMUNE), ()),
        ("UBND các xã, phường, thị trấn", (COMMUNE,), ()),
        ("Ủy ban nhân dân cấp xã", (COMMUNE,), ()),
        ("Các cơ quan, đơn vị liên quan", (RELATED,), ()),
        ("CÁC CƠ QUAN, ĐƠN VỊ LIÊN QUAN", (RELATED,), ()),
        ("Sở Văn hóa, Thể thao và Du lịch, Sở Lao động - Thương binh và Xã hội",
         (name("Sở Văn hóa, Thể thao và Du lịch"), name("Sở Lao động - Thương binh và Xã hội")), ()),
        ("Sở Tư pháp/Sở Nội vụ", (name("Sở Tư pháp"), name("Sở Nội vụ")), ()),
        ("Sở Tư pháp và Sở Nội vụ", (name("Sở Tư pháp"), name("Sở Nội vụ")), ()),
        ("Sở Tư pháp;\n\nSở Tư pháp", (name("Sở Tư pháp"),), ()),
        ("Văn phòng UBND tỉnh (Trung tâm Phục vụ hành chính công)", (name("Văn phòng UBND tỉnh"),), ()),
        ("Các sở, ban, ngành (nếu có)", (DEPARTMENT,), ()),
        ("Các sở, ban, ngành (trừ Sở Tư pháp; Sở Y tế)", (DEPARTMENT,), ("Sở Tư pháp", "Sở Y tế")),
        ("Các sở, ban, ngành (trừ Sở Tư pháp", (DEPARTMENT,), ("Sở Tư pháp",)),
        ("", (), ()),
        (" - ", (), ()),
    ],
)
def test_parse_variants(text, refs, exceptions):
    assert parse_assignees(text) == AssigneeSpec(refs, exceptions)


# ---- resolution -------------------------------------------------------------------------------------------

UNITS = [
    UnitInfo(1, "VP", "Văn phòng UBND tỉnh", "office", ("Văn phòng Ủy ban nhân dân tỉnh",)),
    UnitInfo(2, "STP", "Sở Tư pháp", "department"),
    UnitInfo(3, "STC", "Sở Tài chính", "department"),
    UnitInfo(4, "SNV", "Sở Nội vụ", "department"),
    UnitInfo(5, "SKHCN", "Sở Khoa học và Công nghệ", "department"),
    UnitInfo(6, "STTTT", "Sở Thông tin và Truyền thông", "department", active=False),
    UnitInfo(7, "BM", "Huyện Bắc Mê", "district"),
    UnitInfo(8, "TPHG", "Thành phố Hà Giang", "district"),
    UnitInfo(9, "DV", "Huyện Đồng Văn", "district", active=False),
    UnitInfo(10, "DAI", "Đài Phát thanh - Truyền hình tỉnh", "press", ("Đài PTTH tỉnh", "Đài PT-TH tỉnh")),
    UnitInfo(11, "XMT", "Xã Minh Tân", "commune"),
]


def resolve(text, units=UNITS, **options):
    return resolve_assignees(parse_assignees(text), units, **options)


def test_collectives_expand_to_active_units_in_input_order():
    result = resolve("Các sở, ban, ngành; UBND cấp huyện")
    assert result.unit_ids == [2, 3, 4, 5, 7, 8]
    assert result.unknown == [] and result.warnings == []


def test_exceptions_are_removed_from_the_collective():
    result = resolve("Các sở, ban, ngành (Sở Tư pháp, Sở Tài chính đã hoàn thành năm 2022)")
    assert result.unit_ids == [4, 5]


def test_names_match_accent_and_prefix_insensitively():
    result = resolve("so tu phap; VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH, UBND huyện Bắc Mê, TP Hà Giang, Đài PT-TH tỉnh")
    assert result.unit_ids == [2, 1, 7, 8, 10]
    assert result.unknown == []


def test_duplicates_are_dropped_keeping_first_position():
    result = resolve("Sở Nội vụ, Sở Tư pháp; Các sở, ban, ngành")
    assert result.unit_ids == [4, 2, 3, 5]


def test_unknown_names_come_with_close_suggestions():
    result = resolve("Sở Tư Phap tỉnh Hà Giang, Sở Tài chánh, Ban Quản lý dự án")
    assert result.unit_ids == []
    unknown = dict(result.unknown)
    assert unknown["Sở Tài chánh"][0] == "Sở Tài chính"
    assert "Sở Tư pháp" in unknown["Sở Tư Phap tỉnh Hà Giang"]
    assert all(len(suggestions) <= 3 for suggestions in unknown.values())
    assert list(unknown) == ["Sở Tư Phap tỉnh Hà Giang", "Sở Tài chánh", "Ban Quản lý dự án"]


def test_unknown_exception_is_reported():
    result = resolve("Các sở, ban, ngành (trừ Sở Y tế)")
    assert result.unit_ids == [2, 3, 4, 5]
    assert [entry[0] for entry in result.unknown] == ["Sở Y tế"]


def test_related_is_not_expanded_and_qualified_collectives_warn():
    result = resolve("Các cơ quan, đơn vị liên quan; Các sở, ban, ngành được giao chủ trì soạn thảo văn bản QPPL")
    assert result.unexpanded == [RELATED]
    assert result.unit_ids == [2, 3, 4, 5]
    assert any("được giao chủ trì" in warning for warning in result.warnings)


def test_ended_unit_named_explicitly_is_kept_with_a_warning():
    result = resolve("Sở Thông tin và Truyền thông")
    assert result.unit_ids == [6]
    assert "ngừng hoạt động" in result.warnings[0]


def test_active_unit_preferred_over_an_ended_one_with_the_same_name():
    units = [*UNITS, UnitInfo(12, "BM2", "Huyện Bắc Mê", "district", active=False)]
    assert resolve("UBND huyện Bắc Mê", units).unit_ids == [7]


def test_ambiguous_name_is_unknown_with_the_candidates():
    units = [UnitInfo(1, "A", "Xã Minh Tân", "commune"), UnitInfo(2, "B", "Xã Minh Tân", "commune")]
    result = resolve("Xã Minh Tân", units)
    assert result.unit_ids == []
    assert result.unknown == [("Xã Minh Tân", ["Xã Minh Tân", "Xã Minh Tân"])]


def test_collective_kind_mapping_and_empty_collective():
    result = resolve("UBND cấp xã", collective_kinds={"commune": "ward"})
    assert result.unit_ids == []
    assert "ward" in result.warnings[0]
    assert resolve("UBND cấp xã").unit_ids == [11]


# ---- property tests ---------------------------------------------------------------------------------------

KNOWN_NAMES = ["Sở Tư pháp", "Sở Khoa học và Công nghệ", "Văn phòng UBND tỉnh", "Sở Văn hóa, Thể thao và Du lịch",
               "Công an tỉnh", "Báo Hà Giang", "Đài PTTH tỉnh", "Sở Lao động - Thương binh và Xã hội", "Huyện Bắc Mê"]
COLLECTIVE_WORDINGS = {"Các sở, ban, ngành": DEPARTMENT, "UBND cấp huyện": DISTRICT, "UBND cấp xã": COMMUNE,
                       "UBND các huyện, thành phố": DISTRICT, "Các cơ quan, đơn vị liên quan": RELATED}


@given(
    st.lists(st.sampled_from(KNOWN_NAMES + list(COLLECTIVE_WORDINGS)), min_size=1, max_size=6, unique=True),
    st.lists(st.sampled_from([", ", "; ", " và ", "\n", "/"]), min_size=5, max_size=5),
)
def test_generated_cells_parse_back_to_their_parts(parts, separators):
    text = parts[0] + "".join(sep + part for sep, part in zip(separators, parts[1:], strict=False))
    expected = []
    for part in parts:
        ref = COLLECTIVE_WORDINGS.get(part, name(part))
        if ref not in expected:
            expected.append(ref)
    assert parse_assignees(text).refs == tuple(expected)


@given(st.text(max_size=80))
def test_arbitrary_text_never_raises(text):
    spec = parse_assignees(text)
    assert all(ref.kind in ("name", "collective") and ref.value for ref in spec.refs)
    result = resolve_assignees(spec, UNITS)
    assert len(result.unit_ids) == len(set(result.unit_ids))


def test_prefix_tolerance_works_both_ways():
    units = [UnitInfo(1, "BM", "UBND huyện Bắc Mê", "district"), UnitInfo(2, "STP", "Sở Tư pháp tỉnh", "department")]
    assert resolve("Huyện Bắc Mê; Ủy ban nhân dân huyện Bắc Mê; Sở Tư pháp", units).unit_ids == [1, 2]


# ---- directives name units by their heads (file 004) ---------------------------------------------------

def test_heads_collective_of_a_directive_expands_to_departments_and_districts():
    units = [UnitInfo(1, "A", "Sở Thông tin và Truyền thông", "department"),
             UnitInfo(2, "B", "UBND huyện Long Mỹ", "district"),
             UnitInfo(3, "C", "Văn phòng UBND tỉnh", "office")]
    spec = parse_assignees("Giám đốc Sở, Thủ trưởng cơ quan chuyên môn thuộc Ủy ban nhân dân tỉnh, "
                           "Chủ tịch Ủy ban nhân dân huyện, thị xã, thành phố")
    assert [ref.value for ref in spec.refs] == ["department", "district"]
    assert resolve_assignees(spec, units).unit_ids == [1, 2]


def test_unit_named_by_its_head_resolves_to_the_unit():
    units = [UnitInfo(1, "A", "Sở Thông tin và Truyền thông", "department"),
             UnitInfo(3, "C", "Văn phòng UBND tỉnh", "office", ("Văn phòng Ủy ban nhân dân tỉnh",))]
    assert resolve_assignees(parse_assignees("Giám đốc Sở Thông tin và Truyền thông"), units).unit_ids == [1]
    assert resolve_assignees(parse_assignees("Chánh Văn phòng Ủy ban nhân dân tỉnh"), units).unit_ids == [3]
