"""Reminders end to end: the office asks for the scan from its page, the worker process runs it and the
day's digests reach the SMTP server; the unit officer sees the bell's count and downloads the ICS feed."""
import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.journeys.pages import bell_count, flashes, submit

OFFICER_MAIL = "stp.canbo@example.gov.vn"


def _today_vn() -> str:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")


def _digests(handler, day: str) -> list[tuple[list[str], object]]:
    return [(to, message) for to, message in handler.messages if message["Subject"].startswith(f"Đôn Đốc {day}:")]


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture(scope="module")
def scan(login, visits, smtp, product):
    """The scan asked for from the office's page; returns (digests of today, the office's page)."""
    handler, _port = smtp
    page = login("vanphong")
    page.goto("/reminders/deliveries")
    visits.look(page, "reminders-01-deliveries")
    day = _today_vn()
    submit(page, "button:has-text('Quét nhắc hạn ngay')")
    assert "Đã đưa lượt quét nhắc hạn vào hàng đợi" in flashes(page), flashes(page)
    deadline = time.monotonic() + 180
    finished = "Successfully completed jobs.reminders.daily_scan()"
    while time.monotonic() < deadline:
        page.goto("/reminders/deliveries")
        scans = page.locator("main table").last.locator("tbody tr", has_text=day)
        if scans.count() and "Xong" in scans.first.inner_text() and finished in product.log_text():
            break
        time.sleep(2)
    log = product.log_text()
    assert re.search(r"worker\s*\| .*jobs\.reminders\.daily_scan\(\)", log), "the worker process ran the scan"
    assert finished in log, log[-4000:]
    visits.look(page, "reminders-02-after-scan")
    return _digests(handler, day), page


def test_worker_delivers_the_days_digests(scan, product):
    digests, page = scan
    recipients = {address for to, _message in digests for address in to}
    assert OFFICER_MAIL in recipients, recipients
    assert len(recipients) == len(digests), "one digest a person a day"
    officer = next(message for to, message in digests if OFFICER_MAIL in to)
    assert "quá hạn" in officer["Subject"].lower() or "nhắc" in officer["Subject"].lower(), officer["Subject"]
    body = _text(officer)
    assert "Sở Tư pháp" in body or "HG-KSTTHC-2023" in body, body[:2000]
    assert re.search(r"http://[\w.]+(:\d+)?/\S+", body), "the digest links to the product"
    deadline = time.monotonic() + 60
    while True:  # the office's page counts what the worker sent
        page.goto("/reminders/deliveries")
        sent = int(page.locator(".kpi.ok b").inner_text())
        if sent >= len(digests) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert sent >= len(digests)
    assert int(page.locator(".kpi.bad b").inner_text()) == 0  # nothing failed


def test_bell_and_calendar_feed(scan, login, visits, browser, product):
    page = login("stp.canbo")
    page.goto("/my")
    unread = bell_count(page)
    assert unread >= 1
    page.click("a.bell")
    page.wait_for_load_state()
    assert f"Đôn Đốc {_today_vn()}" in page.inner_text("main")
    visits.look(page, "reminders-03-notifications")
    assert bell_count(page) <= unread

    page.goto("/account/")
    visits.look(page, "reminders-04-account")
    feed_url = page.locator("#calendar input.copy-field").input_value()
    assert feed_url.endswith(".ics")
    response = page.request.get(f"{product.base}{feed_url[feed_url.index('/calendar/'):]}")
    assert response.status == 200 and "text/calendar" in response.headers["content-type"]
    feed = response.text()
    assert feed.startswith("BEGIN:VCALENDAR") and feed.count("BEGIN:VEVENT") >= 1
    assert "SUMMARY:" in feed and ("HG-KSTTHC-2023" in feed or "Sở Tư pháp" in feed)


def test_links_in_mail_and_calendar_follow_the_port(scan, login, product):
    digests, _page = scan
    links = [link for _to, message in digests for link in re.findall(r"https?://[^\s\"'<>]+", _text(message))]
    assert links and all(link.startswith(product.base) for link in links), links[:5]
    page = login("stp.canbo")
    page.goto("/account/")
    feed_url = page.locator("#calendar input.copy-field").input_value()
    assert feed_url.startswith(product.base), feed_url
    feed = page.request.get(f"{product.base}{feed_url[feed_url.index('/calendar/'):]}").text()
    urls = re.findall(r"^URL:(\S+)", feed, re.M)
    assert urls and all(url.startswith(product.base) for url in urls), urls[:5]


def test_bell_tells_a_screen_reader_its_count(scan, login):
    page = login("stp.canbo")
    page.goto("/my")
    bell = page.locator("a.bell")
    count = str(bell_count(page))
    name = bell.get_attribute("aria-label") or bell.inner_text()  # the accessible name: aria-label wins
    assert count in name, f"the bell is announced as {name!r}; {count} unread are not said"
