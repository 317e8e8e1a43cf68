"""The daily scan: digests in the outbox, exactly once, escalations, stale units, catch-up, a year of time travel."""
from datetime import date, datetime, timedelta

import time_machine
from sqlalchemy import func, select, update

from models import Assignment, DayOverride, Notification, ReminderScan, UnitFlag, User
from tests.reminders_support import digest_of, make_assignments, section_ids
from tracker.clock import LOCAL_TZ
from tracker.services import notifications, reminders

DAY = date(2025, 3, 17)  # a Monday


def _people(make_user):
    return {"officer": make_user("unit_officer", "HG-STP"), "head": make_user("unit_head", "HG-STP"),
            "office": make_user("office", "HG-VPUB")}


def _no_email(db):
    db.session.execute(update(User).values(email_enabled=False))
    db.session.commit()


def test_digest_headline_items_and_links(db, make_user):
    people = _people(make_user)
    stp = people["officer"].unit_id
    ids = make_assignments(db, stp, [DAY + timedelta(days=7), DAY + timedelta(days=3), DAY + timedelta(days=1),
                                     DAY + timedelta(days=2), DAY - timedelta(days=3)])
    result = reminders.scan_day(DAY, on_batch=db.session.commit)
    db.session.commit()
    digest = digest_of(db, people["officer"].id, DAY)
    assert digest.payload["headline"] == "3 việc đến hạn trong 7 ngày, 1 việc quá hạn"
    assert digest.subject.startswith("Đôn Đốc 17/03/2025: 3 việc đến hạn trong 7 ngày")
    assert section_ids(digest, "due_soon") == {ids[0], ids[1], ids[2]}  # not the one due in 2 days
    assert section_ids(digest, "overdue") == {ids[4]}
    assert f"/assignments/{ids[4]}" in {i["url"] for s in digest.payload["sections"] for i in s["items"]}
    assert "quá hạn 3 ngày" in digest.body and "còn 7 ngày" in digest.body
    assert digest.email_state == "pending" and digest.email_to == people["officer"].email
    head = digest_of(db, people["head"].id, DAY)
    assert section_ids(head, "head") == {ids[4]} and section_ids(head, "due_soon", "overdue") == set()
    assert digest_of(db, people["office"].id, DAY) is None  # nothing 7 days late, nothing stale: no empty digest
    assert result.digests_written == 2 and result.assignments_seen == 4


def test_same_day_twice_writes_nothing_twice(db, make_user):
    people = _people(make_user)
    make_assignments(db, people["officer"].unit_id, [DAY, DAY - timedelta(days=7)])
    first = reminders.scan_day(DAY, on_batch=db.session.commit)
    second = reminders.scan_day(DAY, on_batch=db.session.commit)
    db.session.commit()
    # officer (due today) and office (7 days late); the head only hears on overdue days 3, 6, 9…
    assert first.digests_written == 2 and second.digests_written == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 2
    scan = db.session.scalar(select(ReminderScan).where(ReminderScan.day == DAY))
    assert scan.status == "done" and scan.runs == 2


def test_half_written_scan_is_completed_without_duplicates(db, make_user):
    units = [make_user("unit_officer", code) for code in ("HG-STP", "HG-SNV", "HG-STC", "HG-SYT")]
    for index, user in enumerate(units):
        make_assignments(db, user.unit_id, [DAY + timedelta(days=1)], code=f"KH-{index}")
    commits = []

    class Killed(Exception):
        pass

    def commit_then_die():
        db.session.commit()
        commits.append(1)
        if len(commits) == 2:  # after the first batch of digests is durable
            raise Killed

    try:
        reminders.scan_day(DAY, on_batch=commit_then_die, batch_size=2)
    except Killed:
        db.session.rollback()
    assert db.session.scalar(select(func.count(Notification.id))) == 2
    assert not reminders.scan_done(DAY)
    again = reminders.catch_up(DAY, on_batch=db.session.commit, batch_size=2)
    db.session.commit()
    assert [r.digests_written for r in again] == [2]
    per_user = db.session.execute(select(Notification.user_id, func.count()).group_by(Notification.user_id)).all()
    assert sorted(per_user) == sorted((u.id, 1) for u in units)


def test_office_gets_escalations_and_stale_units_weekly(db, make_user):
    people = _people(make_user)
    stp = people["officer"].unit_id
    with time_machine.travel(datetime(2025, 1, 2, 9, tzinfo=LOCAL_TZ), tick=False):
        ids = make_assignments(db, stp, [DAY - timedelta(days=7), DAY + timedelta(days=30)])
    reminders.scan_day(DAY, on_batch=db.session.commit)
    office = digest_of(db, people["office"].id, DAY)
    assert section_ids(office, "office") == {ids[0]}
    stale = next(s for s in office.payload["sections"] if s["key"] == "stale")
    assert "Sở Tư pháp: 2 việc không cập nhật từ 02/01/2025" in stale["items"][0]["label"]
    assert office.payload["headline"] == ("1 việc quá hạn trên 7 ngày cần lãnh đạo chỉ đạo, "
                                          "1 đơn vị không cập nhật tiến độ")
    # a week of silence is reported once a week, not daily
    for offset in range(1, 8):
        reminders.scan_day(DAY + timedelta(days=offset), on_batch=db.session.commit)
    flagged_days = db.session.scalars(select(UnitFlag.day).where(UnitFlag.unit_id == stp)).all()
    assert sorted(flagged_days) == [DAY, DAY + timedelta(days=7)]
    # an update clears the flag: the next week nothing is reported
    db.session.execute(update(Assignment).values(last_update_at=datetime(2025, 3, 25, 3, tzinfo=LOCAL_TZ)))
    db.session.commit()
    reminders.scan_day(DAY + timedelta(days=14), on_batch=db.session.commit)
    assert len(db.session.scalars(select(UnitFlag.day).where(UnitFlag.unit_id == stp)).all()) == 2


def test_submitted_and_confirmed_work_is_not_chased(db, make_user):
    people = _people(make_user)
    ids = make_assignments(db, people["officer"].unit_id, [DAY, DAY])
    db.session.execute(update(Assignment).where(Assignment.id == ids[0]).values(state="submitted"))
    db.session.execute(update(Assignment).where(Assignment.id == ids[1]).values(state="confirmed"))
    db.session.commit()
    result = reminders.scan_day(DAY, on_batch=db.session.commit)
    assert digest_of(db, people["officer"].id, DAY) is None and digest_of(db, people["head"].id, DAY) is None
    # the submitted work now waits for the office, whose digest lists it for confirmation
    office = digest_of(db, people["office"].id, DAY)
    assert [s["key"] for s in office.payload["sections"]] == ["awaiting"]
    assert section_ids(office, "awaiting") == {ids[0]}
    assert result.digests_total == 1


def test_extended_due_date_is_the_one_reminded(db, make_user):
    people = _people(make_user)
    ids = make_assignments(db, people["officer"].unit_id, [DAY - timedelta(days=3)])
    db.session.execute(update(Assignment).values(extended_due=DAY + timedelta(days=3)))
    db.session.commit()
    reminders.scan_day(DAY, on_batch=db.session.commit)
    digest = digest_of(db, people["officer"].id, DAY)
    assert section_ids(digest, "due_soon") == {ids[0]} and section_ids(digest, "overdue") == set()


def test_working_day_policy_is_quiet_on_days_off(db, make_user):
    people = _people(make_user)
    ids = make_assignments(db, people["officer"].unit_id, [date(2025, 5, 5)])  # Monday after 30/4–1/5 and a make-up
    office = people["office"]
    reminders.update_policy(office, {"working_days": True})
    reminders.add_day_override(office, date(2025, 5, 2), "off", "Nghỉ bù")
    db.session.commit()
    days_with_digest = []
    for offset in range(14):
        day = date(2025, 4, 24) + timedelta(days=offset)
        reminders.scan_day(day, on_batch=db.session.commit)
        if digest_of(db, people["officer"].id, day):
            days_with_digest.append(day)
    # working days before 05/05: 29/04 (3), 25/04 (1... no: see below)
    # counted back from Monday 05/05: 02/05 off, 01/05 and 30/04 holidays, 29/04 → 1 day, 28/04 → 2, 25/04 → 3
    assert days_with_digest == [date(2025, 4, 25), date(2025, 4, 29), date(2025, 5, 5)]
    assert section_ids(digest_of(db, people["officer"].id, date(2025, 4, 29)), "due_soon") == {ids[0]}


def test_digest_users_get_events_inside_the_digest(db, make_user):
    people = _people(make_user)
    officer = people["officer"]
    ids = make_assignments(db, officer.unit_id, [DAY + timedelta(days=30)])
    assignment = db.session.get(Assignment, ids[0])
    with time_machine.travel(datetime(2025, 3, 16, 15, tzinfo=LOCAL_TZ), tick=False):
        notifications.notify_assignments_created(assignment.plan_id)
        db.session.commit()
    event = db.session.scalar(select(Notification).where(Notification.user_id == officer.id,
                                                          Notification.kind == "assignment_created"))
    assert event.email_state == "wait"  # users choose digests by default
    reminders.scan_day(DAY, on_batch=db.session.commit)
    digest = digest_of(db, officer.id, DAY)
    assert digest.payload["headline"] == "1 thông báo mới" and digest.payload["events"] == [event.id]
    db.session.refresh(event)
    assert event.email_state == "bundled" and event.bundled_into_id == digest.id
    reminders.scan_day(DAY + timedelta(days=1), on_batch=db.session.commit)
    assert digest_of(db, officer.id, DAY + timedelta(days=1)) is None  # bundled once only


def test_catch_up_scans_missed_days_on_their_own_date(db, make_user):
    people = _people(make_user)
    _no_email(db)
    make_assignments(db, people["officer"].unit_id, [DAY + timedelta(days=1), DAY + timedelta(days=3)])
    reminders.scan_day(DAY - timedelta(days=2), on_batch=db.session.commit)
    results = reminders.catch_up(DAY + timedelta(days=1), on_batch=db.session.commit)
    db.session.commit()
    assert [r.day for r in results] == [DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)]
    days = db.session.scalars(select(Notification.day).where(Notification.user_id == people["officer"].id)
                              .order_by(Notification.day)).all()
    # 15/03: 18/03 is 3 days away; 17/03: one due tomorrow, one in 3 days; 18/03: due today
    assert days == [DAY - timedelta(days=2), DAY, DAY + timedelta(days=1)]
    assert reminders.catch_up(DAY + timedelta(days=1), on_batch=db.session.commit) == []


def test_a_whole_plan_year_every_promised_reminder_on_its_day(db, make_user):
    """Travel day by day through 2025 running the job at 07:05; compare with the policy written out by hand."""
    from jobs.reminders import daily_scan

    people = _people(make_user)
    _no_email(db)
    dues = [date(2025, 1, 24), date(2025, 1, 31), date(2025, 3, 31), date(2025, 6, 30), date(2025, 9, 2),
            date(2025, 11, 16), date(2025, 12, 31)]
    with time_machine.travel(datetime(2024, 12, 20, 8, tzinfo=LOCAL_TZ), tick=False):
        ids = make_assignments(db, people["officer"].unit_id, dues)
    confirmed_on = {ids[0]: date(2025, 2, 14)}  # the office confirms the first one 21 days late
    expected_unit, expected_head, expected_office = {}, {}, {}
    for assignment_id, due in zip(ids, dues, strict=True):
        stop = confirmed_on.get(assignment_id, date(2026, 1, 1))
        for n in (7, 3, 1, 0):
            expected_unit.setdefault(due - timedelta(days=n), set()).add(assignment_id)
        late = 1
        while due + timedelta(days=late) < min(stop, date(2026, 1, 1)):
            day = due + timedelta(days=late)
            if late % 3 == 0:
                expected_unit.setdefault(day, set()).add(assignment_id)
                expected_head.setdefault(day, set()).add(assignment_id)
            if late == 7 or (late > 7 and late % 3 == 0):
                expected_office.setdefault(day, set()).add(assignment_id)
            late += 1

    day = date(2025, 1, 1)
    got_unit, got_head, got_office = {}, {}, {}
    while day.year == 2025:
        with time_machine.travel(datetime(day.year, day.month, day.day, 7, 5, tzinfo=LOCAL_TZ), tick=False):
            if day in confirmed_on.values():
                db.session.execute(update(Assignment).where(Assignment.id == ids[0]).values(state="confirmed"))
                db.session.commit()
            daily_scan()
        for target, user, keys in ((got_unit, people["officer"], ("due_soon", "overdue")),
                                   (got_head, people["head"], ("head",)), (got_office, people["office"], ("office",))):
            found = section_ids(digest_of(db, user.id, day), *keys)
            if found:
                target[day] = found
        day += timedelta(days=1)
    in_year = lambda expected: {d: s for d, s in expected.items() if d.year == 2025}  # noqa: E731
    assert got_unit == in_year(expected_unit)
    assert got_head == in_year(expected_head)
    assert got_office == in_year(expected_office)
    assert db.session.scalar(select(func.count(ReminderScan.id)).where(ReminderScan.status == "done")) == 365


def test_cli_replays_a_day(runner, db, make_user):
    people = _people(make_user)
    _no_email(db)
    make_assignments(db, people["officer"].unit_id, [DAY + timedelta(days=3)])
    first = runner.invoke(args=["reminders", "run", "--date", "2025-03-17"])
    assert first.exit_code == 0, first.output
    assert "1 bản tin mới" in first.output
    again = runner.invoke(args=["reminders", "run", "--date", "2025-03-17"])
    assert "0 bản tin mới (tổng 1)" in again.output
    bad = runner.invoke(args=["reminders", "run", "--date", "17/03/2025"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_day_override_is_unique(db, make_user):
    office = make_user("office", "HG-VPUB")
    reminders.add_day_override(office, date(2025, 9, 1), "off", "Quốc khánh")
    try:
        reminders.add_day_override(office, date(2025, 9, 1), "work", "")
    except reminders.PolicyError as error:
        assert "01/09/2025" in str(error)
    else:
        raise AssertionError("a second override of the same day was accepted")
    assert db.session.scalar(select(func.count(DayOverride.id))) == 1
