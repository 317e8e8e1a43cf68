"""Reminder jobs: the daily scan (with catch-up), the periodic sweep, email delivery."""
import logging
import os
from datetime import date, datetime, timedelta

from redis.exceptions import RedisError
from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from jobs import app_context
from models import Notification, db, utcnow
from tracker import clock
from tracker.redis_conn import get_redis
from tracker.services import mail, reminders

log = logging.getLogger(__name__)
#: the scan hour in Vietnam; the sweep does not scan today before it
SCAN_HOUR = 7


def _batch_size() -> int:
    return int(os.environ.get("REMINDER_BATCH_SIZE", "500"))


def _progress(**values) -> None:
    job = get_current_job()
    if job is not None:
        job.meta.update(values)
        try:
            job.save_meta()
        except (RedisError, OSError):  # Redis away: the scan and the emails are in the database, they go on
            log.info("Không ghi được tiến độ vào Redis")


def daily_scan(day: str | None = None) -> list[str]:
    """Scan the given day (YYYY-MM-DD), or catch up every missed day up to today; then send the emails."""
    with app_context():
        if day:
            results = [reminders.scan_day(date.fromisoformat(day), on_batch=db.session.commit,
                                          batch_size=_batch_size())]
        else:
            results = reminders.catch_up(clock.today(), on_batch=db.session.commit,
                                         batch_size=_batch_size())
        db.session.commit()
        lines = [r.line() for r in results]
        _progress(scans=lines)
        for line in lines:
            log.info("Quét nhắc hạn %s", line)
        _deliver_and_reschedule()
        return lines


def sweep() -> str:
    """Every few minutes (cron): catch up a missed scan once 07:00 has passed, send waiting emails, and give up
    (as failed, with the reason) the reports whose job can no longer finish."""
    with app_context():
        now_local = clock.now()
        today = now_local.date()
        if now_local.hour >= SCAN_HOUR and not reminders.scan_done(today):
            reminders.catch_up(today, on_batch=db.session.commit, batch_size=_batch_size())
            db.session.commit()
        _reap_stalled_reports()
        return _deliver_and_reschedule()


def _reap_stalled_reports() -> None:
    from jobs.reports import reap_stalled

    try:
        reaped = reap_stalled(get_redis())
    except (RedisError, OSError) as error:  # the next sweep tries again; reminders must not wait for it
        db.session.rollback()
        log.warning("Không kiểm tra được các báo cáo đang tạo (Redis: %s)", type(error).__name__)
        return
    if reaped:
        log.warning("Đã đánh dấu lỗi %s phiên bản báo cáo không thể hoàn thành", reaped)


def deliver() -> str:
    """Send every email whose time has come."""
    with app_context():
        return _deliver_and_reschedule()


def deliver_events(keys: list[list[str]]) -> str:
    """Send the immediate emails of just-committed event notifications, by (user, day, kind, ref)."""
    with app_context():
        wanted = [(int(user_id), date.fromisoformat(day), kind, ref) for user_id, day, kind, ref in keys]
        # one query for the whole batch (a plan import notifies every assigned unit's users at once): narrow by
        # each column, then keep only the exact (user, day, kind, ref) keys asked for
        found = {} if not wanted else {
            (user_id, day, kind, ref): notification_id
            for notification_id, user_id, day, kind, ref in db.session.execute(
                db.select(Notification.id, Notification.user_id, Notification.day, Notification.kind,
                          Notification.ref)
                .where(Notification.user_id.in_({key[0] for key in wanted}),
                       Notification.day.in_({key[1] for key in wanted}),
                       Notification.kind.in_({key[2] for key in wanted}),
                       Notification.ref.in_({key[3] for key in wanted})))}
        ids = [found[key] for key in wanted if key in found]
        if not ids:
            return "0"
        summary = mail.deliver_due(db.session.commit, ids=ids)
        db.session.commit()
        _schedule_retry(summary)
        return summary.line()


def _deliver_and_reschedule() -> str:
    summary = mail.deliver_due(db.session.commit)
    db.session.commit()
    _progress(delivery=summary.line())
    _schedule_retry(summary)
    return summary.line()


def _schedule_retry(summary: mail.DeliverySummary) -> None:
    # One delayed delivery at the earliest waiting email's time (workers run --with-scheduler), whether or not this
    # round failed: a round that sent the first retried email must still wake up for the next one. Never a second
    # one for the same time or earlier. The cron sweep is the safety net if Redis forgets it.
    if summary.next_attempt_at is None:
        return
    from tracker.jobs_queue import enqueue

    at = max(summary.next_attempt_at, utcnow() + timedelta(seconds=1))
    try:
        if _delivery_scheduled_by(at):
            return
    except (RedisError, OSError):
        return  # Redis away: the sweep sends them once it is back
    enqueue("jobs.reminders.deliver", delay=at - utcnow())


def _delivery_scheduled_by(at: datetime) -> bool:
    from tracker.jobs_queue import queue

    registry = ScheduledJobRegistry(queue=queue())
    due = []
    for job_id in registry.get_job_ids():
        try:
            if registry.get_scheduled_time(job_id) <= at:
                due.append(job_id)
        except NoSuchJobError:  # the scheduler just moved it to the queue
            continue
    jobs = Job.fetch_many(due, connection=registry.connection) if due else []
    return any(job is not None and job.func_name == "jobs.reminders.deliver" for job in jobs)
