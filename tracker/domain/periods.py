"""Scoring periods from their Vietnamese labels: years, half-years, quarters, months, ISO weeks and dated portal
snapshots. Pure.

Canonical labels (what is stored in Period.label): "2024", "6 tháng đầu năm 2024" / "6 tháng cuối năm 2024",
"Q2/2024", "Tháng 03/2024", "Tuần 07/2024" (ISO 8601 week: Monday to Sunday, the week's year is the ISO year, so
"Tuần 01/2025" starts on Monday 30/12/2024) and "11:00 08/07/2024".
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tracker.domain.textnorm import fold

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_YEAR = re.compile(r"^(?:nam\s*)?(\d{4})$")
_QUARTER = re.compile(r"^(?:q|quy)\s*(i{1,3}|iv|[1-4])\s*[/\-.\s]\s*(\d{4})$")
_QUARTER_ISO = re.compile(r"^(\d{4})\s*-\s*q([1-4])$")
_MONTH = re.compile(r"^(?:t|thang)?\s*(\d{1,2})\s*[/\-.]\s*(\d{4})$")
_MONTH_ISO = re.compile(r"^(\d{4})-(\d{1,2})$")
_HALF = re.compile(r"^(?:h|6\s*t|6\s*thang|nua)\s*(dau|cuoi|1|2)\s*(?:nam\s*)?[/\-.\s]?\s*(\d{4})$")
_HALF_ISO = re.compile(r"^(\d{4})\s*-\s*h([12])$")
_HALF_ANY = re.compile(r"^(?:h\s*(\d+)\s*[/\-.\s]\s*\d{4}|\d{4}\s*-\s*h(\d+))$")
_WEEK = re.compile(r"^(?:tuan|w)\s*(\d{1,2})\s*(?:[/\-.]|\s|\s*nam\s*)\s*(\d{4})$")
_WEEK_ISO = re.compile(r"^(\d{4})\s*-?\s*w(\d{1,2})$")
_SNAPSHOT = re.compile(r"^(\d{1,2})[:h](\d{2})\s*(?:,|ngay)?\s*(\d{1,2})/(\d{1,2})/(\d{4})$")


class PeriodError(ValueError):
    """A period label that cannot be read; the message is Vietnamese and names the label."""


@dataclass(frozen=True)
class PeriodSpec:
    """A period as plain values: kind, canonical label, the days it covers, and the snapshot moment."""

    kind: str
    label: str
    year: int
    start: date
    end: date
    at: datetime | None = None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def year_period(year: int) -> PeriodSpec:
    """The calendar year."""
    return PeriodSpec("year", str(year), year, date(year, 1, 1), date(year, 12, 31))


def quarter_period(year: int, quarter: int) -> PeriodSpec:
    """Quarter 1–4 of a year, labelled "Q2/2024"."""
    if not 1 <= quarter <= 4:
        raise PeriodError(f"Quý {quarter} không hợp lệ (chỉ có quý 1 đến 4)")
    first = 3 * (quarter - 1) + 1
    return PeriodSpec("quarter", f"Q{quarter}/{year}", year, date(year, first, 1), _month_end(year, first + 2))


def month_period(year: int, month: int) -> PeriodSpec:
    """A month, labelled "Tháng 10/2025"."""
    if not 1 <= month <= 12:
        raise PeriodError(f"Tháng {month} không hợp lệ")
    return PeriodSpec("month", f"Tháng {month:02d}/{year}", year, date(year, month, 1), _month_end(year, month))


def half_period(year: int, half: int) -> PeriodSpec:
    """The first (1) or second (2) half of a year, labelled "6 tháng đầu năm 2024" / "6 tháng cuối năm 2024"."""
    if half not in (1, 2):
        raise PeriodError(f"Nửa năm H{half}/{year} không hợp lệ (chỉ có H1: 6 tháng đầu năm, H2: 6 tháng cuối năm)")
    if half == 1:
        return PeriodSpec("half", f"6 tháng đầu năm {year}", year, date(year, 1, 1), date(year, 6, 30))
    return PeriodSpec("half", f"6 tháng cuối năm {year}", year, date(year, 7, 1), date(year, 12, 31))


def weeks_in_year(year: int) -> int:
    """How many ISO weeks the ISO year has: 53 when 28 December falls in week 53, else 52."""
    return date(year, 12, 28).isocalendar().week


def week_period(year: int, week: int) -> PeriodSpec:
    """ISO week 1–52 (or 53) of an ISO year, Monday to Sunday, labelled "Tuần 07/2024"."""
    weeks = weeks_in_year(year)
    if not 1 <= week <= weeks:
        raise PeriodError(f"Tuần {week}/{year} không hợp lệ (năm {year} có các tuần 1 đến {weeks} theo ISO 8601)")
    start = date.fromisocalendar(year, week, 1)
    return PeriodSpec("week", f"Tuần {week:02d}/{year}", year, start, date.fromisocalendar(year, week, 7))


def snapshot_period(at: datetime) -> PeriodSpec:
    """A snapshot of the portal at a moment, labelled "11:00 08/07/2024"."""
    return PeriodSpec("snapshot", f"{at:%H:%M %d/%m/%Y}", at.year, at.date(), at.date(), at)


def parse_period(text: str) -> PeriodSpec:
    """Read "2024", "Năm 2024", "6 tháng đầu năm 2024", "6 tháng cuối năm 2024", "H1/2024", "2024-H2",
    "Q2/2024", "Quý II/2024", "2024-Q2", "Tháng 3/2024", "T03/2024", "03/2024", "2024-03", "Tuần 27/2024",
    "W27/2024", "2024-W27" or "11:00 08/07/2024" (also "11h00 ngày 08/07/2024"); PeriodError otherwise.
    """
    key = re.sub(r"\s+", " ", fold(text or "")).strip()
    if not key:
        raise PeriodError("Chưa nhập kỳ đánh giá (ví dụ: 2024, Q2/2024, Tháng 10/2025, Tuần 27/2024, "
                         "11:00 08/07/2024)")
    try:
        if match := _YEAR.match(key):
            return year_period(int(match.group(1)))
        if match := _HALF.match(key):
            raw = match.group(1)
            return half_period(int(match.group(2)), {"dau": 1, "cuoi": 2}.get(raw) or int(raw))
        if match := _HALF_ISO.match(key):
            return half_period(int(match.group(1)), int(match.group(2)))
        if match := _HALF_ANY.match(key):  # H3/2024, 2024-H0: name the label
            raise PeriodError(f"Kỳ đánh giá '{text}': nửa năm chỉ có H1 (6 tháng đầu năm) và H2 (6 tháng cuối năm)")
        if match := _WEEK.match(key):
            return _week(text, int(match.group(2)), int(match.group(1)))
        if match := _WEEK_ISO.match(key):
            return _week(text, int(match.group(1)), int(match.group(2)))
        if match := _QUARTER.match(key):
            raw = match.group(1)
            quarter = int(raw) if raw.isdigit() else _ROMAN[raw]
            return quarter_period(int(match.group(2)), quarter)
        if match := _QUARTER_ISO.match(key):
            return quarter_period(int(match.group(1)), int(match.group(2)))
        if match := _MONTH_ISO.match(key):
            return month_period(int(match.group(1)), int(match.group(2)))
        if match := _MONTH.match(key):
            return month_period(int(match.group(2)), int(match.group(1)))
        if match := _SNAPSHOT.match(key):
            hour, minute, day, month, year = (int(part) for part in match.groups())
            return snapshot_period(datetime(year, month, day, hour, minute))
    except ValueError as error:  # datetime refuses 31/02, 25:00 …
        if isinstance(error, PeriodError):
            raise
        raise PeriodError(f"Kỳ đánh giá '{text}': ngày giờ không hợp lệ") from None
    raise PeriodError(f"Không đọc được kỳ đánh giá '{text}' (ví dụ: 2024, 6 tháng đầu năm 2024, "
                      "Q2/2024, Tháng 10/2025, Tuần 27/2024, 11:00 08/07/2024)")


def _week(text: str, year: int, week: int) -> PeriodSpec:
    """The week, or PeriodError naming the label as typed ("Tuần 54/2024", "Tuần 0/2024")."""
    weeks = weeks_in_year(year)
    if not 1 <= week <= weeks:
        raise PeriodError(f"Kỳ đánh giá '{text.strip()}': tuần {week} không hợp lệ (năm {year} có các tuần 1 đến "
                          f"{weeks} theo ISO 8601)")
    return week_period(year, week)


def previous_period(spec: PeriodSpec) -> PeriodSpec | None:
    """The period of the same kind just before (year → year − 1, Q1 → Q4 of the year before, H1 → H2 of the year
    before, week 1 → the last ISO week, 52 or 53, of the ISO year before); None for snapshots."""
    if spec.kind == "year":
        return year_period(spec.year - 1)
    if spec.kind == "half":
        return half_period(spec.year - 1, 2) if spec.start.month == 1 else half_period(spec.year, 1)
    if spec.kind == "week":
        before = (spec.start - timedelta(days=7)).isocalendar()
        return week_period(before.year, before.week)
    if spec.kind == "quarter":
        quarter = (spec.start.month - 1) // 3 + 1
        return quarter_period(spec.year - 1, 4) if quarter == 1 else quarter_period(spec.year, quarter - 1)
    if spec.kind == "month":
        month = spec.start.month
        return month_period(spec.year - 1, 12) if month == 1 else month_period(spec.year, month - 1)
    return None
