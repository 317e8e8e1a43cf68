"""Plan numbering (group II., task 1., activity 1.1.) at the start of lines and cells."""
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.numbering import Numbering, NumberingError, parse_number, split_number, to_roman

SEED_003 = sorted((Path(__file__).resolve().parents[1].parent / "shared" / "seeds").glob("003_*.txt"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I. Nhóm nhiệm vụ: Chỉ tiêu", Numbering("group", (1,), "I", "Nhóm nhiệm vụ: Chỉ tiêu")),
        ("II Nhóm nhiệm vụ", Numbering("group", (2,), "II", "Nhóm nhiệm vụ")),
        ("  IV.  ", Numbering("group", (4,), "IV", "")),
        ("XX. Cuối", Numbering("group", (20,), "XX", "Cuối")),
        ("XIV.Nhóm", Numbering("group", (14,), "XIV", "Nhóm")),
        ("1. Nghị quyết số 01/NQ-CP", Numbering("task", (1,), "1", "Nghị quyết số 01/NQ-CP")),
        ("8 Nhiệm vụ khác", Numbering("task", (8,), "8", "Nhiệm vụ khác")),
        ("\t3. Rà soát", Numbering("task", (3,), "3", "Rà soát")),
        ("1.1. Tỷ lệ TTHC", Numbering("activity", (1, 1), "1.1", "Tỷ lệ TTHC")),
        ("2.10. Mức độ hài lòng", Numbering("activity", (2, 10), "2.10", "Mức độ hài lòng")),
        ("2.10 Mức độ hài lòng", Numbering("activity", (2, 10), "2.10", "Mức độ hài lòng")),
        ("1.1.Tỷ lệ", Numbering("activity", (1, 1), "1.1", "Tỷ lệ")),
        ("01.02. Có số 0 đầu", Numbering("activity", (1, 2), "1.2", "Có số 0 đầu")),
        ("5", Numbering("task", (5,), "5", "")),
    ],
)
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("IIII. Nhóm", "không phải số La Mã hợp lệ"),
        ("VX. Nhóm", "không phải số La Mã hợp lệ"),
        ("XXI. Nhóm", "không phải số La Mã hợp lệ"),
        ("1.1.1. Quá sâu", "quá nhiều cấp"),
        ("0. Không", "số 0"),
        ("2.0 Không", "số 0"),
        ("1.1000 Lớn", "quá lớn"),
        ("Nhóm nhiệm vụ", "không bắt đầu bằng số thứ tự"),
        ("100% TTHC", "không bắt đầu bằng số thứ tự"),
        ("14/12/2023", "không bắt đầu bằng số thứ tự"),
        ("2023 là năm", "không bắt đầu bằng số thứ tự"),
        ("Xây dựng", "không bắt đầu bằng số thứ tự"),
        ("1,5 triệu", "không bắt đầu bằng số thứ tự"),
        ("", "không bắt đầu bằng số thứ tự"),
    ],
)
def test_malformed_numbers_raise_numbering_error(text, message):
    with pytest.raises(NumberingError) as error:
        parse_number(text)
    assert message in str(error.value)
    assert isinstance(error.value, ValueError)


def test_split_number_never_raises():
    assert split_number("1.1. Tỷ lệ") == (Numbering("activity", (1, 1), "1.1", "Tỷ lệ"), "Tỷ lệ")
    assert split_number("  Đối với UBND cấp xã. ") == (None, "Đối với UBND cấp xã.")
    assert split_number("IIII. Sai") == (None, "IIII. Sai")
    assert split_number("100%") == (None, "100%")
    assert split_number(None) == (None, "")


def test_to_roman():
    assert [to_roman(value) for value in (1, 4, 9, 14, 19, 20)] == ["I", "IV", "IX", "XIV", "XIX", "XX"]
    with pytest.raises(NumberingError):
        to_roman(21)


@pytest.mark.skipif(not SEED_003, reason="shared/seeds not available")
def test_numbered_rows_of_the_2023_plan():
    """Every numbered catalogue row of file 003 parses; the counts match what the text holds."""
    text = SEED_003[0].read_text(encoding="utf-8")
    catalogue = text[text.index("DANH MỤC"):]
    found: dict[str, set[str]] = {"group": set(), "task": set(), "activity": set()}
    for line in catalogue.splitlines():
        numbering, _rest = split_number(line)
        if numbering is not None and re.match(r"\s*(?:[IVX]+|\d+(?:\.\d+)?)\.", line):
            found[numbering.level].add(numbering.label)
    assert found["group"] == {"I", "II", "III", "IV"}
    assert {"1.1", "1.6", "2.11", "3.7", "8.3", "5.5"} <= found["activity"]
    assert {"1", "2", "8"} <= found["task"]


# ---- property tests -------------------------------------------------------------------------------------

rest_text = st.text(alphabet="abcđêôơưÁẾ %/()-,", min_size=1, max_size=20).map(lambda s: "X" + s.strip())


@st.composite
def numbered_lines(draw):
    """A line with a well-formed number, written with or without the trailing dot and extra spaces."""
    level = draw(st.sampled_from(["group", "task", "activity"]))
    if level == "group":
        parts = (draw(st.integers(1, 20)),)
        label = to_roman(parts[0])
    elif level == "task":
        parts = (draw(st.integers(1, 999)),)
        label = str(parts[0])
    else:
        parts = (draw(st.integers(1, 999)), draw(st.integers(1, 999)))
        label = f"{parts[0]}.{parts[1]}"
    dot = draw(st.sampled_from(["", "."]))
    rest = draw(st.one_of(st.just(""), rest_text.map(lambda s: s.replace("X", "Nội dung ", 1))))
    lead = draw(st.sampled_from(["", " ", "\t", "  "]))
    gap = draw(st.sampled_from([" ", "  ", "\t"]))
    return lead + label + dot + (gap + rest if rest else ""), Numbering(level, parts, label, rest.strip())


@given(numbered_lines())
def test_generated_numbers_round_trip(case):
    line, expected = case
    assert parse_number(line) == expected
    assert split_number(line) == (expected, expected.rest)


@given(st.one_of(st.text(max_size=30), st.text(alphabet="IVX.0123456789 a%/", max_size=12)))
def test_arbitrary_text_raises_only_numbering_error(text):
    try:
        numbering = parse_number(text)
    except NumberingError:
        assert split_number(text)[0] is None
        return
    assert numbering.level in ("group", "task", "activity")
    assert all(part >= 1 for part in numbering.parts)
    assert split_number(text) == (numbering, numbering.rest)
