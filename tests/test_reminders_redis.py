"""Reminders through the real Redis on this machine: the queue, Redis down, two crons, a worker killed mid-scan."""
import fcntl
import os
import signal
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
from rq import Queue, SimpleWorker
from sqlalchemy import func, select, update

from models import Assignment, Notification, ReminderScan, User
from tests.factories import login
from tests.reminders_support import make_assignments
from tests.test_reminders_mail import Mailbox, smtp_server  # noqa: F401  (fixture)
from tracker import clock
from tracker.clock import LOCAL_TZ
from tracker.jobs_queue import QUEUE_NAME, enqueue
from tracker.services import notifications, reminders

REDIS_URL = os.environ.get("TEST_REMINDERS_REDIS_URL", "redis://127.0.0.1:6379/14")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def real_redis(app, monkeypatch):
    """The app pointed at a dedicated, emptied Redis database, held by one test at a time.

    xdist spreads these tests over workers; each empties the database, so without the lock one test's
    flush emptied another's queue mid-run.
    """
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError:
        pytest.skip("no Redis server at " + REDIS_URL)
    with open(Path(tempfile.gettempdir()) / "dondoc-test-redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        connection.flushdb()
        monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
        app.extensions.pop("dondoc_redis", None)
        yield connection
        app.extensions.pop("dondoc_redis", None)
        connection.flushdb()


def _run_queue(connection) -> None:
    SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(burst=True)


def _officers(make_user, db, codes):
    users = [make_user("unit_officer", code) for code in codes]
    db.session.execute(update(User).values(email_enabled=False))
    db.session.commit()
    return users


def test_redis_down_pages_keep_working_and_work_resumes_when_it_returns(app, db, client, make_user, real_redis,
                                                                       monkeypatch):
    officer = make_user("unit_officer", "HG-STP")
    office = make_user("office", "HG-VPUB")
    db.session.execute(update(User).values(email_enabled=False))
    db.session.commit()
    today = clock.today()
    ids = make_assignments(db, officer.unit_id, [today + timedelta(days=3)])
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    app.extensions.pop("dondoc_redis", None)
    assert enqueue("jobs.reminders.sweep") is None
    plan_id = db.session.get(Assignment, ids[0]).plan_id
    notifications.notify_assignments_created(plan_id)
    db.session.commit()  # the after-commit enqueue fails quietly; the row is in the outbox
    login(client, office)
    assert client.get("/notifications").status_code == 200
    response = client.post("/reminders/run", follow_redirects=True)
    assert response.status_code == 200 and "Hàng đợi (Redis) đang không hoạt động" in response.get_data(as_text=True)
    assert client.get("/reminders/deliveries").status_code == 200
    assert not reminders.scan_done(today)

    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)  # Redis is back
    app.extensions.pop("dondoc_redis", None)
    # the sweep scans once 07:00 has passed in Vietnam; only our clock moves, so RQ's own timestamps stay true
    # (travelling the whole process hours ahead made RQ take the job for abandoned when run after midnight)
    nine = datetime.combine(today, datetime.min.time().replace(hour=9), LOCAL_TZ)
    monkeypatch.setattr(clock, "now", lambda: max(nine, datetime.now(LOCAL_TZ)))
    assert enqueue("jobs.reminders.sweep") is not None  # what the cron process does every 5 minutes
    _run_queue(real_redis)
    assert reminders.scan_done(today)
    digest = db.session.scalar(select(Notification).where(Notification.user_id == officer.id,
                                                          Notification.kind == "digest"))
    assert digest is not None and "1 việc đến hạn trong 7 ngày" in digest.subject


def test_two_crons_enqueue_the_scan_twice_one_digest_each(app, db, make_user, real_redis):
    users = _officers(make_user, db, ["HG-STP", "HG-SNV"])
    today = clock.today()
    for index, user in enumerate(users):
        make_assignments(db, user.unit_id, [today + timedelta(days=1)], code=f"KH-{index}")
    day = today.isoformat()
    queue = Queue(QUEUE_NAME, connection=real_redis)
    queue.enqueue("jobs.reminders.daily_scan", day)
    queue.enqueue("jobs.reminders.daily_scan", day)
    _run_queue(real_redis)
    counts = db.session.execute(select(Notification.user_id, func.count()).group_by(Notification.user_id)).all()
    assert sorted(counts) == sorted((u.id, 1) for u in users)


def test_cron_config_registers_the_scan_at_seven_vietnam_time(real_redis):
    from rq.cron import CronScheduler

    saved = os.environ.get("TZ")
    try:
        scheduler = CronScheduler(connection=real_redis)
        scheduler.load_config_from_file("jobs/cron_config.py")
        jobs = {job.name: job for job in scheduler.get_jobs()}
        daily = jobs["reminders.daily_scan"]
        assert daily.cron == "0 7 * * *" and daily.queue_name == QUEUE_NAME
        local = daily.next_enqueue_time.astimezone(LOCAL_TZ)
        assert (local.hour, local.minute) == (7, 0)
        assert jobs["reminders.sweep"].interval == 300
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def _worker(env) -> subprocess.Popen:
    return subprocess.Popen([str(ROOT / ".venv/bin/rq"), "worker", "--burst", "--url", REDIS_URL, QUEUE_NAME],
                            cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def test_worker_killed_mid_scan_then_restarted_loses_and_doubles_nothing(app, db, make_user, real_redis):
    codes = ["HG-STP", "HG-SNV", "HG-STC", "HG-SYT", "HG-SXD", "HG-SGDDT", "HG-SCT", "HG-STNMT"]
    users = _officers(make_user, db, codes)
    today = clock.today()
    for index, user in enumerate(users):
        make_assignments(db, user.unit_id, [today + timedelta(days=3)], code=f"KH-{index}")
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=REDIS_URL,
               SECRET_KEY="test-secret", DONDOC_SCAN_PAUSE="0.6", REMINDER_BATCH_SIZE="2",
               MAIL_SERVER="127.0.0.1", MAIL_PORT="1", PYTHONPATH=str(ROOT))
    queue = Queue(QUEUE_NAME, connection=real_redis)
    queue.enqueue("jobs.reminders.daily_scan", today.isoformat(), job_timeout=600)
    worker = _worker(env)
    written = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot each poll
        written = db.session.scalar(select(func.count(Notification.id))) or 0
        if written >= 2:
            break
        time.sleep(0.1)
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work horse, mid-scan
    worker.wait(timeout=10)
    db.session.rollback()
    assert 2 <= written < len(users), worker.stdout.read().decode()[-2000:]
    assert not reminders.scan_done(today)

    queue.enqueue("jobs.reminders.daily_scan", today.isoformat(), job_timeout=600)  # the cron's catch-up
    env["DONDOC_SCAN_PAUSE"] = "0"
    restarted = _worker(env)
    output = restarted.communicate(timeout=120)[0].decode()
    db.session.rollback()
    assert reminders.scan_done(today), output[-2000:]
    counts = db.session.execute(select(Notification.user_id, func.count()).group_by(Notification.user_id)).all()
    assert sorted(counts) == sorted((u.id, 1) for u in users)
    assert db.session.scalar(select(ReminderScan.runs).where(ReminderScan.day == today)) == 2


@pytest.mark.smtp
def test_immediate_event_email_is_queued_after_commit_and_sent_once(app, db, make_user, real_redis, request):
    officer = make_user("unit_officer", "HG-STP")
    officer.digest, officer.email = False, "ngay@stp.gov.vn"
    db.session.commit()
    ids = make_assignments(db, officer.unit_id, [clock.today() + timedelta(days=30)])
    box = request.getfixturevalue("smtp_server")(Mailbox())
    notifications.notify_assignments_created(db.session.get(Assignment, ids[0]).plan_id)
    assert Queue(QUEUE_NAME, connection=real_redis).count == 0  # nothing leaves before the commit
    db.session.commit()
    assert Queue(QUEUE_NAME, connection=real_redis).count == 1
    _run_queue(real_redis)
    _run_queue(real_redis)
    assert [rcpts for rcpts, _m in box.messages] == [["ngay@stp.gov.vn"]]
    assert box.messages[0][1]["Subject"].startswith("Được giao 1 việc theo Kế hoạch")
