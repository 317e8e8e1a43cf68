"""The province's leader (`lanhdao`) reads and downloads and is refused everything else; the administrator
(`admin`) creates a unit and a user, who can then sign in."""
import io
import re

import openpyxl

from tests.browser_support import PHONE
from tests.journeys.pages import UNLABELLED_CELLS, flashes, kpi, submit


def test_leader_reads_downloads_and_is_refused_the_rest(login, visits):
    page = login("lanhdao")
    page.goto("/dashboard")
    assert kpi(page, "total") > 0
    visits.look(page, "leader-01-dashboard")
    page.goto("/plans/")
    page.click("a:has-text('HG-KSTTHC-2023')")
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert "54 hoạt động" in main
    assert "Sửa kế hoạch" not in main and "Thêm nhóm nhiệm vụ" not in main  # read-only
    visits.look(page, "leader-02-plan-tree")
    page.locator("article.activity header a").first.click()
    page.wait_for_load_state()
    visits.look(page, "leader-03-activity")
    assignment = page.locator("table.units a[href*='/assignments/']").first.get_attribute("href")
    page.goto(assignment)
    assert page.locator("input[name=confirm], button[name=confirm]").count() == 0
    assert page.locator("input[name=submit_done], button[name=submit_done]").count() == 0
    visits.look(page, "leader-04-assignment")
    page.goto("/indicators/results")
    visits.look(page, "leader-05-indicator-results")
    page.goto("/reports/")
    visits.look(page, "leader-06-reports")

    # the plan's Excel export, downloaded and read
    page.goto("/plans/")
    page.click("a:has-text('HG-KSTTHC-2023')")
    page.click("a:has-text('Tệp gốc, xuất Excel')")
    page.wait_for_load_state()
    visits.look(page, "leader-07-plan-files")
    with page.expect_download() as download:
        page.click("a:has-text('Xuất Excel')")
    workbook = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    text = "\n".join(str(c.value) for row in workbook.active.iter_rows() for c in row if c.value is not None)
    assert "Sở Tư pháp" in text and "Nội dung" in text

    for url in ("/assignments/review", "/admin/users", "/admin/audit", "/plan-imports/", "/plans/new",
                "/reminders/deliveries", "/indicators/import"):
        response = page.goto(url)
        assert response.status == 403, url
        assert "Không có quyền" in page.inner_text("body") or "quyền" in page.inner_text("body"), url
    visits.look(page, "leader-08-forbidden")


def test_admin_creates_a_unit_and_a_user(login, visits, browser, product):
    page = login("admin")
    page.goto("/admin/units")
    visits.look(page, "admin-01-units")
    page.goto("/admin/units/new")
    page.fill("input[name=code]", "HG-TTCDS")
    page.fill("input[name=name]", "Trung tâm Chuyển đổi số tỉnh")
    page.select_option("select[name=kind_id]", index=1)
    page.select_option("select[name=parent_id]",
                       page.locator("select[name=parent_id] option", has_text="HG · ").first.get_attribute("value"))
    visits.look(page, "admin-02-unit-form")
    submit(page, "main form button[type=submit]")
    assert "Trung tâm Chuyển đổi số tỉnh" in page.inner_text("main"), flashes(page)

    page.goto("/admin/users/new")
    page.fill("input[name=username]", "ttcds.canbo")
    page.fill("input[name=full_name]", "Nguyễn Thị Hoa")
    page.fill("input[name=email]", "hoa@example.gov.vn")
    page.select_option("select[name=role]", value="unit_officer")
    page.select_option("select[name=unit_id]",
                       page.locator("select[name=unit_id] option", has_text="HG-TTCDS").get_attribute("value"))
    page.fill("input[name=password]", "matkhau-moi-2026")
    page.fill("input[name=confirm]", "matkhau-moi-2026")
    visits.look(page, "admin-03-user-form")
    submit(page, "main form button[type=submit]")
    page.goto("/admin/users")
    row = page.locator("main table tr", has_text="ttcds.canbo")
    assert row.count() == 1 and "Trung tâm Chuyển đổi số tỉnh" in row.inner_text()
    visits.look(page, "admin-04-users")

    newcomer = login("ttcds.canbo", "matkhau-moi-2026")
    newcomer.goto("/my")
    assert "Việc của Trung tâm Chuyển đổi số tỉnh" in newcomer.inner_text("h1")
    assert kpi(newcomer, "total") == 0
    visits.look(newcomer, "admin-05-new-user-list")


def test_leader_dashboard_on_a_phone_labels_its_numbers(login, visits):
    page = login("lanhdao")
    page.set_viewport_size(PHONE)
    page.goto("/dashboard")
    bare = page.evaluate(UNLABELLED_CELLS)
    assert not bare, f"{len(bare)} table cells without a label at 375 px, e.g. {bare[:8]}"


def test_audit_log_speaks_the_users_language(login, visits):
    page = login("admin")
    page.goto("/admin/users")
    page.locator("main table a[href*='/admin/users/']").first.click()  # an edit that the log must record
    page.wait_for_load_state()
    page.fill("input[name=full_name]", "Quản trị hệ thống (đã sửa)")
    submit(page, "main form button[type=submit]")
    page.goto("/admin/audit")
    visits.look(page, "admin-06-audit")
    rows = page.locator("main table tbody tr").all_inner_texts()
    assert rows and "Không có mục nào" not in rows[0]
    internals = [row for row in rows if re.search(r"\b[a-z]+_[a-z_]+:|\b(create|update|discard|decide)\b|"
                                                  r"\b(pending|approved|refused|submitted|confirmed)\b", row)]
    assert not internals, "audit rows showing internals:\n" + "\n".join(internals[:5])


def test_out_of_range_id_is_a_not_found_page_in_vietnamese(login):
    page = login("vanphong")
    for too_large in (2**31, 2**63):  # past PostgreSQL's integer, past SQLite's
        response = page.goto(f"/assignments/{too_large}")
        assert response.status == 404, (too_large, response.status)
        assert "Không tìm thấy" in page.inner_text("body")
