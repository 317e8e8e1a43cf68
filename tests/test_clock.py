"""Vietnam's date from one clock, whatever the server's zone (the product runs on UTC servers)."""
import os
import subprocess
from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import select

from models import Assignment, Notification
from tests.factories import make_plan
from tracker import clock
from tracker.domain.status import Status, compute_status
from tracker.services.assignments import update_progress


def test_today_is_vietnams_date_on_a_utc_server():
    # 23:30 UTC on 31/12 is already 06:30 on 1/1 in Vietnam
    with time_machine.travel(datetime(2024, 12, 31, 23, 30, tzinfo=UTC), tick=False):
        assert clock.today() == date(2025, 1, 1)
        assert clock.now().hour == 6
        assert clock.local_date(datetime(2024, 12, 31, 23, 30)) == date(2025, 1, 1)


def test_completion_at_6am_in_vietnam_the_day_after_the_deadline_is_late_on_a_utc_server(db, units, make_user):
    officer = make_user("unit_officer", "HG-STP")
    plan = make_plan(unit_ids=[units["HG-STP"].id], due=date(2023, 6, 30))
    assignment = db.session.scalar(select(Assignment).where(Assignment.plan_id == plan.id))
    # 06:00 on 01/07 in Vietnam is still 30/06 on a UTC server's clock
    with time_machine.travel(datetime(2023, 6, 30, 23, 0, tzinfo=UTC), tick=False):
        update_progress(officer, assignment, percent=100, note="Xong", expected_version=assignment.version,
                        evidence_number="12/BC-STP", submit=True)
        db.session.commit()
    assert assignment.completed_on == date(2023, 7, 1)
    assert compute_status("confirmed", assignment.due_at_completion, date(2023, 7, 2), assignment.completed_on,
                          True) == Status.DONE_LATE


def test_stored_timestamps_come_back_utc_aware(db, units, make_user):
    # SQLite keeps no zone: without the UTC column type the worker subtracted naive from aware and died
    user = make_user("unit_officer", "HG-STP")
    db.session.add(Notification(user_id=user.id, day=date(2025, 1, 1), kind="digest", ref="t", subject="s",
                                body="b", link="/", next_attempt_at=datetime(2025, 1, 1, 7, tzinfo=clock.LOCAL_TZ)))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(select(Notification.next_attempt_at))
    assert stored.tzinfo is not None
    assert stored == datetime(2025, 1, 1, 0, tzinfo=UTC)
    assert clock.utcnow() - stored  # no TypeError


def test_nothing_but_the_clock_module_reads_the_system_clock():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    pattern = r"date\.today\(\)|datetime\.now\(|datetime\.utcnow\(|time\.localtime"
    found = subprocess.run(["git", "grep", "-n", "-E", pattern, "--", "*.py", ":!tests/"],
                           capture_output=True, text=True, cwd=root).stdout.splitlines()
    assert [line for line in found if not line.startswith("tracker/clock.py:")] == []
