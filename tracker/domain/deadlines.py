"""Deadline wording of plans and directives ("Quý IV/2023", "Trước ngày 01/4/2023", "Thường xuyên") → due dates."""
import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from .formatting import checked_date
from .textnorm import clean, fold

ROMAN_QUARTERS = {1: "I", 2: "II", 3: "III", 4: "IV"}
_QUARTER_NUMERALS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_MIN_YEAR, _MAX_YEAR = 1900, 2999

RECURRING_KINDS = frozenset({"continuous", "monthly", "quarterly", "half_yearly", "yearly"})


class DeadlineError(ValueError):
    """A deadline text that cannot be understood or names an impossible date (message in Vietnamese)."""


@dataclass(frozen=True)
class Period:
    """One reporting period of a recurring deadline; due is its last day."""

    label: str
    start: date
    end: date
    due: date


@dataclass(frozen=True)
class Deadline:
    """A parsed deadline: the original wording, its kind, the final due date and, if recurring, its periods."""

    text: str
    #: date, before_date, month, before_month, quarter, half_year, year, or one of RECURRING_KINDS
    kind: str
    due: date
    periods: tuple[Period, ...] = ()

    @property
    def recurring(self) -> bool:
        """Whether the deadline repeats over the year (reported period by period)."""
        return self.kind in RECURRING_KINDS


# OCR of file 004 mangles "trước" into "trwdc", "trude", "truée"…; "trên"/"trong" are other words.
_BEFORE = r"(?:\b(?!tren\b|trong\b)tr[a-z]{2,3}\s+(?:ngay\s+)?)"
_BEFORE_AT_END = re.compile(_BEFORE + r"$")
_YEAR = r"(\d+)"
_FULL_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d+)(?![\d/])")
_LONG_DATE = re.compile(r"\bngay\s+(\d{1,2})\s+thang\s+(\d{1,2})(?:\s*(?:,\s*)?nam\s+(\d+))?")
# a document reference just before a date ("Kế hoạch số 146/KH-UBND ngày 31/7/2024") is not a deadline
_REFERENCE_AT_END = re.compile(r"\d+/[a-z0-9-]*[a-z][a-z0-9-]*\s+ngay\s*$")
_SHORT_DATE = re.compile(r"(?<![\d/.])(\d{1,2})/(\d{1,2})(?![\d/])")
_QUARTER_NUMERAL = r"(?:iv|i{1,3}|[1-4])(?![a-z0-9])"
_QUARTERS = re.compile(
    r"\bquy\s+(" + _QUARTER_NUMERAL + r"(?:\s*(?:,|va|-|&)\s*(?:quy\s+)?" + _QUARTER_NUMERAL + r")*)"
    r"(?:\s*(?:/|nam)\s*" + _YEAR + r")?"
)
_BAD_QUARTER = re.compile(r"\bquy\s+(\d+|[ivx]+)\s*(?:/|nam\b)")
_MONTH = re.compile(r"(" + _BEFORE + r")?\bthang\s+(\d{1,2})(?!\d)(?:\s*(?:/|nam)\s*" + _YEAR + r")?")
_HALF_YEAR = re.compile(r"\b(?:6|sau)\s+thang\s+(dau|cuoi)\s+nam(?:\s+" + _YEAR + r")?")
_YEAR_ONLY = re.compile(r"^(?:(?:trong|ca|het)\s+)?nam(?:\s+" + _YEAR + r")?$|\bnam\s+(\d{4})\b")
_ANY_YEAR = re.compile(r"(?:\bnam\s+|/)(\d{4})\b")
_RECURRING = (
    ("monthly", re.compile(r"\b(?:hang|moi)\s+thang\b|\bdinh ky\s+(?:hang\s+)?thang\b")),
    ("quarterly", re.compile(r"\b(?:hang|moi)\s+quy\b|\bdinh ky\s+(?:hang\s+)?quy\b")),
    ("half_yearly", re.compile(
        r"\b(?:dinh ky|hang|moi)\s+(?:6|sau)\s+thang\b|\b(?:6|sau)\s+thang\s*(?:,|va|/|-)\s*(?:ca\s+)?nam\b"
        r"|\bnua nam\b"
    )),
    ("yearly", re.compile(r"\b(?:hang|moi)\s+nam\b|\bdinh ky\s+(?:hang\s+)?nam\b")),
    ("continuous", re.compile(r"\bthuong xuyen\b|\blien tuc\b")),
)


def _check_year(digits: str | None, default: int, original: str) -> int:
    if digits is None:
        return default
    if len(digits) != 4:
        raise DeadlineError(f"Năm «{digits}» trong thời hạn «{original}» phải có đủ 4 chữ số")
    year = int(digits)
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise DeadlineError(f"Năm {year} trong thời hạn «{original}» không hợp lệ")
    return year


def _make_date(day: int, month: int, year: int) -> date:
    try:
        return checked_date(day, month, year)
    except ValueError as error:
        raise DeadlineError(str(error)) from None


def month_end(year: int, month: int) -> date:
    """Last day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def month_period(year: int, month: int) -> Period:
    """The period of one month, labelled "Tháng 3/2023"."""
    end = month_end(year, month)
    return Period(f"Tháng {month}/{year}", date(year, month, 1), end, end)


def quarter_period(year: int, quarter: int) -> Period:
    """The period of one quarter, labelled "Quý II/2023"."""
    end = month_end(year, quarter * 3)
    return Period(f"Quý {ROMAN_QUARTERS[quarter]}/{year}", date(year, quarter * 3 - 2, 1), end, end)


def half_year_period(year: int, second: bool) -> Period:
    """The first or second half of a year, labelled "6 tháng đầu năm 2023" / "6 tháng cuối năm 2023"."""
    if second:
        return Period(f"6 tháng cuối năm {year}", date(year, 7, 1), date(year, 12, 31), date(year, 12, 31))
    return Period(f"6 tháng đầu năm {year}", date(year, 1, 1), date(year, 6, 30), date(year, 6, 30))


def year_period(year: int) -> Period:
    """The whole year, labelled "Năm 2023"."""
    return Period(f"Năm {year}", date(year, 1, 1), date(year, 12, 31), date(year, 12, 31))


def _is_before(prefix: str) -> bool:
    return bool(_BEFORE_AT_END.search(prefix))


def _explicit_date(folded: str, year: int, original: str) -> tuple[str, date] | None:
    """The deadline date written in full, preferring one introduced by "trước"; reference dates are skipped."""
    candidates: list[tuple[bool, int, int, int]] = []  # (before?, day, month, year)
    for match in _FULL_DATE.finditer(folded):
        prefix = folded[: match.start()]
        if _REFERENCE_AT_END.search(prefix):
            continue
        day, month = int(match.group(1)), int(match.group(3))
        candidates.append((_is_before(prefix), day, month, _check_year(match.group(4), year, original)))
    for match in _LONG_DATE.finditer(folded):
        prefix = folded[: match.start()]
        if _REFERENCE_AT_END.search(prefix + "ngay "):
            continue
        day, month = int(match.group(1)), int(match.group(2))
        candidates.append((_is_before(prefix + " "), day, month, _check_year(match.group(3), year, original)))
    if not candidates:
        return None
    befores = [candidate for candidate in candidates if candidate[0]]
    before, day, month, found_year = befores[0] if befores else candidates[-1]
    return ("before_date" if before else "date"), _make_date(day, month, found_year)


def _quarters(folded: str, year: int, original: str) -> date | None:
    for bad in _BAD_QUARTER.finditer(folded):
        if bad.group(1) not in _QUARTER_NUMERALS:
            quarter = bad.group(1).upper()
            raise DeadlineError(f"Quý {quarter} trong thời hạn «{original}» không tồn tại (chỉ có quý I–IV)")
    ends: list[date] = []
    for match in _QUARTERS.finditer(folded):
        found_year = _check_year(match.group(2), year, original)
        numerals = re.findall(r"iv|i{1,3}|[1-4]", re.sub(r"\bquy\b|\bva\b", " ", match.group(1)))
        ends.extend(quarter_period(found_year, _QUARTER_NUMERALS[numeral]).due for numeral in numerals)
    return max(ends) if ends else None


def _months(folded: str, year: int, original: str) -> tuple[str, date] | None:
    matches = list(_MONTH.finditer(folded))
    if not matches:
        return None
    last = matches[-1]
    month = int(last.group(2))
    if not 1 <= month <= 12:
        raise DeadlineError(f"Tháng {month} trong thời hạn «{original}» không tồn tại")
    found_year = _check_year(last.group(3), year, original)
    if last.group(1):
        # "Trước tháng 11/2023": the work must be done by the last day of October
        return "before_month", date(found_year, month, 1) - timedelta(days=1)
    return "month", month_end(found_year, month)


def _short_date(folded: str, year: int) -> tuple[str, date] | None:
    match = _SHORT_DATE.search(folded)
    if not match:
        return None
    kind = "before_date" if _is_before(folded[: match.start()]) else "date"
    return kind, _make_date(int(match.group(1)), int(match.group(2)), year)


def _recurring(kind: str, year: int) -> tuple[Period, ...]:
    if kind == "monthly":
        return tuple(month_period(year, month) for month in range(1, 13))
    if kind in ("quarterly", "continuous"):
        # continuous work is reported quarterly
        return tuple(quarter_period(year, quarter) for quarter in range(1, 5))
    if kind == "half_yearly":
        return half_year_period(year, False), half_year_period(year, True)
    return (year_period(year),)


def parse_deadline(text: str, year: int) -> Deadline:
    """Parse a Vietnamese deadline cell or sentence; `year` (the plan's year) fills in a missing year.

    "Trước ngày 01/4/2023" is due on 01/4/2023 itself (the date the document names; kind before_date keeps the
    nuance); "Trước tháng 11/2023" is due 31/10/2023; periods are due on their last day.
    """
    original = clean(text)
    if not original:
        raise DeadlineError("Chưa có thời hạn")
    if not isinstance(year, int) or not _MIN_YEAR <= year <= _MAX_YEAR:
        raise DeadlineError(f"Năm kế hoạch «{year}» không hợp lệ")
    folded = fold(original)

    found = _explicit_date(folded, year, original)
    if found:
        return Deadline(original, found[0], found[1])
    quarter_due = _quarters(folded, year, original)
    if quarter_due:
        return Deadline(original, "quarter", quarter_due)
    found = _months(folded, year, original) or _short_date(folded, year)
    if found:
        return Deadline(original, found[0], found[1])
    half = _HALF_YEAR.search(folded)
    if half:
        period = half_year_period(_check_year(half.group(2), year, original), half.group(1) == "cuoi")
        return Deadline(original, "half_year", period.due)
    for kind, pattern in _RECURRING:
        if pattern.search(folded):
            any_year = _ANY_YEAR.search(folded)
            periods = _recurring(kind, _check_year(any_year.group(1) if any_year else None, year, original))
            return Deadline(original, kind, periods[-1].due, periods)
    whole_year = _YEAR_ONLY.search(folded)
    if whole_year:
        digits = whole_year.group(1) or whole_year.group(2)
        return Deadline(original, "year", year_period(_check_year(digits, year, original)).due)
    raise DeadlineError(f"Không hiểu thời hạn «{original}»")
