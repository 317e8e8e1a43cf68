"""The administrator gives accounts to a whole unit from a spreadsheet, each newcomer chooses a password at first
sign-in, and the province's letterhead is edited as data (issue 11)."""
from tests.browser_support import DESKTOP, PHONE
from tests.journeys.pages import UNLABELLED_CELLS, flashes, submit

SHEET = ("tên đăng nhập;họ và tên;email;vai trò;mã đơn vị\n"
         "stp.nhap1;Trần Văn Nhập;nhap1@example.gov.vn;Cán bộ đầu mối đơn vị;HG-STP\n"
         "stp.nhap2;Lê Thị Hai;nhap2@example.gov.vn;unit_officer;HG-STP\n")


def test_admin_imports_users_and_a_newcomer_chooses_a_password(login, visits, tmp_path):
    bad = tmp_path / "nguoi-dung-loi.csv"
    bad.write_text(SHEET.replace("HG-STP\n", "KHONG-CO\n", 1), encoding="utf-8-sig")
    page = login("admin")
    page.goto("/admin/users/import")
    page.set_input_files("input[name=file]", str(bad))
    submit(page, "main form button[type=submit]")
    preview = page.inner_text("#preview")
    assert "Dòng 2" in preview and "KHONG-CO" in preview, preview
    assert page.locator("form[action$='/import/confirm']").count() == 0  # nothing to confirm in a refused file

    good = tmp_path / "nguoi-dung.csv"
    good.write_text(SHEET, encoding="utf-8-sig")
    page.set_input_files("input[name=file]", str(good))
    submit(page, "main form button[type=submit]")
    rows = page.locator("#preview tbody tr")
    assert rows.count() == 2 and "tạo mới" in rows.first.inner_text()
    visits.look(page, "admin-07-user-import-preview")
    page.set_viewport_size(PHONE)
    assert page.evaluate(UNLABELLED_CELLS) == []  # on a phone each cell says which column it is
    page.set_viewport_size(DESKTOP)
    submit(page, "form[action$='/import/confirm'] button[type=submit]")
    password = page.locator("code[data-password]").first.get_attribute("data-password")
    assert "stp.nhap1" in page.inner_text("main") and password
    visits.look(page, "admin-08-user-import-done")

    newcomer = login("stp.nhap1", password)
    assert "/account/new-password" in newcomer.url  # every page leads here until they choose their own
    newcomer.goto("/my")
    assert "/account/new-password" in newcomer.url
    visits.look(newcomer, "newcomer-01-new-password")
    newcomer.fill("input[name=current_password]", password)
    newcomer.fill("input[name=new_password]", "so-tu-phap-rieng-2026")
    newcomer.fill("input[name=confirm]", "so-tu-phap-rieng-2026")
    submit(newcomer, "main form button[type=submit]")
    newcomer.goto("/my")
    assert "Việc của Sở Tư pháp" in newcomer.inner_text("h1"), flashes(newcomer)


def test_admin_edits_the_provinces_letterhead(login, visits):
    page = login("admin")
    page.goto("/admin/units")
    root_row = page.locator("main table tr", has_text="UBND tỉnh Hà Giang").first
    root_row.get_by_role("link", name="Sửa", exact=True).click()
    page.wait_for_load_state()
    page.locator("a[href$='/issuing-body']").first.click()
    page.wait_for_load_state()
    form_url = page.url
    page.fill("input[name=place_name]", "")
    submit(page, "main form button[type=submit]")
    assert "Địa danh: không được để trống" in page.inner_text("main")
    page.fill("input[name=place_name]", "Hà Giang")
    page.fill("input[name=signer_name]", "Nguyễn Văn Ký")
    visits.look(page, "admin-09-issuing-body")
    submit(page, "main form button[type=submit]")
    page.goto(form_url)
    assert page.input_value("input[name=signer_name]") == "Nguyễn Văn Ký", flashes(page)
