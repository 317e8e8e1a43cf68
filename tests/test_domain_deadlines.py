"""Deadline wording → due dates, on every form met in the source documents, plus property tests."""
import unicodedata
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.deadlines import Deadline, DeadlineError, Period, parse_deadline

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


def seed_text(prefix: str) -> str:
    """Text of a seed document, or skip the test when shared/ is not beside the repository."""
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip("shared/seeds not available")
    return matches[0].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "kind", "due"),
    [
        ("14/12/2023", "date", date(2023, 12, 14)),
        ("Trước ngày 01/4/2023", "before_date", date(2023, 4, 1)),
        ("trước 30/9", "before_date", date(2023, 9, 30)),
        ("Hoàn thành trước ngày 30/9/2023", "before_date", date(2023, 9, 30)),
        ("Tháng 02/2023", "month", date(2023, 2, 28)),
        ("Tháng 2/2024", "month", date(2024, 2, 29)),
        ("tháng 12", "month", date(2023, 12, 31)),
        ("Tháng 4 năm 2023", "month", date(2023, 4, 30)),
        ("Trước tháng 11/2023", "before_month", date(2023, 10, 31)),
        ("Trước tháng 1/2024", "before_month", date(2023, 12, 31)),
        ("Quý IV/2023", "quarter", date(2023, 12, 31)),
        ("Quý I, II/2023", "quarter", date(2023, 6, 30)),
        ("Quý I/2023 và Quý III/2023", "quarter", date(2023, 9, 30)),
        ("Quý 2", "quarter", date(2023, 6, 30)),
        ("quý iv năm 2024", "quarter", date(2024, 12, 31)),
        ("6 tháng đầu năm", "half_year", date(2023, 6, 30)),
        ("6 tháng đầu năm 2024", "half_year", date(2024, 6, 30)),
        ("6 tháng cuối năm", "half_year", date(2023, 12, 31)),
        ("Năm 2023", "year", date(2023, 12, 31)),
        ("Trong năm", "year", date(2023, 12, 31)),
        ("ngày 30 tháng 9 năm 2023", "date", date(2023, 9, 30)),
        ("Trước ngày 15 tháng 12", "before_date", date(2023, 12, 15)),
        ("14-12-2023", "date", date(2023, 12, 14)),
    ],
)
def test_one_off_forms(text, kind, due):
    deadline = parse_deadline(text, 2023)
    assert (deadline.kind, deadline.due) == (kind, due)
    assert deadline.periods == ()
    assert not deadline.recurring
    assert deadline.text == text


@pytest.mark.parametrize(
    ("text", "kind", "labels"),
    [
        ("Thường xuyên", "continuous", ["Quý I/2023", "Quý II/2023", "Quý III/2023", "Quý IV/2023"]),
        ("Hàng quý", "quarterly", ["Quý I/2023", "Quý II/2023", "Quý III/2023", "Quý IV/2023"]),
        ("Định kỳ hàng quý", "quarterly", ["Quý I/2023", "Quý II/2023", "Quý III/2023", "Quý IV/2023"]),
        ("hàng quý, năm", "quarterly", ["Quý I/2023", "Quý II/2023", "Quý III/2023", "Quý IV/2023"]),
        ("6 tháng, năm", "half_yearly", ["6 tháng đầu năm 2023", "6 tháng cuối năm 2023"]),
        ("Định kỳ 6 tháng", "half_yearly", ["6 tháng đầu năm 2023", "6 tháng cuối năm 2023"]),
        ("Hàng năm", "yearly", ["Năm 2023"]),
        ("Định kỳ hàng năm", "yearly", ["Năm 2023"]),
    ],
)
def test_recurring_forms(text, kind, labels):
    deadline = parse_deadline(text, 2023)
    assert deadline.kind == kind
    assert deadline.recurring
    assert [period.label for period in deadline.periods] == labels
    assert deadline.due == date(2023, 12, 31) == deadline.periods[-1].due


def test_monthly_has_twelve_periods_ending_on_month_ends():
    deadline = parse_deadline("Hàng tháng", 2024)
    assert deadline.kind == "monthly"
    assert len(deadline.periods) == 12
    assert deadline.periods[1] == Period("Tháng 2/2024", date(2024, 2, 1), date(2024, 2, 29), date(2024, 2, 29))
    for first, second in pairwise(deadline.periods):
        assert second.start == first.end + timedelta(days=1)
    assert deadline.due == date(2024, 12, 31)


def test_quarterly_periods_cover_the_year_without_gaps():
    periods = parse_deadline("Thường xuyên", 2023).periods
    assert periods[0].start == date(2023, 1, 1)
    assert periods[1] == Period("Quý II/2023", date(2023, 4, 1), date(2023, 6, 30), date(2023, 6, 30))
    assert periods[-1].end == date(2023, 12, 31)
    for first, second in pairwise(periods):
        assert second.start == first.end + timedelta(days=1)


def test_recurring_takes_the_year_written_in_the_text():
    deadline = parse_deadline("Hàng quý năm 2024", 2023)
    assert deadline.periods[0].label == "Quý I/2024"
    assert deadline.due == date(2024, 12, 31)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("QUÝ IV/2023", date(2023, 12, 31)),
        ("quy iv/2023", date(2023, 12, 31)),
        ("Quy 4/2023", date(2023, 12, 31)),
        ("THUONG XUYEN", date(2023, 12, 31)),
        ("truoc thang 11/2023", date(2023, 10, 31)),
        ("thang 02/2023", date(2023, 2, 28)),
        ("Quý I,II/2023", date(2023, 6, 30)),
    ],
)
def test_case_and_diacritics_do_not_matter(text, due):
    assert parse_deadline(text, 2023).due == due


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/2023", "Ngày 31/02/2023 không tồn tại"),
        ("Trước ngày 29/02/2023", "Ngày 29/02/2023 không tồn tại"),
        ("00/13/2023", "Ngày 00/13/2023 không tồn tại"),
        ("trước 31/4", "Ngày 31/04/2023 không tồn tại"),
        ("14/12/23", "4 chữ số"),
        ("Tháng 3/23", "4 chữ số"),
        ("Tháng 13/2023", "Tháng 13"),
        ("Quý 5/2023", "Quý 5"),
        ("Quý V/2023", "Quý V"),
        ("Năm 0999", "Năm 999"),
        ("Sẽ làm sau", "Không hiểu thời hạn «Sẽ làm sau»"),
        ("  ", "Chưa có thời hạn"),
    ],
)
def test_errors_name_the_problem(text, message):
    with pytest.raises(DeadlineError) as error:
        parse_deadline(text, 2023)
    assert message in str(error.value)
    assert isinstance(error.value, ValueError)


def test_bad_plan_year_is_rejected():
    with pytest.raises(DeadlineError):
        parse_deadline("Thường xuyên", 23)


def test_reference_dates_are_not_deadlines():
    text = "Triển khai Kế hoạch số 146/KH-UBND ngày 31/7/2024, hoàn thành trước ngày 15/11/2024"
    assert parse_deadline(text, 2024).due == date(2024, 11, 15)
    with pytest.raises(DeadlineError):
        parse_deadline("Kế hoạch số 146/KH-UBND ngày 31/7/2024", 2024)


def test_last_date_wins_when_none_is_introduced_by_truoc():
    assert parse_deadline("Từ 01/3/2023 đến 30/6/2023", 2023).due == date(2023, 6, 30)


# Deadline cells of the 2023 plan (file 003), each with the due date a reader expects.
PLAN_CELLS = {
    "14/12/2023": date(2023, 12, 14),
    "Quý I, II/2023": date(2023, 6, 30),
    "Quý III/2023": date(2023, 9, 30),
    "Quý IV/2023": date(2023, 12, 31),
    "Tháng 02/2023": date(2023, 2, 28),
    "Tháng 12/2023": date(2023, 12, 31),
    "Tháng 4/2023": date(2023, 4, 30),
    "Thường xuyên": date(2023, 12, 31),
    "Trước ngày 01/4/2023": date(2023, 4, 1),
    "Trước ngày 10/9/2023": date(2023, 9, 10),
    "Trước ngày 15/3/2023": date(2023, 3, 15),
    "Trước tháng 11/2023": date(2023, 10, 31),
    "Trước tháng 8/2023": date(2023, 7, 31),
}


@pytest.mark.parametrize(("cell", "due"), PLAN_CELLS.items())
def test_every_deadline_cell_of_the_2023_plan(cell, due):
    assert f"\t{cell}\n" in seed_text("003")
    assert parse_deadline(cell, 2023).due == due


# Sentences of the OCR'd directive (file 004): "trước" comes out as "trwdc", "trude", "truée"…
DIRECTIVE_SENTENCES = {
    "bdo cao két qua thuc hién trwdc ngay 01/11/2024.": date(2024, 11, 1),
    "hoan thanh trude ngay 01/11/2024.": date(2024, 11, 1),
    "hoan thanh trwéc ngay 10/11/2024.": date(2024, 11, 10),
    "Céc ndi dung nhi¢m vu nay hoan thanh trwée ngay 10/11/2024.": date(2024, 11, 10),
    "hoan thanh trwéc ngay 15/11/2024.": date(2024, 11, 15),
}


@pytest.mark.parametrize(("sentence", "due"), DIRECTIVE_SENTENCES.items())
def test_deadlines_inside_ocr_sentences_of_the_directive(sentence, due):
    assert sentence in " ".join(seed_text("004").split())
    deadline = parse_deadline(sentence, 2024)
    assert (deadline.kind, deadline.due) == ("before_date", due)


def test_directive_paragraph_with_reference_dates_and_line_break():
    text = seed_text("004")
    start = text.index("3. Giao Chanh Van")
    paragraph = text[start : text.index("Bong thoi", start)]
    assert parse_deadline(paragraph, 2024).due == date(2024, 11, 20)
    assert parse_deadline("- Hang thang thyc hién cong khai dinh ky", 2024).kind == "monthly"


# ---- property tests -------------------------------------------------------------------------------------

def strip_marks(text: str) -> str:
    """Remove Vietnamese diacritics but keep the case, as OCR and hurried typing do."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


variants = st.sampled_from([str, str.upper, str.lower, str.title, strip_marks, lambda s: strip_marks(s).upper()])
years = st.integers(min_value=1950, max_value=2100)
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def month_last_day(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def number(value: int, pad: bool) -> str:
    return f"{value:02d}" if pad else str(value)


@st.composite
def well_formed(draw):
    """A deadline text in one of the documented forms, with the due date it must give and the plan year."""
    plan_year = draw(years)
    year = draw(years)
    form = draw(st.sampled_from(["date", "before_date", "short_before", "month", "before_month", "quarter",
                                 "half", "year"]))
    pad = draw(st.booleans())
    if form in ("date", "before_date", "short_before"):
        day_value = draw(st.dates(min_value=date(year, 1, 1), max_value=date(year, 12, 31)))
        if form == "short_before":
            day_value = day_value.replace(year=plan_year) if not (day_value.month == 2 and day_value.day == 29) else \
                date(plan_year, 2, 28)
            text = f"trước {number(day_value.day, pad)}/{number(day_value.month, pad)}"
            return text, day_value, plan_year
        written = f"{number(day_value.day, pad)}/{number(day_value.month, pad)}/{day_value.year}"
        if form == "date":
            return written, day_value, plan_year
        prefix = draw(st.sampled_from(["Trước ngày ", "trước ", "Hoàn thành trước ngày ", "Báo cáo trước ngày "]))
        return prefix + written, day_value, plan_year
    if form in ("month", "before_month"):
        month = draw(st.integers(1, 12))
        joiner = draw(st.sampled_from(["/", " năm "]))
        text = f"Tháng {number(month, pad)}{joiner}{year}"
        if form == "month":
            return text, month_last_day(year, month), plan_year
        return "Trước " + text.lower(), date(year, month, 1) - timedelta(days=1), plan_year
    if form == "quarter":
        quarters = sorted(draw(st.sets(st.integers(1, 4), min_size=1, max_size=4)))
        roman = draw(st.booleans())
        named = ", ".join(ROMAN[q] if roman else str(q) for q in quarters)
        return f"Quý {named}/{year}", month_last_day(year, quarters[-1] * 3), plan_year
    if form == "half":
        second = draw(st.booleans())
        return (f"6 tháng {'cuối' if second else 'đầu'} năm {year}",
                date(year, 12, 31) if second else date(year, 6, 30), plan_year)
    return f"Năm {year}", date(year, 12, 31), plan_year


@given(well_formed(), variants)
def test_well_formed_text_gives_the_right_due_date(case, variant):
    text, due, plan_year = case
    assert parse_deadline(variant(text), plan_year).due == due


@given(st.sampled_from(["Thường xuyên", "Hàng tháng", "Hàng quý", "Định kỳ hàng quý", "Định kỳ 6 tháng",
                        "6 tháng, năm", "Hàng năm"]), variants, years)
def test_recurring_forms_end_on_the_last_day_of_the_plan_year(text, variant, plan_year):
    deadline = parse_deadline(variant(text), plan_year)
    assert deadline.recurring
    assert deadline.due == date(plan_year, 12, 31) == deadline.periods[-1].due
    assert all(period.start <= period.end == period.due for period in deadline.periods)
    assert all(period.start.year == plan_year for period in deadline.periods)


VOCABULARY = ["quý", "Quý", "IV", "V", "II,", "/", "2023", "23", "0000", "9999", "tháng", "13", "0", "trước", "ngày",
              "31/02", "29/2", "1/1/0001", "00/00/0000", "6 tháng", "đầu", "năm", "hàng", "định kỳ", ",", "và",
              "thường xuyên", "12/2023", "số", "146/KH-UBND", "-", ".", "99/99/9999", "trwdc"]


@given(st.one_of(st.text(max_size=40), st.lists(st.sampled_from(VOCABULARY), max_size=8).map(" ".join),
                 st.lists(st.sampled_from(VOCABULARY), max_size=8).map("".join)), years)
def test_arbitrary_text_raises_only_deadline_error(text, plan_year):
    try:
        deadline = parse_deadline(text, plan_year)
    except DeadlineError:
        return
    assert isinstance(deadline, Deadline)
    assert deadline.kind in {"date", "before_date", "month", "before_month", "quarter", "half_year", "year",
                             "continuous", "monthly", "quarterly", "half_yearly", "yearly"}
