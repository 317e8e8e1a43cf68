"""Small readers of what a person sees on the product's pages, shared by the journeys."""
import re


def kpi(page, name: str) -> int:
    """The figure of a dashboard tile (data-kpi=name)."""
    return int(page.locator(f"[data-kpi={name}]").first.inner_text().strip().replace(".", ""))


def matching_activities(page) -> int:
    """The plan tree's «N hoạt động khớp điều kiện»."""
    found = re.search(r"(\d+) hoạt động khớp điều kiện", page.inner_text("main"))
    assert found, page.inner_text("main")[:1000]
    return int(found.group(1))


def flashes(page) -> str:
    """Every flash message on the page, one a line."""
    return "\n".join(page.locator(".flash").all_inner_texts())


def submit(page, selector: str) -> None:
    """Click a submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state()


def bell_count(page) -> int:
    """The unread count the bell shows (0 when it shows none); its text also says "chưa đọc" to screen readers."""
    count = page.locator("a.bell .bell-count")
    return int(re.match(r"\d+", count.inner_text().strip()).group()) if count.count() else 0
