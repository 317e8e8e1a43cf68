"""Pure reminder rules: which reminders fall on which day, working days, headlines, retries, catch-up."""
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.reminders import (
    BEFORE,
    DUE,
    HEAD,
    OFFICE,
    OVERDUE,
    UNIT,
    DigestCounts,
    Policy,
    WorkCalendar,
    days_to_scan,
    reminder_for,
    reminders_by_due_date,
    retry_delay,
)

CAL = WorkCalendar()


def _schedule(due: date, policy: Policy, calendar: WorkCalendar = CAL, before: int = 20, after: int = 20):
    days = {}
    for offset in range(-before, after + 1):
        day = due + timedelta(days=offset)
        reminder = reminder_for(due, day, policy, calendar)
        if reminder:
            days[day] = reminder
    return days


def test_default_policy_in_calendar_days():
    due = date(2025, 3, 20)
    got = _schedule(due, Policy())
    expected_unit = {due - timedelta(days=n) for n in (7, 3, 1)} | {due} | {due + timedelta(days=n)
                                                                         for n in (3, 6, 9, 12, 15, 18)}
    assert {d for d, r in got.items() if UNIT in r.audiences} == expected_unit
    # head: from 3 days overdue, on each overdue reminder; office: on day 7, then on each overdue reminder
    assert {(d - due).days for d, r in got.items() if HEAD in r.audiences} == {3, 6, 9, 12, 15, 18}
    assert {(d - due).days for d, r in got.items() if OFFICE in r.audiences} == {7, 9, 12, 15, 18}
    assert got[due - timedelta(days=3)] == reminder_for(due, date(2025, 3, 17), Policy(), CAL)
    assert got[due - timedelta(days=3)].kind == BEFORE and got[due - timedelta(days=3)].days == 3
    assert got[due].kind == DUE
    assert got[due + timedelta(days=7)].kind == OVERDUE and got[due + timedelta(days=7)].audiences == {OFFICE}


def test_policy_switches():
    due = date(2025, 6, 10)
    quiet = Policy(days_before=(5,), on_due_day=False, overdue_every=0, escalate_head_after=0,
                   escalate_office_after=0)
    assert set(_schedule(due, quiet)) == {date(2025, 6, 5)}


def test_tet_is_skipped_in_working_days():
    policy = Policy(working_days=True)
    due = date(2025, 2, 3)  # Monday after Tết At Ty (27/01–01/02 off)
    got = _schedule(due, policy, before=30)
    before = {r.days: d for d, r in got.items() if r.kind == BEFORE}
    assert before == {1: date(2025, 1, 24), 3: date(2025, 1, 22), 7: date(2025, 1, 16)}
    assert got[due].kind == DUE
    assert not any(date(2025, 1, 25) <= d <= date(2025, 2, 2) for d in got)


def test_due_on_a_sunday_is_reminded_on_the_friday_before():
    policy = Policy(working_days=True)
    due = date(2025, 3, 23)
    got = _schedule(due, policy)
    assert got[date(2025, 3, 21)].kind == DUE
    assert got[date(2025, 3, 20)] == reminder_for(due, date(2025, 3, 20), policy, CAL)
    assert got[date(2025, 3, 20)].days == 1
    assert got[date(2025, 3, 26)].kind == OVERDUE and got[date(2025, 3, 26)].days == 3  # Mon 1, Tue 2, Wed 3


def test_office_days_off_and_make_up_days():
    calendar = WorkCalendar(days_off={date(2025, 1, 2)}, make_up_days={date(2025, 4, 26)})
    assert calendar.is_working(date(2025, 4, 26))  # a Saturday made a working day
    assert not calendar.is_working(date(2025, 1, 2))
    assert not calendar.is_working(date(2025, 9, 2))  # National Day
    assert calendar.working_days_between(date(2025, 4, 25), date(2025, 4, 28)) == 2
    assert CAL.working_days_between(date(2025, 4, 25), date(2025, 4, 28)) == 1
    assert calendar.working_days_between(date(2024, 12, 31), date(2025, 1, 3)) == 1
    assert CAL.working_days_between(date(2025, 1, 3), date(2024, 12, 31)) == -2
    policy = Policy(working_days=True)
    assert reminder_for(date(2025, 4, 28), date(2025, 4, 26), policy, calendar).days == 1
    assert reminder_for(date(2025, 4, 28), date(2025, 4, 26), policy, CAL) is None


def test_working_days_across_years_match_a_day_by_day_count():
    start, end = date(2023, 11, 15), date(2025, 2, 10)
    by_hand = sum(CAL.is_working(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))
    assert CAL.working_days_between(start, end) == by_hand


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(2024, 1, 15), max_value=date(2026, 12, 1)), st.booleans())
def test_each_promised_reminder_falls_on_exactly_one_day(due, working):
    policy = Policy(working_days=working)
    got = _schedule(due, policy, before=25, after=0)
    before_days = sorted(r.days for r in got.values() if r.kind == BEFORE)
    assert before_days == [1, 3, 7]
    assert sum(r.kind == DUE for r in got.values()) == 1
    for day in got:
        assert not working or CAL.is_working(day)


def test_reminders_by_due_date_filters_distinct_dates():
    today = date(2025, 5, 12)
    dues = [today, today, today + timedelta(days=2), today + timedelta(days=3), today - timedelta(days=6)]
    found = reminders_by_due_date(dues, today, Policy(), CAL)
    assert set(found) == {today, today + timedelta(days=3), today - timedelta(days=6)}


def test_empty_digest():
    # the headline and timing words are rendered per reader: tests/test_i18n_messages.py
    assert DigestCounts().is_empty() and not DigestCounts(stale_units=1).is_empty()


def test_retry_delays_grow_then_give_up():
    delays = [retry_delay(n) for n in range(1, 7)]
    assert delays[:5] == sorted(delays[:5]) and delays[0] > 0
    assert delays[5] is None


def test_days_to_scan_catches_up():
    today = date(2025, 5, 12)
    assert days_to_scan(today, today) == []
    three_back = [today - timedelta(days=2), today - timedelta(days=1), today]
    assert days_to_scan(today - timedelta(days=3), today) == three_back
    assert days_to_scan(None, today) == [today]
    assert days_to_scan(date(2020, 1, 1), today, limit=2) == [today - timedelta(days=1), today]
