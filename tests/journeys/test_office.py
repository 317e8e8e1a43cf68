"""The office clerk's day (`vanphong`): the plan, its filters and search, an activity, the review queue
(one completion confirmed, one returned with its reason), an extension decided, the dashboard moving."""
import re

from tests.journeys.pages import bell_count, flashes, kpi, matching_activities, submit

PLAN_CODE = "HG-KSTTHC-2023"


def _open_plan(page, visits, name: str):
    page.goto("/plans/")
    page.click(f"a:has-text('{PLAN_CODE}')")
    page.wait_for_load_state()
    assert "4 nhóm, 17 nhiệm vụ, 54 hoạt động" in page.inner_text("main")
    visits.look(page, name)
    return page.url.split("?")[0]


def _ask_extension(unit_page, visits, name: str, reason: str) -> str:
    """As a unit user: the first open assignment of the own list, an extension asked; returns its URL."""
    unit_page.goto("/my?status=overdue")
    unit_page.locator("main table").last.locator("a[href*='/assignments/']").first.click()
    unit_page.wait_for_load_state()
    due = unit_page.inner_text("#due-in-force").split()[0]
    day, month, year = (int(part) for part in due.split("/"))
    unit_page.fill("input[name=requested_due]", f"{day:02d}/{month:02d}/{year + 1}")
    unit_page.fill("textarea[name=reason]", reason)
    submit(unit_page, "input[name=ask], button[name=ask]")
    assert "Chờ duyệt" in unit_page.inner_text("#extensions"), flashes(unit_page)
    visits.look(unit_page, name)
    return unit_page.url


def test_office_day(login, visits):
    page = login("vanphong")
    page.goto("/dashboard")
    done_before, awaiting_before = kpi(page, "done"), kpi(page, "awaiting")
    assert awaiting_before >= 2, "the demo has completion reports waiting"
    visits.look(page, "office-01-dashboard")

    tree = _open_plan(page, visits, "office-02-plan-tree")
    assert matching_activities(page) == 54

    # filter by unit: only Sở Tư pháp's lines are shown, on fewer activities
    page.select_option("select[name=unit]", label="Sở Tư pháp")
    submit(page, "#filters button[type=submit]")
    by_unit = matching_activities(page)
    assert 0 < by_unit < 54
    units_shown = {text.strip() for text in page.locator("table.units td[data-label='Đơn vị']").all_inner_texts()}
    assert units_shown == {"Sở Tư pháp"}, units_shown
    visits.look(page, "office-03-plan-by-unit")

    # filter by status: every unit line shown is awaiting confirmation
    page.goto(tree)
    page.select_option("select[name=status]", value="awaiting")
    submit(page, "#filters button[type=submit]")
    assert 0 < matching_activities(page) < 54
    badges = page.locator("table.units .badge").all_inner_texts()
    assert badges and set(badges) == {"Chờ xác nhận"}, set(badges)
    visits.look(page, "office-04-plan-by-status")

    # search without accents
    page.goto(tree)
    page.fill("input[name=q]", "so tu phap")
    submit(page, "#filters button[type=submit]")
    found = matching_activities(page)
    assert 0 < found < 54
    assert "Sở Tư pháp" in page.inner_text("main")
    visits.look(page, "office-05-plan-search")

    # an activity
    first = page.locator("article.activity header a").first
    number = first.inner_text().strip()
    first.click()
    page.wait_for_load_state()
    assert number in page.inner_text("main") and "Sở Tư pháp" in page.inner_text("main")
    visits.look(page, "office-06-activity")

    # the review queue: confirm one completion, return another with a reason
    page.goto("/assignments/review")
    heading = page.locator("h2:has-text('Báo cáo hoàn thành chờ xác nhận')").inner_text()
    waiting = int(re.search(r"\((\d+)\)", heading).group(1))
    assert waiting == awaiting_before
    visits.look(page, "office-07-review-queue")
    rows = page.locator("main table").first.locator("tbody tr")
    confirmed_link = rows.nth(0).locator("a").first.get_attribute("href")
    returned_link = rows.nth(1).locator("a").first.get_attribute("href")
    with page.expect_navigation():
        rows.nth(0).locator("input[name=confirm], button[name=confirm]").click()
    assert "Đã xác nhận hoàn thành" in flashes(page), flashes(page)
    page.goto(confirmed_link)
    assert "Hoàn thành" in page.inner_text("#status")

    page.goto(returned_link)
    page.fill("textarea[name=reason]", "Thiếu văn bản minh chứng, đề nghị bổ sung")
    submit(page, "input[name=send_back], button[name=send_back]")
    assert "Bị trả lại" in page.inner_text("#status")
    assert "Thiếu văn bản minh chứng, đề nghị bổ sung" in page.inner_text("#history")
    visits.look(page, "office-08-assignment-returned")

    # an extension asked by the unit, decided by the office
    unit_page = login("stp.canbo")
    asked = _ask_extension(unit_page, visits, "office-09-unit-asks-extension", "Chờ ý kiến thẩm định của Bộ")
    page.goto("/assignments/review")
    pending = page.locator("main table").nth(1).locator("tbody tr", has_text="Chờ ý kiến thẩm định của Bộ")
    assert pending.count() == 1
    pending.locator("textarea[name=note]").fill("Đồng ý gia hạn")
    with page.expect_navigation():
        pending.locator("input[name=approve], button[name=approve]").click()
    assert "Đã duyệt gia hạn." in flashes(page), flashes(page)
    visits.look(page, "office-10-extension-decided")
    unit_page.goto(asked)
    extensions = unit_page.inner_text("#extensions")
    assert "Đã duyệt" in extensions and "Đồng ý gia hạn" in extensions, extensions
    assert "đã gia hạn" in unit_page.inner_text("#due-in-force")

    page.goto("/dashboard")
    assert kpi(page, "done") == done_before + 1
    assert kpi(page, "awaiting") == awaiting_before - 2
    visits.look(page, "office-11-dashboard-after")


def test_review_queue_filters_by_unit_and_shows_evidence(login, visits):
    page = login("vanphong")
    page.goto("/assignments/review")
    assert page.locator("select[name=unit]").count() == 1, "the review queue has no filter by unit"
    # the queue offers the units with something waiting, each with its count ("Sở Tư pháp (4)")
    page.select_option("select[name=unit]", value=page.locator("select[name=unit] option", has_text="Sở Tư pháp")
                       .first.get_attribute("value"))
    with page.expect_navigation():
        page.locator("form:has(select[name=unit]) button[type=submit]").click()
    units = {t.strip() for t in page.locator("main table").first.locator("td[data-label='Đơn vị']").all_inner_texts()}
    assert units == {"Sở Tư pháp"}, units
    visits.look(page, "office-12-review-queue-by-unit")


def _bell(page) -> int:
    page.goto("/dashboard")
    return bell_count(page)


def test_office_is_told_of_an_extension_request(login, visits):
    page = login("vanphong")
    before = _bell(page)
    unit_page = login("stp.lanhdao")
    _ask_extension(unit_page, visits, "office-13-unit-asks-extension", "Đợi kết quả thẩm định (báo Văn phòng)")
    assert _bell(page) > before, "the office's bell does not count the new extension request"
    page.goto("/notifications")
    assert "gia hạn" in page.inner_text("main").lower()
