"""The web plan import in headless Chromium, as the office clerk does it: upload a Word appendix, read every cell
in the preview, correct a cell and pick a unit for a lead that matched none, save and check again, confirm,
then find the plan with its units, deadlines and issuing province. axe-core checks the preview at desktop and
phone width; screenshots go to tests/out/screens/ (not committed).
"""
from datetime import date

import pytest
from sqlalchemy import select

from models import Activity, Assignment, Plan, PlanImport, Unit
from tests.axe import assert_accessible
from tests.browser_support import login
from tests.browser_support import shoot as _shoot
from tests.factories import PASSWORD
from tests.test_plan_import_web import SMALL_ROWS, both_provinces, small_docx  # noqa: F401 — fixture

pytestmark = pytest.mark.browser

ROWS = [*SMALL_ROWS,
        ("2.2.", "Niêm yết TTHC tại bộ phận một cửa", "100% TTHC được niêm yết", "Sở Không Tồn Tại",
         "UBND cấp huyện", "Quý II/2024")]


def _cells(data: dict):
    for t_index, task in enumerate(data["groups"][0]["tasks"]):
        for a_index, activity in enumerate(task["activities"]):
            yield f"a:0:{t_index}:{a_index}", activity


def test_import_a_word_plan_through_the_browser(app, db, both_provinces, make_user, live_server, browser,  # noqa: F811
                                                tmp_path):
    office = make_user("office", "HG-VPUB")
    page = login(browser, live_server, office.username, PASSWORD)
    page.goto(f"{live_server}/plan-imports/")
    assert_accessible(page, "plan upload")
    appendix = tmp_path / "QD-15-phu-luc.docx"
    appendix.write_bytes(small_docx(ROWS))
    page.set_input_files("input[type=file]", str(appendix))
    page.fill("input[name=code]", "HG-KSTTHC-2024")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert "Xem trước: QD-15-phu-luc.docx" in page.content()

    # every parsed cell is in its field, under a label a screen reader announces
    imp = db.session.scalar(select(PlanImport))
    for key, activity in _cells(imp.data):
        for name in ("content", "product", "lead", "coordinating", "deadline"):
            field = page.locator(f'[name="cell-{key}:{name}"]')
            assert field.input_value() == (activity[name] or ""), (key, name)
            assert field.get_attribute("aria-label").endswith(f"hoạt động I.{activity['number']}")
    assert page.locator("[data-kpi=errors]").inner_text() == "1"
    assert "không tìm thấy đơn vị «Sở Không Tồn Tại»" in page.content()
    assert page.locator("select[name=issuer_unit]").input_value() == "HG"
    assert_accessible(page, "plan import preview (desktop)")
    page.set_viewport_size({"width": 375, "height": 812})
    assert_accessible(page, "plan import preview (phone)")
    _shoot(page, "20-plan-import-preview")

    # correct one cell, pick the unit the unknown name meant, save and check again
    page.fill('[name="cell-a:0:0:0:deadline"]', "Quý IV/2024")
    page.select_option('[name="pick-a:0:1:1"]', label="Sở Văn hoá, Thể thao và Du lịch")
    page.click("text=Lưu chỉnh sửa và kiểm tra lại")
    page.wait_for_load_state()
    assert "Đã lưu 2 chỉnh sửa" in page.content()
    assert page.locator('[name="cell-a:0:0:0:deadline"]').input_value() == "Quý IV/2024"
    assert page.locator('[name="cell-a:0:1:1:lead"]').input_value() == "Sở Văn hoá, Thể thao và Du lịch"
    assert page.locator('[name="cell-a:0:0:1:content"]').input_value() == "Tổng hợp kết quả rà soát"
    assert page.locator("[data-kpi=errors]").inner_text() == "0"
    _shoot(page, "21-plan-import-corrected")

    page.click("text=Xác nhận nạp kế hoạch")
    page.wait_for_load_state()
    assert "Đã nạp kế hoạch HG-KSTTHC-2024: 4 hoạt động" in page.content()
    _shoot(page, "22-plan-import-done")

    db.session.expire_all()
    plan = db.session.scalar(select(Plan).where(Plan.code == "HG-KSTTHC-2024"))
    assert plan.issuer_unit_id == both_provinces["HG"].id and plan.doc_number == "15/QĐ-UBND"
    activities = {a.number: a for a in db.session.scalars(select(Activity).where(Activity.plan_id == plan.id))}
    assert activities["1.1"].due_date == date(2024, 12, 31) and activities["1.2"].due_date == date(2024, 11, 30)
    assert activities["2.2"].due_date == date(2024, 6, 30)

    def units_of(number, responsibility):
        return set(db.session.scalars(select(Unit.code).join(Assignment, Assignment.unit_id == Unit.id).where(
            Assignment.activity_id == activities[number].id, Assignment.responsibility == responsibility)))

    assert units_of("1.1", "lead") == {"HG-STP"} and units_of("1.1", "coordinating") == {"HG-VPUB"}
    assert units_of("1.2", "lead") == {"HG-VPUB"}
    assert units_of("2.2", "lead") == {"HG-SVHTTDL"}
    districts = {u.code for u in both_provinces.values() if u.kind.code == "district"}
    assert units_of("2.2", "coordinating") == districts

    page.goto(f"{live_server}/plans/{plan.id}")
    assert "Sở Văn hoá, Thể thao và Du lịch" in page.content()
