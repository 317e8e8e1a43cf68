"""The one clock. Every date the product judges (today, overdue, completed on, the scan day) is Vietnam's;
stored timestamps are UTC-aware. Nothing else reads the system clock, so a server on UTC (or anywhere)
judges work exactly as an office in Vietnam does, and tests travel in time through one place.
"""
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

#: Vietnam's zone: no daylight saving, UTC+7 all year
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC (what timestamps store)."""
    return datetime.now(UTC)


def now() -> datetime:
    """Now in Vietnam, timezone-aware."""
    return datetime.now(LOCAL_TZ)


def today() -> date:
    """Today's date in Vietnam, whatever the server's zone."""
    return now().date()


def local_date(moment: datetime) -> date:
    """The Vietnamese calendar day of a stored timestamp (naive values are taken as UTC)."""
    return as_utc(moment).astimezone(LOCAL_TZ).date()


def start_of_day(day: date) -> datetime:
    """Midnight of a Vietnamese day, as an aware UTC timestamp."""
    return datetime.combine(day, time(0), LOCAL_TZ).astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC timestamp; a naive one (SQLite drops the zone) is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
