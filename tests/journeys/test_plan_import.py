"""The office imports a plan from the decision's Word appendix through the web: upload, the preview showing
every cell, one cell corrected and saved, checked again, confirmed; the plan then reads as the document."""
import io

from docx import Document

from tests.journeys.pages import flashes, kpi, submit

CODE = "HG-KSTTHC-2026"
REFERENCE = "(Kèm theo Quyết định số 45/QĐ-UBND ngày 10 tháng 01 năm 2026 của UBND tỉnh Hà Giang)"
#: group → tasks → activities: (number, content, product, lead, coordinating, deadline)
PLAN = [
    ("I", "Rà soát, đơn giản hóa thủ tục hành chính", [
        ("1", "Rà soát quy định, thủ tục hành chính", [
            ("1.1", "Xây dựng kế hoạch rà soát quy định, thủ tục hành chính năm 2026", "Kế hoạch được ban hành",
             "Sở Tư pháp", "Sở Nội vụ", "Tháng 3/2026"),
            ("1.2", "Tổng hợp kết quả rà soát, đánh giá thủ tục hành chính thuộc thẩm quyền",
             "Báo cáo kết quả rà soát", "Văn phòng UBND tỉnh", "Sở Tư pháp", "30/6/2026"),
        ]),
    ]),
    ("II", "Kiểm tra, giám sát việc giải quyết thủ tục hành chính", [
        ("1", "Kiểm tra công tác kiểm soát thủ tục hành chính", [
            ("1.1", "Kiểm tra việc giải quyết thủ tục hành chính tại các sở", "Báo cáo kết quả kiểm tra",
             "Sở Nội vụ", "Văn phòng UBND tỉnh", "31/10/2026"),
            ("1.2", "Tuyên truyền về kiểm soát thủ tục hành chính trên cổng thông tin", "Tin, bài được đăng",
             "Sở Thông tin và Truyền thông", "Sở Tư pháp", "15/12/2026"),
        ]),
    ]),
]
CORRECTED = ("Tháng 3/2026", "30/4/2026")  # I.1.1's deadline, corrected in the preview


def build_docx() -> bytes:
    """The appendix as the office receives it: title, reference, one table with merged group and task rows."""
    document = Document()
    document.add_paragraph("DANH MỤC")
    document.add_paragraph("Kế hoạch kiểm soát thủ tục hành chính năm 2026 trên địa bàn tỉnh Hà Giang")
    document.add_paragraph(REFERENCE)
    table = document.add_table(rows=0, cols=6)
    for cell, text in zip(table.add_row().cells, ["STT", "Nội dung", "Sản phẩm/Chỉ tiêu", "Cơ quan chủ trì",
                                                  "Cơ quan phối hợp", "Thời gian hoàn thành"], strict=True):
        cell.text = text
    for number, title, tasks in PLAN:
        cells = table.add_row().cells
        cells[0].merge(cells[5]).text = f"{number}. Nhóm nhiệm vụ: {title}"
        for task_number, task_title, activities in tasks:
            cells = table.add_row().cells
            cells[0].text = f"{task_number}."
            cells[1].merge(cells[5]).text = task_title
            for values in activities:
                for cell, text in zip(table.add_row().cells, [f"{values[0]}.", *values[1:]], strict=True):
                    cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _upload(page, tmp_path, visits):
    source = tmp_path / "phu-luc-kh-2026.docx"
    source.write_bytes(build_docx())
    page.goto("/plans/")
    page.click("a:has-text('Nạp kế hoạch từ tệp')")
    page.wait_for_load_state()
    visits.look(page, "import-01-upload")
    page.set_input_files("input[name=file]", str(source))
    page.fill("input[name=code]", CODE)
    page.fill("input[name=year]", "2026")
    submit(page, "main form button[type=submit]")
    assert "Đã đọc tệp phu-luc-kh-2026.docx" in flashes(page), page.inner_text("main")[:1500]


def test_word_plan_upload_counts_what_it_read(login, visits, tmp_path):
    page = login("vanphong")
    _upload(page, tmp_path, visits)
    assert (kpi(page, "groups"), kpi(page, "tasks"), kpi(page, "activities"), kpi(page, "errors")) == (2, 2, 4, 0)
    visits.look(page, "import-02-preview")
    submit(page, "button:has-text('Huỷ, không nạp')")


def _cells(page) -> list[str]:
    """Every editable cell of the preview's current group, in order."""
    return [page.locator(f"[name='{name}']").input_value()
            for name in page.locator(".preview-tree [name]").evaluate_all("els => els.map(e => e.name)")]


def test_word_plan_preview_corrected_and_confirmed(login, visits, tmp_path):
    page = login("vanphong")
    _upload(page, tmp_path, visits)
    preview = page.url.split("?")[0]
    for index, (number, title, tasks) in enumerate(PLAN):  # every cell of every group, as in the document
        page.goto(f"{preview}?group={index}")
        assert page.locator(f"input[name$='g:{index}:title']").input_value() == title
        expected = [cell for _n, _t, activities in tasks for values in activities for cell in values[1:]]
        assert _cells(page) == expected, f"group {number}"
    visits.look(page, "import-03-preview-every-cell")

    page.goto(f"{preview}?group=0")
    deadline = page.locator(".preview-tree [name$='deadline']").first
    assert deadline.input_value() == CORRECTED[0]
    deadline.fill(CORRECTED[1])
    submit(page, "button:has-text('Lưu chỉnh sửa và kiểm tra lại')")
    assert "Đã lưu 1 chỉnh sửa" in flashes(page), flashes(page)
    cells = _cells(page)
    assert cells[4] == CORRECTED[1] and cells[:4] == list(PLAN[0][2][0][2][0][1:5]), cells  # nothing else lost
    assert "30/04/2026" in page.inner_text(".preview-tree")  # the due date recomputed from the corrected cell
    assert kpi(page, "errors") == 0
    visits.look(page, "import-04-preview-corrected")

    submit(page, "button:has-text('Xác nhận nạp kế hoạch')")
    assert f"Đã nạp kế hoạch {CODE}: 4 hoạt động" in flashes(page), flashes(page)
    page.click("a:has-text('Xem cây kế hoạch')")
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert "2 nhóm, 2 nhiệm vụ, 4 hoạt động" in main
    assert "45/QĐ-UBND" in page.inner_text("[data-ref]") and "UBND tỉnh Hà Giang" in page.inner_text("[data-ref]")
    visits.look(page, "import-05-plan")
    articles = page.locator("article.activity")
    assert articles.count() == 4
    for position, (_g, _t, values) in enumerate(
            (g, t, a) for g, _title, tasks in PLAN for t, _tt, activities in tasks for a in activities):
        article = articles.nth(position)
        units = {u.strip() for u in article.locator("td[data-label='Đơn vị']").all_inner_texts()}
        assert values[3] in units and values[4] in units, (values, units)  # lead and coordinating assigned
    assert "30/04/2026" in articles.nth(0).inner_text()
