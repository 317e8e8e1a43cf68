"""A failed send under the worker: the job schedules its retry (it crashed on SQLite's naive timestamps before
UTCDateTime), and the office's deliveries page tells failed-and-waiting emails apart from never-tried ones."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from jobs import reminders as reminder_jobs
from models import Notification
from tests.factories import login
from tests.test_reminders_mail import _world
from tracker import jobs_queue
from tracker.domain.reminders import retry_delay

pytestmark = pytest.mark.smtp


@pytest.fixture()
def queued(monkeypatch):
    """What the jobs enqueue, instead of Redis: [(function, delay)] (no delivery is scheduled yet; the one-job rule
    is tested against a Redis of its own in test_jobs_processes.py)."""
    calls = []
    monkeypatch.setattr(reminder_jobs, "_delivery_scheduled_by", lambda at: False)

    def enqueue(path, *args, delay=None, **options):
        calls.append((path, delay))
        return "id"

    monkeypatch.setattr(jobs_queue, "enqueue", enqueue)
    return calls


def test_deliver_job_with_the_mail_server_down_schedules_the_retry(app, db, make_user, queued):
    """The sweep's path (deliver, then _schedule_retry) with nothing listening on MAIL_PORT."""
    _world(db, make_user)
    line = reminder_jobs.deliver()
    assert line == "Đã gửi 0 thư, 1 thư sẽ gửi lại, 0 thư lỗi"
    [(path, delay)] = queued
    assert path == "jobs.reminders.deliver"
    # the earliest waiting email: the two never tried are due now, so the retry job comes within a second
    assert timedelta(0) < delay <= timedelta(seconds=1)


def test_deliver_job_waits_for_the_backoff_of_the_only_failed_send(app, db, make_user, queued):
    _world(db, make_user)
    reminder_jobs.deliver()
    reminder_jobs.deliver()  # each round spends one try on the first waiting email and stops
    queued.clear()
    assert reminder_jobs.deliver() == "Đã gửi 0 thư, 1 thư sẽ gửi lại, 0 thư lỗi"  # the last one fails too
    [(_path, delay)] = queued  # the next try is the first failed email's, after its backoff
    backoff = timedelta(seconds=retry_delay(1))
    assert backoff - timedelta(seconds=30) < delay <= backoff


def _kpi(page: str, label: str) -> int:
    found = re.search(rf"<span>{re.escape(label)}</span><b>(\d+)</b>", page)
    assert found, f"no «{label}» on the page"
    return int(found.group(1))


def test_deliveries_page_shows_failed_sends_waiting_for_retry_with_their_reason(app, db, make_user, client, queued):
    _world(db, make_user)
    reminder_jobs.deliver()  # the SMTP server is down: one try spent, the round stops
    office = make_user("office", "HG-VPUB")
    login(client, office)
    page = client.get("/reminders/deliveries").get_data(as_text=True)
    assert _kpi(page, "Đã gửi") == 0
    assert _kpi(page, "Gửi lỗi, chờ gửi lại") == 1
    assert _kpi(page, "Chờ gửi lần đầu") == 2
    assert _kpi(page, "Gửi lỗi hẳn") == 0
    retrying = db.session.scalar(select(Notification).where(Notification.email_attempts == 1))
    section = page[page.index("Thư gửi lỗi đang chờ gửi lại"):page.index("Thư gửi lỗi hẳn")]
    assert retrying.email_to in section and "ConnectionRefusedError" in section
    assert "Lần thử tiếp theo" in section
