"""Vietnamese display helpers: dates, decimal comma, thousands dot, and parsing them back."""
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.formatting import (
    checked_date,
    fmt_date,
    fmt_decimal,
    fmt_int,
    fmt_percent,
    parse_vn_date,
    parse_vn_decimal,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(date(2023, 12, 14), "14/12/2023"), (date(2023, 4, 1), "01/04/2023"), (None, "")],
)
def test_fmt_date(value, expected):
    assert fmt_date(value) == expected


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (85.6, 2, "85,60"),
        (Decimal("85.605"), 2, "85,61"),  # half up, not banker's rounding
        (0.125, 2, "0,13"),
        (343894, 0, "343.894"),
        (1234567.891, 2, "1.234.567,89"),
        (-1234.5, 1, "-1.234,5"),
        (999.999, 2, "1.000,00"),
        (0, 2, "0,00"),
        (100, 0, "100"),
        (-0.001, 2, "0,00"),
    ],
)
def test_fmt_decimal(value, places, expected):
    assert fmt_decimal(value, places) == expected


def test_fmt_decimal_none_and_non_finite():
    assert fmt_decimal(None) == ""
    assert fmt_decimal(float("nan")) == ""


def test_fmt_int_and_percent():
    assert fmt_int(343894) == "343.894"
    assert fmt_int(208960) == "208.960"
    assert fmt_int(None) == ""
    assert fmt_percent(31.41) == "31,4%"
    assert fmt_percent(59.06, 2) == "59,06%"
    assert fmt_percent(100) == "100,0%"
    assert fmt_percent(None) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("85,60", Decimal("85.60")),
        ("85.60", Decimal("85.60")),
        ("343.894", Decimal(343894)),
        ("1.234.567", Decimal(1234567)),
        ("1.234,5", Decimal("1234.5")),
        ("1,234.5", Decimal("1234.5")),
        ("1,234,567", Decimal(1234567)),
        ("0.894", Decimal("0.894")),
        ("12.5", Decimal("12.5")),
        ("59,06", Decimal("59.06")),
        ("  -3,5 ", Decimal("-3.5")),
        ("+7", Decimal(7)),
        ("31,41%", Decimal("31.41")),
        ("343 894", Decimal(343894)),
        ("100", Decimal(100)),
    ],
)
def test_parse_vn_decimal(text, expected):
    assert parse_vn_decimal(text) == expected


@pytest.mark.parametrize(
    "text", ["", "  ", "abc", "1,2,3", "1.2.3", "12,", ",5", "1.234,5.6", "--1", "1e5", "NaN", "%"]
)
def test_parse_vn_decimal_rejects_text(text):
    with pytest.raises(ValueError) as error:
        parse_vn_decimal(text)
    assert "số" in str(error.value)


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_format_then_parse_round_trips(value):
    assert parse_vn_decimal(fmt_decimal(value, 2)) == value


@given(st.text(max_size=20))
def test_parse_vn_decimal_raises_only_value_error(text):
    try:
        result = parse_vn_decimal(text)
    except ValueError:
        return
    assert isinstance(result, Decimal) and result.is_finite()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("14/12/2023", date(2023, 12, 14)), ("1/4/2023", date(2023, 4, 1)), (" 29/02/2024 ", date(2024, 2, 29))],
)
def test_parse_vn_date(text, expected):
    assert parse_vn_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/2023", "Ngày 31/02/2023 không tồn tại"),
        ("29/02/2023", "Ngày 29/02/2023 không tồn tại"),
        ("00/13/2023", "Ngày 00/13/2023 không tồn tại"),
        ("14/12/23", "4 chữ số"),
        ("2023-12-14", "Không hiểu ngày «2023-12-14»"),
        ("", "Chưa nhập ngày"),
    ],
)
def test_parse_vn_date_errors_name_the_problem(text, message):
    with pytest.raises(ValueError) as error:
        parse_vn_date(text)
    assert message in str(error.value)


def test_checked_date():
    assert checked_date(30, 9, 2023) == date(2023, 9, 30)
    with pytest.raises(ValueError, match="31/04/2023"):
        checked_date(31, 4, 2023)
