"""Scoring rules, checked on small cases and on the published figures of seeds 000, 001 and 002."""
from decimal import Decimal

import pytest

from tracker.domain.frameworks import load_frameworks
from tracker.domain.scoring import (
    band_counts,
    band_for,
    check_total,
    count_phrase,
    parse_rank,
    parse_rank_change,
    percent_of_max,
    rank,
    rank_change,
    rank_disagreements,
    ratio_points,
    round_score,
    to_decimal,
    yoy_change_percent,
)

FRAMEWORKS = load_frameworks()
F766 = FRAMEWORKS["766-2022"]
PAR = FRAMEWORKS["par-2022"]

# Seed 000, Phụ lục 03: published rank (the "STT" column), district, published total, published band.
DISTRICTS_2024 = [
    (1, "Vị Xuyên", "92.8"), (2, "Hoàng Su Phì", "92.4"), (3, "Yên Minh", "91.8"), (4, "TP Hà Giang", "91.8"),
    (5, "Xín Mần", "91.5"), (6, "Mèo Vạc", "91.4"), (6, "Quang Bình", "91.4"), (8, "Bắc Quang", "91.3"),
    (8, "Đông Văn", "91.3"), (10, "Bắc Mê", "90.1"), (11, "Quản Bạ", "86.9"),
]
# Seed 000, Phụ lục 02: department, total, band as published.
DEPARTMENTS_2024 = [
    ("Sở Tư pháp", "92.2", "Xuất sắc"), ("Sở VHTTDL", "91.3", "Xuất sắc"), ("Sở TTTT", "90.4", "Xuất sắc"),
    ("Sở Nội vụ", "88.3", "Tốt"), ("Sở KHCN", "88.2", "Tốt"), ("Sở GDĐT", "87.4", "Tốt"),
    ("Sở KHĐT", "85.7", "Tốt"), ("Sở Ngoại vụ", "85.6", "Tốt"), ("Sở Xây dựng", "85.2", "Tốt"),
    ("Sở Y tế", "83.9", "Tốt"), ("Sở TNMT", "83.6", "Tốt"), ("Sở Công Thương", "80.6", "Tốt"),
    ("Sở NNPTNT", "78.4", "Khá"), ("Sở LĐTBXH", "76.4", "Khá"), ("Sở Tài chính", "74.4", "Khá"),
    ("Ban QLKKT", "61.9", "Trung bình"), ("Ban Dân tộc", "57.8", "Trung bình"), ("Sở GTVT", "57.4", "Trung bình"),
]


def test_to_decimal_uses_shortest_float_text():
    assert to_decimal(18.99) == Decimal("18.99")
    assert to_decimal("85,60") == Decimal("85.60")
    with pytest.raises(ValueError):
        to_decimal("tốt")


@pytest.mark.parametrize(("value", "band"), [
    (100, "Xuất sắc"), (90, "Xuất sắc"), ("89.99", "Tốt"), (80, "Tốt"), (79.999, "Khá"), (70, "Khá"),
    (50, "Trung bình"), ("49.99", "Yếu"), (0, "Yếu"),
])
def test_766_bands_have_inclusive_minima(value, band):
    assert band_for(value, F766).name == band


def test_par_bands_are_on_percent_of_max():
    assert band_for("84.41", PAR).code == "B"
    # Domain 1 of 2022: 8.62 of 9.50 is 90.74%, group A on that domain's own max.
    assert band_for("8.62", PAR, basis_max="9.50").code == "A"
    assert band_for("8.62", PAR.bands, basis_max="9.50").code == "A"
    # The source defines no group below 70%.
    assert band_for(69.99, PAR) is None
    assert band_for(None, F766) is None


def test_published_department_bands_follow_from_published_totals():
    assert [(name, band_for(total, F766).name) for name, total, _ in DEPARTMENTS_2024] == \
        [(name, band) for name, _, band in DEPARTMENTS_2024]


def test_rank_is_competition_ranking_on_unrounded_values():
    assert rank({"a": 9, "b": 7, "c": 7, "d": 5}) == {"a": 1, "b": 2, "c": 2, "d": 4}
    assert rank({"a": Decimal("91.84"), "b": Decimal("91.76")}) == {"a": 1, "b": 2}
    assert rank({"a": 1, "b": None}) == {"a": 1}


def test_district_ranks_recomputed_from_published_totals():
    computed = rank({name: total for _, name, total in DISTRICTS_2024})
    published = {name: position for position, name, _ in DISTRICTS_2024}
    # Ties at 91.4 (6, 6) and 91.3 (8, 8) are reproduced exactly …
    assert [computed[name] for name in ("Mèo Vạc", "Quang Bình", "Bắc Quang", "Đông Văn", "Bắc Mê")] == [6, 6, 8, 8, 10]
    # … and the only disagreement is the 91.8 pair, ranked 3 and 4 by the portal on unrounded values.
    disagreements = rank_disagreements({name: total for _, name, total in DISTRICTS_2024}, published)
    assert [(d.key, d.published, d.computed, d.explained_by_rounding) for d in disagreements] == [
        ("TP Hà Giang", 4, 3, True),
    ]


def test_rank_disagreement_outside_a_tie_is_not_explained_by_rounding():
    disagreements = rank_disagreements({"a": 90, "b": 80, "c": 70}, {"a": 1, "b": 3, "c": 2})
    assert {(d.key, d.explained_by_rounding) for d in disagreements} == {("b", False), ("c", False)}


def test_rank_change_texts():
    assert rank_change(14, 10) == (4, "Tăng 4 bậc")
    assert rank_change(28, 40) == (-12, "Giảm 12 bậc")
    assert rank_change(5, 5) == (0, "Giữ nguyên")
    assert rank_change(None, 5)[0] is None


def test_published_rank_and_movement_texts_are_read():
    assert parse_rank("10/63") == (10, 63)
    assert parse_rank("xếp thứ 40/63") == (40, 63)
    assert parse_rank(6) == (6, None)
    assert parse_rank("—") is None
    assert parse_rank_change("Tăng 4 bậc") == 4
    assert parse_rank_change("giảm 07 bậc") == -7
    assert parse_rank_change("Giữ nguyên") == 0


def test_ratio_points_example_of_seed_002():
    rate, points, reason = ratio_points(75, 100, 22)
    assert (rate, points, reason) == (Decimal(75), Decimal("16.5"), None)


@pytest.mark.parametrize(("numerator", "denominator", "max_points", "published"), [
    # 3.4.1 is left out: its note prints 66.108/66.186 hồ sơ "đạt 99,876%", but 66108/66186 is 99.882%;
    # the published 1.4981 follows from the printed rate, not from the printed counts.
    (43669, 44564, "1.50", "1.4699"),     # 3.4.2, seed 001
    (230906, 231978, "1.00", "0.9954"),   # 3.4.3
    (6, 15, "1.00", "0.40"),              # 7.1.4
])
def test_ratio_points_reproduce_published_par_points(numerator, denominator, max_points, published):
    _, points, _ = ratio_points(numerator, denominator, max_points)
    assert round_score(points, 4) == Decimal(published)


def test_ratio_points_without_denominator_gives_a_reason():
    result = ratio_points(0, 0, 6)
    assert result.rate_percent is None and result.points is None
    assert "mẫu số a = 0" in result.reason
    assert ratio_points(5, 4, 6).points is None


def test_band_counts_and_phrases_of_seed_002():
    bands = {band.code: band for band in F766.bands}
    # Q2/2024, Đồng Nai departments: 0 XS, 2 T, 4 K, 11 TB, 0 Y of 17.
    assigned = {f"unit{i}": bands[code] for i, code in enumerate(["T"] * 2 + ["K"] * 4 + ["TB"] * 11)}
    counts = band_counts(assigned, F766.bands)
    assert [(c.band.code, c.count, c.total) for c in counts] == [
        ("XS", 0, 17), ("T", 2, 17), ("K", 4, 17), ("TB", 11, 17), ("Y", 0, 17),
    ]
    phrases = [count_phrase(c.count, c.total, c.band.name) for c in counts]
    assert phrases[:3] == ["Không có cơ quan xếp loại Xuất sắc", "Có 02/17 cơ quan xếp loại Tốt",
                           "Có 04/17 cơ quan xếp loại Khá"]
    assert count_phrase(18, 170, "Khá", noun="UBND cấp xã") == "Có 18/170 UBND cấp xã xếp loại Khá"
    assert count_phrase(9, 11, "Trung bình") == "Có 09/11 cơ quan xếp loại Trung bình"


def test_band_counts_of_seed_000_departments():
    counts = band_counts({name: band_for(total, F766) for name, total, _ in DEPARTMENTS_2024}, F766.bands)
    assert [(c.band.name, c.count) for c in counts] == [
        ("Xuất sắc", 3), ("Tốt", 9), ("Khá", 3), ("Trung bình", 3), ("Yếu", 0),
    ]


def test_percent_of_max_and_year_on_year_change_of_seed_001():
    assert round_score(percent_of_max("8.62", "9.50")) == Decimal("90.74")
    # Domain 7: 13.19 of 15.00 in 2021, 10.68 of 13.50 in 2022 — compared as percentages.
    assert round_score(yoy_change_percent("10.68", "13.50", "13.19", "15.00")) == Decimal("-8.82")
    assert round_score(yoy_change_percent("12.25", "16.50", "12.86", "16.00")) == Decimal("-6.13")
    with pytest.raises(ValueError):
        percent_of_max(1, 0)


def test_check_total_with_tolerance():
    # Seed 000, Phụ lục 01: 11,9 + 19,5 + 18,2 + 18,0 + 18,00 = 85,60.
    assert check_total(["11.9", "19.5", "18.2", "18.0", "18.00"], "85.60").ok
    result = check_total([18, "19.5", "16.7", 20, 18], "92.3")
    assert not result.ok and result.computed == Decimal("92.2") and result.difference == Decimal("0.1")
    assert check_total([1, None, 2], "3.04").ok


def test_round_score_rounds_half_up():
    assert round_score("80.375") == Decimal("80.38")
