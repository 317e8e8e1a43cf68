"""The one way the app enqueues background jobs: by dotted name, with plain ids, never failing the caller.

Redis being down must not break a page: the work is already recorded in the database (the outbox), and the
cron process's periodic catch-up picks it up once Redis is back. So errors are logged and swallowed here.
"""
import logging
from datetime import timedelta

from redis.exceptions import RedisError
from rq import Queue, Retry

from tracker.redis_conn import get_redis

QUEUE_NAME = "dondoc"
log = logging.getLogger(__name__)


def queue(connection=None) -> Queue:
    """The app's job queue (the worker listens on it)."""
    return Queue(QUEUE_NAME, connection=connection or get_redis())


def enqueue(func_path: str, *args, delay: timedelta | None = None, job_timeout: int = 1800,
            retries: int = 0, description: str | None = None, **kwargs) -> str | None:
    """Enqueue jobs.<module>.<function>(*args, **kwargs); the job id, or None when Redis is unreachable."""
    try:
        options = {"job_timeout": job_timeout, "description": description, "result_ttl": 24 * 3600,
                   "failure_ttl": 7 * 24 * 3600}
        if retries:
            options["retry"] = Retry(max=retries, interval=[60, 300, 900][:retries])
        if delay is not None:
            job = queue().enqueue_in(delay, func_path, args=args, kwargs=kwargs, **options)
        else:
            job = queue().enqueue(func_path, args=args, kwargs=kwargs, **options)
        return job.id
    except (RedisError, OSError) as error:
        log.warning("Không đưa được việc %s vào hàng đợi (Redis: %s); việc sẽ được chạy bù khi Redis hoạt động lại",
                    func_path, type(error).__name__)
        return None
