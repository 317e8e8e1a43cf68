"""Period labels (pure): every spelling officials use reads to one canonical period, in order."""
from datetime import date, datetime

import pytest

from tracker.domain.periods import PeriodError, parse_period, previous_period


@pytest.mark.parametrize("text,label,kind,start,end", [
    ("2024", "2024", "year", date(2024, 1, 1), date(2024, 12, 31)),
    ("Năm 2024", "2024", "year", date(2024, 1, 1), date(2024, 12, 31)),
    ("Q2/2024", "Q2/2024", "quarter", date(2024, 4, 1), date(2024, 6, 30)),
    ("Quý II/2024", "Q2/2024", "quarter", date(2024, 4, 1), date(2024, 6, 30)),
    ("quý IV/2023", "Q4/2023", "quarter", date(2023, 10, 1), date(2023, 12, 31)),
    ("2024-Q1", "Q1/2024", "quarter", date(2024, 1, 1), date(2024, 3, 31)),
    ("Tháng 2/2024", "Tháng 02/2024", "month", date(2024, 2, 1), date(2024, 2, 29)),
    ("T10/2025", "Tháng 10/2025", "month", date(2025, 10, 1), date(2025, 10, 31)),
    ("10/2025", "Tháng 10/2025", "month", date(2025, 10, 1), date(2025, 10, 31)),
    ("2025-10", "Tháng 10/2025", "month", date(2025, 10, 1), date(2025, 10, 31)),
    ("11:00 08/07/2024", "11:00 08/07/2024", "snapshot", date(2024, 7, 8), date(2024, 7, 8)),
    ("11h00 ngày 08/07/2024", "11:00 08/07/2024", "snapshot", date(2024, 7, 8), date(2024, 7, 8)),
])
def test_spellings_read_to_one_canonical_period(text, label, kind, start, end):
    spec = parse_period(text)
    assert (spec.label, spec.kind, spec.start, spec.end) == (label, kind, start, end)
    assert parse_period(spec.label) == spec  # the canonical label reads back to itself


def test_snapshot_keeps_the_moment():
    assert parse_period("11:00 08/07/2024").at == datetime(2024, 7, 8, 11, 0)


@pytest.mark.parametrize("text,fragment", [
    ("", "Chưa nhập kỳ đánh giá"),
    ("Quý V/2024", "Không đọc được kỳ đánh giá 'Quý V/2024'"),
    ("Tháng 13/2024", "Tháng 13 không hợp lệ"),
    ("25:00 08/07/2024", "ngày giờ không hợp lệ"),
    ("31/02/2024 10:00", "Không đọc được"),
])
def test_unreadable_labels_are_refused_in_vietnamese(text, fragment):
    with pytest.raises(PeriodError, match=fragment):
        parse_period(text)


def test_previous_period_and_order():
    assert previous_period(parse_period("Q1/2024")).label == "Q4/2023"
    assert previous_period(parse_period("Q3/2024")).label == "Q2/2024"
    assert previous_period(parse_period("2024")).label == "2023"
    assert previous_period(parse_period("Tháng 01/2025")).label == "Tháng 12/2024"
    assert previous_period(parse_period("11:00 08/07/2024")) is None
    # periods are listed by first day, then last day (as the Period rows are ordered): a quarter before its year
    labels = ["2024", "Q2/2024", "Q1/2024", "Tháng 03/2024", "11:00 08/07/2024"]
    ordered = sorted((parse_period(label) for label in labels), key=lambda spec: (spec.start, spec.end))
    assert [spec.label for spec in ordered] == ["Q1/2024", "2024", "Tháng 03/2024", "Q2/2024", "11:00 08/07/2024"]


@pytest.mark.parametrize("text,label,kind,year,start,end", [
    ("Tuần 27/2024", "Tuần 27/2024", "week", 2024, date(2024, 7, 1), date(2024, 7, 7)),
    ("W27/2024", "Tuần 27/2024", "week", 2024, date(2024, 7, 1), date(2024, 7, 7)),
    ("2024-W27", "Tuần 27/2024", "week", 2024, date(2024, 7, 1), date(2024, 7, 7)),
    ("tuần 7 năm 2024", "Tuần 07/2024", "week", 2024, date(2024, 2, 12), date(2024, 2, 18)),
    # ISO weeks: week 1 of 2025 starts in December 2024; 2020 has a week 53 that ends in January 2021
    ("Tuần 1/2025", "Tuần 01/2025", "week", 2025, date(2024, 12, 30), date(2025, 1, 5)),
    ("2020-W53", "Tuần 53/2020", "week", 2020, date(2020, 12, 28), date(2021, 1, 3)),
    ("6 tháng đầu năm 2024", "6 tháng đầu năm 2024", "half", 2024, date(2024, 1, 1), date(2024, 6, 30)),
    ("6 tháng cuối năm 2024", "6 tháng cuối năm 2024", "half", 2024, date(2024, 7, 1), date(2024, 12, 31)),
    ("H1/2024", "6 tháng đầu năm 2024", "half", 2024, date(2024, 1, 1), date(2024, 6, 30)),
    ("2024-H2", "6 tháng cuối năm 2024", "half", 2024, date(2024, 7, 1), date(2024, 12, 31)),
])
def test_weeks_and_half_years_read_to_one_canonical_period(text, label, kind, year, start, end):
    spec = parse_period(text)
    assert (spec.label, spec.kind, spec.year, spec.start, spec.end) == (label, kind, year, start, end)
    assert parse_period(spec.label) == spec


@pytest.mark.parametrize("text,fragment", [
    ("Tuần 54/2024", "Kỳ đánh giá 'Tuần 54/2024': tuần 54 không hợp lệ (năm 2024 có các tuần 1 đến 52"),
    ("Tuần 0/2024", "Kỳ đánh giá 'Tuần 0/2024': tuần 0 không hợp lệ"),
    ("Tuần 53/2024", "Kỳ đánh giá 'Tuần 53/2024'"),  # 2024 has 52 ISO weeks
    ("H3/2024", "Kỳ đánh giá 'H3/2024': nửa năm chỉ có H1"),
])
def test_bad_weeks_and_halves_are_refused_naming_the_label(text, fragment):
    with pytest.raises(PeriodError) as raised:
        parse_period(text)
    assert fragment in str(raised.value)


def test_previous_week_and_half():
    # week 1 → the last ISO week of the year before: 52 for 2024, 53 for 2020
    assert previous_period(parse_period("Tuần 01/2025")).label == "Tuần 52/2024"
    assert previous_period(parse_period("Tuần 01/2021")).label == "Tuần 53/2020"
    assert previous_period(parse_period("Tuần 27/2024")).label == "Tuần 26/2024"
    assert previous_period(parse_period("6 tháng đầu năm 2024")).label == "6 tháng cuối năm 2023"
    assert previous_period(parse_period("6 tháng cuối năm 2024")).label == "6 tháng đầu năm 2024"
    labels = ["2024", "6 tháng cuối năm 2024", "6 tháng đầu năm 2024", "Tuần 27/2024", "Q3/2024"]
    ordered = sorted((parse_period(label) for label in labels), key=lambda spec: (spec.start, spec.end))
    assert [spec.label for spec in ordered] == ["6 tháng đầu năm 2024", "2024", "Tuần 27/2024", "Q3/2024",
                                                "6 tháng cuối năm 2024"]


def test_weeks_and_halves_read_in_a_sentence_of_a_report():
    from tracker.services.reports import period_text, previous_period_text

    assert period_text("W07/2024") == "tuần 7/2024"
    assert previous_period_text("Tuần 01/2025") == "tuần 52/2024"
    assert period_text("H1/2024") == "6 tháng đầu năm 2024"
    assert previous_period_text("6 tháng đầu năm 2024") == "6 tháng cuối năm 2023"
