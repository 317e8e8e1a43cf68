"""Headless Chromium for the browser tests and the journeys: Debian's package, driven by Playwright's Python API.

Outside CI a test that needs it skips when Chromium is missing; with DONDOC_REQUIRE_BROWSER=1 (set by
.ci/run) it fails instead. Screenshots go to tests/out/ (not committed).
"""
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENS = Path(__file__).resolve().parent / "out" / "screens"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
#: how many px the page is wider than the window (a phone must not scroll the whole page sideways)
OVERFLOW_JS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def require_browser() -> None:
    """Skip (or, in CI, fail) when Playwright or Debian's Chromium is missing."""
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        available = False
    else:
        available = Path(CHROMIUM).exists()
    if not available:
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium); browser tests skipped"
        if os.environ.get("DONDOC_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def launch(playwright):
    """Debian's Chromium, headless."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)


@contextmanager
def serving(app):
    """The app served in-process on a free port (threaded, so requests can overlap); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def shoot(page, name: str) -> None:
    """Screenshots at desktop and phone width; a phone must not need sideways scrolling of the whole page."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SCREENS / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate(OVERFLOW_JS)
    page.set_viewport_size(DESKTOP)
    assert overflow <= 2, f"{name}: page is {overflow}px wider than a 375px phone"


def login(browser, base: str, username: str, password: str, *, locale: str = "vi-VN", viewport=DESKTOP,
          **context_options):
    """A new browser context (its own cookies; relative URLs go to `base`) logged in as the user; the page after.

    The one browser login of the browser tests and the journeys; `context_options` go to browser.new_context.
    """
    context = browser.new_context(locale=locale, viewport=viewport, base_url=base, **context_options)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{username} could not sign in: {page.inner_text('main')[:500]}"
    return page
