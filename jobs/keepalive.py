"""The worker and the cron process, kept alive through Redis outages.

    python -m jobs.keepalive worker --url REDIS_URL   # rq worker --with-scheduler dondoc default
    python -m jobs.keepalive cron --url REDIS_URL     # rq cron jobs/cron_config.py

RQ's worker waits out an outage only while idle (its dequeue retries); an outage in the middle of a job, or at
start, ends it with "found an unhandled exception, quitting", and `rq cron` exits on the first Redis error. Here
each runs inside a loop that waits for Redis to answer, with a growing pause (1, 2, 4 … 30 seconds), and starts a
new one; only a stop signal (SIGTERM, SIGINT) ends the process.
"""
import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Callable

import redis
from rq import Worker
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from tracker.jobs_queue import QUEUE_NAME

QUEUES = (QUEUE_NAME, "default")
CRON_CONFIG = "jobs/cron_config.py"
#: longest pause between two tries while Redis is down
MAX_PAUSE = 30.0
#: a run this long counts as healthy: the next outage starts again from the shortest pause
HEALTHY_RUN = 60.0

log = logging.getLogger("dondoc.keepalive")


class _StopSignal(Exception):
    """SIGTERM or SIGINT arrived while no RQ loop was running."""


class _Worker(Worker):
    """An RQ worker that remembers whether it was asked to stop (rather than lost Redis)."""

    stop_signalled = False

    def request_stop(self, signum, frame):
        self.stop_signalled = True
        super().request_stop(signum, frame)


class _Cron(CronScheduler):
    """RQ's cron, remembering a stop request likewise (its handler is private API: rq 3.0's `_request_stop`)."""

    stop_signalled = False

    def _request_stop(self, signum, frame):
        self.stop_signalled = True
        super()._request_stop(signum, frame)


def _run_worker(connection: redis.Redis) -> bool:
    worker = _Worker(list(QUEUES), connection=connection)
    try:
        worker.work(with_scheduler=True)
    except (redis.RedisError, OSError):
        # a warm shutdown writes to Redis too: asked to stop while Redis is away, it still stops
        if not worker.stop_signalled:
            raise
    finally:
        # a worker that lost Redis could not unsubscribe: its command listener would reconnect forever
        if worker.pubsub_thread is not None and worker.pubsub_thread.is_alive():
            worker.pubsub_thread.stop()
    return worker.stop_signalled


def _run_cron(connection: redis.Redis) -> bool:
    scheduler = _Cron(connection=connection)
    scheduler.load_config_from_file(CRON_CONFIG)
    try:
        scheduler.start()  # returns on a stop signal; a Redis error propagates
    except (redis.RedisError, OSError):
        if not scheduler.stop_signalled:
            raise
    return True


def _raise_stop(signum, frame):
    raise _StopSignal(signum)


def keep_running(name: str, url: str, run: Callable[[redis.Redis], bool],
                 sleep: Callable[[float], None] = time.sleep) -> int:
    """Run `run(connection)` again after every Redis failure until it reports a stop request; the exit code."""
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _keep_running(name, url, run, sleep)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _keep_running(name, url, run, sleep) -> int:
    pause = 1.0
    try:
        while True:
            _stop_on_signal()
            started = time.monotonic()
            try:
                connection = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
                connection.ping()
                if run(connection):
                    break
                reason = "vòng làm việc của RQ kết thúc"
            except (redis.RedisError, OSError) as error:
                reason = f"{type(error).__name__}: {error}"
            _stop_on_signal()  # RQ's handlers stay installed after it failed
            if time.monotonic() - started >= HEALTHY_RUN:
                pause = 1.0
            log.warning("%s: mất kết nối Redis (%s); thử lại sau %.0f giây", name, reason, pause)
            sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)
    except (_StopSignal, StopRequested):  # ours between runs; RQ's while it was starting or failing
        pass
    log.info("%s: dừng theo yêu cầu", name)
    return 0


def _stop_on_signal() -> None:
    # between RQ runs a stop signal must end the wait at once
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.keepalive", description=__doc__.splitlines()[0])
    parser.add_argument("process", choices=("worker", "cron"))
    parser.add_argument("--url", default=os.environ.get("REDIS_URL"), help="Redis URL (default: $REDIS_URL)")
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("cần --url hoặc biến môi trường REDIS_URL")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stdout)
    run = _run_worker if args.process == "worker" else _run_cron
    return keep_running(args.process, args.url, run)


if __name__ == "__main__":
    sys.exit(main())
