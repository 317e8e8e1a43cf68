"""Per-level targets ("Cấp tỉnh: 100% / Cấp huyện: 60% / Cấp xã: 30%")."""
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain._folding import fold_aligned
from tracker.domain.targets import parse_targets
from tracker.domain.textnorm import fold

SEED_003 = sorted((Path(__file__).resolve().parents[1].parent / "shared" / "seeds").glob("003_*.txt"))
ALL_LEVELS = {"province": "100%", "district": "60%", "commune": "30%"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cấp tỉnh: 100% / Cấp huyện: 60% / Cấp xã: 30%", ALL_LEVELS),
        ("Cấp tỉnh: 100%\nCấp huyện: 60%\nCấp xã: 30%", ALL_LEVELS),
        ("cap tinh 100%, cap huyen 60%; cap xa 30%.", ALL_LEVELS),
        ("- Cấp tỉnh: 100%\n- Cấp huyện: 60%\n- Cấp xã: 30%", ALL_LEVELS),
        ("CẤP TỈNH - 100%; CẤP HUYỆN - 60%; CẤP XÃ - 30%", ALL_LEVELS),
        ("Cấp tỉnh đạt 100%, cấp huyện đạt 60%, cấp xã đạt 30%", ALL_LEVELS),
        ("Cấp tỉnh: 99,5%", {"province": "99,5%"}),
        ("Cấp tỉnh: Quyết định ban hành\nCấp huyện: Kế hoạch triển khai",
         {"province": "Quyết định ban hành", "district": "Kế hoạch triển khai"}),
    ],
)
def test_per_level_targets(text, expected):
    assert parse_targets(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "60%",
        "Quyết định ban hành",
        "40%/tổng số TTHC 100% TTHC đủ điều kiện",
        "100% Bộ phận Một cửa cấp tỉnh, huyện triển khai đánh giá và đánh giá thông qua Cổng Dịch vụ công quốc gia",
        "100% Bộ phận Một cửa cấp tỉnh, cấp huyện, cấp xã và Bộ phận Một cửa của các cơ quan, đơn vị",
        "Cấp tỉnh: 100% / Cấp tỉnh: 50%",
        "Cấp tỉnh ban hành kế hoạch",
        "Cấp tỉnh: ",
    ],
)
def test_texts_that_are_not_per_level(text):
    assert parse_targets(text) == {}


@pytest.mark.skipif(not SEED_003, reason="shared/seeds not available")
def test_the_per_level_cell_of_the_2023_plan():
    text = SEED_003[0].read_text(encoding="utf-8")
    start = text.index("Cấp tỉnh: 100%")
    cell = text[start : text.index("\t", start)]
    assert parse_targets(cell) == ALL_LEVELS


LEVEL_WORDS = {"province": "Cấp tỉnh", "district": "Cấp huyện", "commune": "Cấp xã"}


@given(
    st.lists(st.sampled_from(list(LEVEL_WORDS)), min_size=1, max_size=3, unique=True),
    st.lists(st.integers(0, 100), min_size=3, max_size=3),
    st.sampled_from([" / ", "\n", "; ", ", ", " - "]),
)
def test_generated_per_level_targets_round_trip(levels, values, separator):
    text = separator.join(f"{LEVEL_WORDS[level]}: {value}%" for level, value in zip(levels, values, strict=False))
    assert parse_targets(text) == {level: f"{value}%" for level, value in zip(levels, values, strict=False)}


@given(st.text(max_size=60))
def test_arbitrary_text_gives_a_dict_of_known_levels(text):
    result = parse_targets(text)
    assert set(result) <= {"province", "district", "commune"}
    assert all(value for value in result.values())


VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
    " ,.;/:%0123456789\n"
)


@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper(), max_size=40))
def test_aligned_folding_keeps_positions_and_agrees_with_fold(text):
    aligned = fold_aligned(text)
    assert len(aligned) == len(text)
    assert fold(aligned) == fold(text)
