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


#: the texts of table cells that, on a phone (header hidden), carry no label of their column
UNLABELLED_CELLS = """() => {
  const cells = [];
  for (const table of document.querySelectorAll('main table')) {
    const header = table.querySelector('thead');
    if (header && getComputedStyle(header).display !== 'none' && header.getBoundingClientRect().height > 0) continue;
    for (const td of table.querySelectorAll('tbody td')) {
      if (td.colSpan > 1) continue;  // an empty table's sentence ("Không có mục nào.") spans the row
      const label = getComputedStyle(td, '::before').content;
      if (!label || ['none', 'normal', '""'].includes(label)) cells.push(td.innerText.trim());
    }
  }
  return cells;
}"""
