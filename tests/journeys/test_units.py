"""A unit's day, as its focal officer (`stp.canbo`) and as its head (`stp.lanhdao`): the own list, progress
with an uploaded PDF, the completion reported, an extension asked."""
import pytest

from tests.browser_support import PHONE
from tests.journeys.pages import flashes, kpi, submit

EVIDENCE = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
           b"trailer<</Root 1 0 R>>\n%%EOF\n"


def _overdue(page, index: int) -> str:
    """The URL of the index-th overdue assignment of the own list (the list below the overdue one)."""
    page.goto("/my?status=overdue")
    links = page.locator("main table").last.locator("a[href*='/assignments/']")
    assert links.count() > index, page.inner_text("main")[:1000]
    return links.nth(index).get_attribute("href")


@pytest.mark.parametrize("username", ["stp.canbo", "stp.lanhdao"])
def test_unit_day(username, login, visits, tmp_path):
    page = login(username)
    page.goto("/my")
    assert "Việc của Sở Tư pháp" in page.inner_text("h1")
    total = kpi(page, "total")
    assert total > 0
    units = {t.strip() for t in page.locator("main table td[data-label='Đơn vị']").all_inner_texts()}
    assert units and all(u.startswith("Sở Tư pháp") for u in units), units
    visits.look(page, f"{username}-01-own-list")

    # progress with an uploaded PDF
    page.goto(_overdue(page, 0))
    evidence = tmp_path / f"bao-cao-tien-do-{username}.pdf"
    evidence.write_bytes(EVIDENCE)
    page.fill("input[name=percent]", "50")
    page.fill("textarea[name=note]", "Đã xây dựng dự thảo kế hoạch")
    page.set_input_files("input[type=file]", str(evidence))
    submit(page, "input[name=save], button[name=save]")
    assert "Đã lưu tiến độ" in flashes(page), flashes(page)
    history = page.inner_text("#history")
    assert evidence.name in history and "50%" in history and "Đã xây dựng dự thảo kế hoạch" in history
    with page.expect_download() as download:
        page.click(f"#history a:has-text('{evidence.name}')")
    assert download.value.path().read_bytes() == EVIDENCE
    visits.look(page, f"{username}-02-progress-saved")

    # the completion reported
    page.fill("input[name=percent]", "100")
    page.fill("textarea[name=note]", "Đã ban hành kế hoạch triển khai")
    page.fill("input[name=evidence_number]", "15/KH-STP")
    page.fill("input[name=evidence_date]", "01/12/2026")
    submit(page, "input[name=submit_done], button[name=submit_done]")
    assert "Chờ xác nhận" in page.inner_text("#status"), flashes(page)
    assert "15/KH-STP" in page.inner_text("#history")
    visits.look(page, f"{username}-03-completion-reported")

    # an extension asked on another assignment
    page.goto(_overdue(page, 1))
    due = page.inner_text("#due-in-force").split()[0]
    day, month, year = (int(part) for part in due.split("/"))
    page.fill("input[name=requested_due]", f"{day:02d}/{month:02d}/{year + 1}")
    page.fill("textarea[name=reason]", f"Chờ hướng dẫn của Bộ Tư pháp ({username})")
    submit(page, "input[name=ask], button[name=ask]")
    extensions = page.inner_text("#extensions")
    assert "Chờ duyệt" in extensions and f"({username})" in extensions, flashes(page)
    visits.look(page, f"{username}-04-extension-asked")

    # nothing of another unit's work, nor the office's pages
    assert page.goto("/assignments/review").status == 403
    assert page.goto("/admin/users").status == 403


def test_phone_menu_opens_from_the_keyboard(login):
    page = login("stp.canbo")
    page.set_viewport_size(PHONE)
    page.goto("/my")
    plans = page.locator("nav a:has-text('Các kế hoạch')")
    assert not plans.is_visible()
    for _ in range(5):  # the skip link and the brand come first, then the menu's control
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('[aria-controls]')"):
            page.keyboard.press("Enter")
            break
    assert plans.is_visible(), "the menu cannot be opened from the keyboard at 375 px"
