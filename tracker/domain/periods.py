"""Scoring periods from their Vietnamese labels: years, quarters, months and dated portal snapshots. Pure."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

from tracker.domain.textnorm import fold

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_YEAR = re.compile(r"^(?:nam\s*)?(\d{4})$")
_QUARTER = re.compile(r"^(?:q|quy)\s*(i{1,3}|iv|[1-4])\s*[/\-.\s]\s*(\d{4})$")
_QUARTER_ISO = re.compile(r"^(\d{4})\s*-\s*q([1-4])$")
_MONTH = re.compile(r"^(?:t|thang)?\s*(\d{1,2})\s*[/\-.]\s*(\d{4})$")
_MONTH_ISO = re.compile(r"^(\d{4})-(\d{1,2})$")
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


def snapshot_period(at: datetime) -> PeriodSpec:
    """A snapshot of the portal at a moment, labelled "11:00 08/07/2024"."""
    return PeriodSpec("snapshot", f"{at:%H:%M %d/%m/%Y}", at.year, at.date(), at.date(), at)


def parse_period(text: str) -> PeriodSpec:
    """Read "2024", "Năm 2024", "Q2/2024", "Quý II/2024", "2024-Q2", "Tháng 3/2024", "T03/2024", "03/2024",
    "2024-03" or "11:00 08/07/2024" (also "11h00 ngày 08/07/2024"); PeriodError otherwise.
    """
    key = re.sub(r"\s+", " ", fold(text or "")).strip()
    if not key:
        raise PeriodError("Chưa nhập kỳ đánh giá (ví dụ: 2024, Q2/2024, Tháng 10/2025, 11:00 08/07/2024)")
    try:
        if match := _YEAR.match(key):
            return year_period(int(match.group(1)))
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
    raise PeriodError(f"Không đọc được kỳ đánh giá '{text}' (ví dụ: 2024, Q2/2024, Tháng 10/2025, "
                      "11:00 08/07/2024)")


def previous_period(spec: PeriodSpec) -> PeriodSpec | None:
    """The period of the same kind just before (year → year − 1, Q1 → Q4 of the year before); None for snapshots."""
    if spec.kind == "year":
        return year_period(spec.year - 1)
    if spec.kind == "quarter":
        quarter = (spec.start.month - 1) // 3 + 1
        return quarter_period(spec.year - 1, 4) if quarter == 1 else quarter_period(spec.year, quarter - 1)
    if spec.kind == "month":
        month = spec.start.month
        return month_period(spec.year - 1, 12) if month == 1 else month_period(spec.year, month - 1)
    return None
