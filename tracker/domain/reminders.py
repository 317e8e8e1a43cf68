"""Which reminders the office's policy promises on a given day, counted in calendar or working days.

Pure rules: no Flask, no database. The daily scan asks `reminder_for(due, today, …)` once per distinct
due date, never once per assignment, so the cost does not grow with the number of assignments.
"""
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays as holidays_lib

#: audiences of a reminder
UNIT, HEAD, OFFICE = "unit", "head", "office"
#: kinds of reminder
BEFORE, DUE, OVERDUE = "before", "due", "overdue"
#: mail retry delays in seconds after the 1st, 2nd, … failure; after the last one the send is given up
RETRY_DELAYS = (60, 300, 900, 3600, 4 * 3600)
#: a missed scan older than this is not caught up (reminders about a past week help nobody)
CATCH_UP_DAYS = 7


@dataclass(frozen=True)
class Policy:
    """The office's reminder policy (defaults from the issue)."""

    days_before: tuple[int, ...] = (7, 3, 1)
    on_due_day: bool = True
    overdue_every: int = 3
    escalate_head_after: int = 3
    escalate_office_after: int = 7
    working_days: bool = False
    stale_after_days: int = 30

    @property
    def horizon(self) -> int:
        """How far ahead the earliest reminder looks (the "7" of "đến hạn trong 7 ngày")."""
        return max(self.days_before, default=0)


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    # The package knows Tết (several days) and the government's substitute days off it has been told about.
    return frozenset(holidays_lib.country_holidays("VN", years=year).keys())


@dataclass
class WorkCalendar:
    """Working days: Monday–Friday minus Vietnam's public holidays and office days off, plus make-up days."""

    days_off: frozenset[date] = field(default_factory=frozenset)
    make_up_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        self.days_off = frozenset(self.days_off)
        self.make_up_days = frozenset(self.make_up_days)
        self._prefix: dict[int, list[int]] = {}

    def is_working(self, day: date) -> bool:
        """Whether officials work that day."""
        if day in self.make_up_days:
            return True
        if day in self.days_off or day.weekday() >= 5:
            return False
        return day not in _public_holidays(day.year)

    def _year_prefix(self, year: int) -> list[int]:
        # prefix[i] = working days from 1 January up to and including day i of the year (0-based)
        prefix = self._prefix.get(year)
        if prefix is None:
            prefix, total, day = [], 0, date(year, 1, 1)
            while day.year == year:
                total += self.is_working(day)
                prefix.append(total)
                day += timedelta(days=1)
            self._prefix[year] = prefix
        return prefix

    def _position(self, day: date) -> int:
        return self._year_prefix(day.year)[day.timetuple().tm_yday - 1]

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d ≤ end (negative when end is before start)."""
        if end < start:
            return -self.working_days_between(end, start)
        whole_years = sum(self._year_prefix(year)[-1] for year in range(start.year, end.year))
        return whole_years + self._position(end) - self._position(start)


def days_between(start: date, end: date, policy: Policy, calendar: WorkCalendar) -> int:
    """Days d with start < d ≤ end, in the policy's unit (calendar or working days)."""
    if policy.working_days:
        return calendar.working_days_between(start, end)
    return (end - start).days


@dataclass(frozen=True)
class Reminder:
    """What is owed to whom today about one due date."""

    kind: str
    #: days before the due date (BEFORE), 0 (DUE) or days overdue (OVERDUE), in the policy's unit
    days: int
    audiences: frozenset[str]


def sends_on(today: date, policy: Policy, calendar: WorkCalendar) -> bool:
    """Whether reminders go out at all today (working-day policies stay quiet on days off)."""
    return not policy.working_days or calendar.is_working(today)


def reminder_for(due: date, today: date, policy: Policy, calendar: WorkCalendar) -> Reminder | None:
    """The reminder the policy promises today for something due on `due`, or None."""
    if not sends_on(today, policy, calendar):
        return None
    if today <= due:
        # In working days a due date on a day off is reminded on the last working day before it.
        ahead = days_between(today, due, policy, calendar)
        if ahead == 0:
            return Reminder(DUE, 0, frozenset({UNIT})) if policy.on_due_day else None
        if ahead in policy.days_before:
            return Reminder(BEFORE, ahead, frozenset({UNIT}))
        return None
    late = days_between(due, today, policy, calendar)
    cadence = policy.overdue_every > 0 and late % policy.overdue_every == 0
    audiences = set()
    if cadence:
        audiences.add(UNIT)
    for audience, after in ((HEAD, policy.escalate_head_after), (OFFICE, policy.escalate_office_after)):
        # escalate on the day the threshold is crossed, then on every overdue reminder after it
        if after > 0 and (late == after or (late > after and cadence)):
            audiences.add(audience)
    return Reminder(OVERDUE, late, frozenset(audiences)) if audiences else None


def reminders_by_due_date(due_dates: Iterable[date], today: date, policy: Policy,
                          calendar: WorkCalendar) -> dict[date, Reminder]:
    """Among the given due dates, those that get a reminder today, with it."""
    found = {}
    for due in set(due_dates):
        reminder = reminder_for(due, today, policy, calendar)
        if reminder is not None:
            found[due] = reminder
    return found


@dataclass
class DigestCounts:
    """What one recipient's digest holds."""

    due_soon: int = 0
    overdue: int = 0
    escalated: int = 0
    stale_units: int = 0
    events: int = 0
    horizon: int = 7
    escalated_after: int = 0
    #: the office's decisions waiting: completions to confirm or return, extension requests to decide
    awaiting_confirmation: int = 0
    pending_extensions: int = 0

    def is_empty(self) -> bool:
        """An empty digest is never sent."""
        return not (self.due_soon or self.overdue or self.escalated or self.stale_units or self.events
                    or self.awaiting_confirmation or self.pending_extensions)


def retry_delay(attempts: int) -> int | None:
    """Seconds before the next try after `attempts` failures; None means give up."""
    if attempts < 1:
        return 0
    return RETRY_DELAYS[attempts - 1] if attempts <= len(RETRY_DELAYS) else None


def days_to_scan(last_done: date | None, today: date, limit: int = CATCH_UP_DAYS) -> list[date]:
    """Days a catch-up must scan, oldest first: those after the last finished scan, at most `limit` back."""
    if last_done is None:  # a fresh install starts today; it does not invent last week's reminders
        return [today]
    first = today - timedelta(days=limit - 1)
    first = max(first, last_done + timedelta(days=1))
    return [first + timedelta(days=i) for i in range((today - first).days + 1)]
