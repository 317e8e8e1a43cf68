"""`rq cron jobs/cron_config.py`: the daily reminder scan at 07:00 Vietnam time, and a sweep every 5 minutes.

RQ's cron reads cron fields in the process's local time, so the zone is pinned here, whatever the
server's. Running two cron processes by mistake enqueues the scan twice; the scan is idempotent per day,
so nobody gets a second digest. The sweep also runs at start-up, which catches up a day missed while
the cron process (or Redis) was down.
"""
import os
import time

from rq import cron

os.environ["TZ"] = "Asia/Ho_Chi_Minh"
time.tzset()

from jobs.reminders import daily_scan, sweep  # noqa: E402  (after the zone is pinned)

QUEUE = "dondoc"

cron.register(daily_scan, QUEUE, cron="0 7 * * *", job_timeout=3600, name="reminders.daily_scan")
cron.register(sweep, QUEUE, interval=300, job_timeout=3600, name="reminders.sweep")
