"""The web import as a clerk uses it: what the preview shows and posts back, the issuing unit, unit matching
within the issuing province, unresolved leads, and the round trip through the app's own Excel export.

Each test here reproduces a defect found by using the product (issue 9, defect 2).
"""
import io
import re
from html.parser import HTMLParser

import pytest
from docx import Document
from sqlalchemy import select

from models import Activity, Assignment, Plan, PlanImport, Unit
from tests.test_plan_import_files import build_xlsx, curated
from tracker.services import plan_import
from tracker.services.plans import DATA_DIR, load_plan_file
from tracker.services.units import DATA_DIR as UNITS_DIR
from tracker.services.units import load_units_file

HEADER = ["STT", "Nội dung", "Sản phẩm/Chỉ tiêu", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn"]
#: a short plan of the Hà Giang office: (number, content, product, lead, coordinating, deadline)
SMALL_ROWS = [
    ("I.", "Nhóm nhiệm vụ: Kiểm soát thủ tục hành chính"),
    ("1.", "Rà soát thủ tục hành chính"),
    ("1.1.", "Rà soát quy định về TTHC", "Báo cáo rà soát", "Sở Tư pháp", "Văn phòng UBND tỉnh", "Quý III/2024"),
    ("1.2.", "Tổng hợp kết quả rà soát", "Báo cáo", "Văn phòng UBND tỉnh", "Các sở, ban, ngành", "30/11/2024"),
    ("2.", "Công khai thủ tục hành chính"),
    ("2.1.", "Công bố danh mục TTHC", "Quyết định công bố", "Sở Nội vụ", "", "Thường xuyên"),
]


def small_docx(rows=SMALL_ROWS, issuer: str = "UBND tỉnh Hà Giang") -> bytes:
    """A Word appendix as the office receives it: title, reference line, one table."""
    document = Document()
    document.add_paragraph("KẾ HOẠCH KIỂM SOÁT THỦ TỤC HÀNH CHÍNH NĂM 2024")
    document.add_paragraph(f"(Kèm theo Quyết định số 15/QĐ-UBND ngày 10/01/2024 của {issuer})")
    table = document.add_table(rows=1, cols=6)
    for cell, text in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        if len(row) == 2:
            cells[0].text = row[0]
            cells[1].merge(cells[5]).text = row[1]
        else:
            for cell, text in zip(cells, row, strict=True):
                cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class _FormFields(HTMLParser):
    """The named inputs and textareas of one form, as a browser would post them."""

    def __init__(self, action_part: str):
        super().__init__()
        self.action_part, self.inside, self.fields = action_part, False, {}
        self._textarea: str | None = None
        self._select: str | None = None
        self.labels: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = self.action_part in (attrs.get("action") or "") and "confirm" not in attrs["action"] \
                and "discard" not in attrs["action"]
        elif self.inside and tag == "input" and attrs.get("name") and attrs.get("type") not in ("checkbox", "submit"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
            self.labels[attrs["name"]] = attrs.get("aria-label") or attrs.get("id") or ""
        elif self.inside and tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
            self.fields[self._select] = ""
        elif self.inside and tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select] = attrs.get("value") or ""
        elif self.inside and tag == "textarea":
            self._textarea = attrs.get("name")
            self.fields[self._textarea] = ""
            self.labels[self._textarea] = attrs.get("aria-label") or attrs.get("id") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            # the HTML parser hands the text over in pieces
            self.fields[self._textarea] += data.removeprefix("\n") if not self.fields[self._textarea] else data


def preview_fields(client, import_id: int, group: int = 0) -> dict[str, str]:
    """What the browser would post from the preview's correction form, untouched."""
    page = client.get(f"/plan-imports/{import_id}?group={group}").get_data(as_text=True)
    parser = _FormFields(f"/plan-imports/{import_id}")
    parser.feed(page)
    return parser.fields


def upload(client, content: bytes, name: str, **fields):
    response = client.post("/plan-imports/", data={"file": (io.BytesIO(content), name), **fields},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return int(response.headers["Location"].rstrip("/").split("/")[-1].split("?")[0])


@pytest.fixture()
def both_provinces(db, units):
    """Hà Giang (the `units` fixture) and Hậu Giang, as the demo data loads them."""
    load_units_file(UNITS_DIR / "hau-giang.yaml")
    db.session.commit()
    return {u.code: u for u in db.session.scalars(select(Unit))}


def _activity_cells(data: dict, group: int = 0):
    for t_index, task in enumerate(data["groups"][group]["tasks"]):
        for a_index, activity in enumerate(task["activities"]):
            yield f"cell-a:{group}:{t_index}:{a_index}:", activity


def test_preview_shows_every_parsed_cell(client, login_as, db, units):
    login_as("office")
    import_id = upload(client, build_xlsx(curated()), "phu-luc.xlsx", code="HG-2023")
    imp = db.session.get(PlanImport, import_id)
    fields = preview_fields(client, import_id)
    shown = 0
    for prefix, activity in _activity_cells(imp.data):
        for name in ("content", "product", "lead", "coordinating", "deadline"):
            assert fields[prefix + name] == (activity.get(name) or ""), prefix + name
            shown += bool(activity.get(name))
    assert shown > 60  # group I has 17 activities, most with five filled cells
    assert fields["cell-g:0:title"] == imp.data["groups"][0]["title"]
    assert fields["cell-t:0:0:title"] == imp.data["groups"][0]["tasks"][0]["title"]


def test_saving_one_correction_keeps_every_other_cell(client, login_as, db, units):
    login_as("office")
    import_id = upload(client, build_xlsx(curated()), "phu-luc.xlsx", code="HG-2023")
    before = db.session.get(PlanImport, import_id).data
    fields = preview_fields(client, import_id)
    fields["cell-a:0:0:1:deadline"] = "Quý IV/2023"
    response = client.post(f"/plan-imports/{import_id}?group=0", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    assert "Đã lưu 1 chỉnh sửa" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    after = db.session.get(PlanImport, import_id).data
    before["groups"][0]["tasks"][0]["activities"][1]["deadline"] = "Quý IV/2023"
    assert after["groups"] == before["groups"]


def test_confirming_without_edits_keeps_the_issuing_unit(client, login_as, db, units):
    login_as("office")
    import_id = upload(client, small_docx(), "ke-hoach.docx", code="HG-KS-2024")
    imp = db.session.get(PlanImport, import_id)
    assert client.post(f"/plan-imports/{import_id}/confirm", data={"version": imp.version}).status_code == 302
    plan = db.session.scalar(select(Plan).where(Plan.code == "HG-KS-2024"))
    assert plan.issuer_unit_id == units["HG"].id
    # "Các sở, ban, ngành" expanded to the Hà Giang departments
    coordinating = set(db.session.scalars(select(Unit.code).join(Assignment, Assignment.unit_id == Unit.id).where(
        Assignment.plan_id == plan.id, Assignment.responsibility == "coordinating")))
    departments = {u.code for u in units.values() if u.kind.code == "department"}
    assert departments <= coordinating


def test_units_are_matched_within_the_issuing_province(client, login_as, db, both_provinces):
    login_as("office")
    rows = [*SMALL_ROWS[:3],
            ("1.2.", "Phối hợp với tỉnh bạn", "Báo cáo", "Văn phòng UBND tỉnh", "UBND tỉnh Hậu Giang", "30/11/2024")]
    import_id = upload(client, small_docx(rows), "ke-hoach.docx", code="HG-KS-2024")
    imp = db.session.get(PlanImport, import_id)
    messages = [w["message"] for w in imp.warnings]
    assert any("không tìm thấy đơn vị «UBND tỉnh Hậu Giang»" in m for m in messages), messages
    # the office's own lead is not lost to the other province's office of the same name
    assert not any("«Văn phòng UBND tỉnh»" in m for m in messages), messages
    assert client.post(f"/plan-imports/{import_id}/confirm", data={"version": imp.version}).status_code == 302
    plan = db.session.scalar(select(Plan).where(Plan.code == "HG-KS-2024"))
    assigned = set(db.session.scalars(select(Unit.code).join(Assignment, Assignment.unit_id == Unit.id)
                                      .where(Assignment.plan_id == plan.id)))
    assert {"HG-STP", "HG-VPUB"} <= assigned
    assert not any(code.startswith("HAG") for code in assigned), assigned


def _unknown_lead_rows():
    return [*SMALL_ROWS[:3],
            ("1.2.", "Tổng hợp kết quả rà soát", "Báo cáo", "Sở Không Tồn Tại", "", "30/11/2024"),
            ("1.3.", "Việc chưa giao", "Báo cáo", "", "", "30/11/2024")]


def test_an_unresolved_lead_blocks_the_confirmation_naming_the_row(client, login_as, db, units):
    login_as("office")
    import_id = upload(client, small_docx(_unknown_lead_rows()), "ke-hoach.docx", code="HG-KS-2024")
    imp = db.session.get(PlanImport, import_id)
    response = client.post(f"/plan-imports/{import_id}/confirm", data={"version": imp.version})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "hoạt động I.1.2" in page and "Sở Không Tồn Tại" in page and "hoạt động I.1.3" in page
    assert db.session.scalar(select(Plan.id)) is None

    # the clerk picks a unit for 1.2 and accepts 1.3 without a lead
    fields = preview_fields(client, import_id)
    assert "pick-a:0:0:1" in fields and "pick-a:0:0:2" in fields
    fields["pick-a:0:0:1"] = str(units["HG-SNV"].id)
    fields["accept-a:0:0:2"] = "1"
    response = client.post(f"/plan-imports/{import_id}?group=0", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    db.session.expire_all()
    imp = db.session.get(PlanImport, import_id)
    assert imp.data["groups"][0]["tasks"][0]["activities"][1]["lead"] == "Sở Nội vụ"
    assert imp.error_count == 0, imp.warnings
    assert client.post(f"/plan-imports/{import_id}/confirm", data={"version": imp.version}).status_code == 302
    plan = db.session.scalar(select(Plan).where(Plan.code == "HG-KS-2024"))
    activities = {a.number: a for a in db.session.scalars(select(Activity).where(Activity.plan_id == plan.id))}
    leads = set(db.session.scalars(select(Unit.code).join(Assignment, Assignment.unit_id == Unit.id).where(
        Assignment.activity_id == activities["1.2"].id, Assignment.responsibility == "lead")))
    assert leads == {"HG-SNV"}
    assert activities["1.3"].lead_text == ""


def test_an_acceptance_lapses_when_the_lead_changes(db, units, tmp_path):
    imp = plan_import.create_preview(None, "k.docx", small_docx(_unknown_lead_rows()), upload_root=tmp_path,
                                     max_bytes=20 << 20, overrides={"code": "HG-KS-2024"})
    assert imp.error_count == 2
    plan_import.apply_corrections(None, imp, {}, {}, accepted={"a:0:0:1": True, "a:0:0:2": True})
    assert imp.error_count == 0
    plan_import.apply_corrections(None, imp, {}, {"a:0:0:1:lead": "Sở Khác Nữa"})
    assert [w["number"] for w in imp.warnings if w["level"] == "error"] == ["I.1.2"]


@pytest.mark.parametrize("plan_file", ["ha-giang-2023-ksthc.yaml", "hau-giang-1487-2024.yaml"])
def test_the_apps_own_export_reimports_cleanly_through_the_web(client, login_as, db, both_provinces, plan_file):
    plan, _report = load_plan_file(DATA_DIR / plan_file)
    db.session.commit()
    login_as("office", "HG-VPUB" if plan.code.startswith("HG") else "HAG-VPUB")
    exported = client.get(f"/plan-imports/plans/{plan.id}/export.xlsx")
    assert exported.status_code == 200
    import_id = upload(client, exported.data, f"{plan.code}.xlsx", code=f"{plan.code}-B")
    page = client.get(f"/plan-imports/{import_id}").get_data(as_text=True)
    imp = db.session.get(PlanImport, import_id)
    assert imp.warnings == [] and re.search(r'data-kpi="warnings">0<', page)
    response = client.post(f"/plan-imports/{import_id}/confirm", data={"version": imp.version})
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    again = db.session.scalar(select(Plan).where(Plan.code == f"{plan.code}-B"))
    first, second = plan_import.plan_mapping(plan), plan_import.plan_mapping(again)
    first.pop("code"), second.pop("code")
    for mapping in (first, second):
        mapping["known_gaps"] = [gap["number"] for gap in mapping["known_gaps"]]
    assert second == first
    assert again.issuer_unit_id == plan.issuer_unit_id

    def assignments(p):
        return sorted(db.session.execute(
            select(Activity.number, Assignment.unit_id, Assignment.responsibility, Assignment.period_label,
                   Assignment.due_date)
            .join(Activity, Assignment.activity_id == Activity.id).where(Assignment.plan_id == p.id)).all())

    assert assignments(again) == assignments(plan)


def test_every_preview_field_is_labelled(client, login_as, db, units):
    login_as("office")
    import_id = upload(client, small_docx(_unknown_lead_rows()), "ke-hoach.docx", code="HG-KS-2024")
    page = client.get(f"/plan-imports/{import_id}").get_data(as_text=True)
    for match in re.finditer(r"<(textarea|input|select)\b([^>]*)>", page):
        attrs = match.group(2)
        if 'type="hidden"' in attrs:
            continue
        element_id = re.search(r'\bid="([^"]+)"', attrs)
        labelled = "aria-label=" in attrs or "aria-labelledby=" in attrs or (
            element_id and f'for="{element_id.group(1)}"' in page)
        assert labelled, match.group(0)[:200]


def test_bad_decisions_are_refused_naming_the_problem(client, login_as, db, both_provinces):
    login_as("office")
    import_id = upload(client, small_docx(_unknown_lead_rows()), "ke-hoach.docx", code="HG-KS-2024")
    before = db.session.get(PlanImport, import_id).data
    fields = preview_fields(client, import_id)
    cases = [
        ({"pick-a:0:0:1": str(both_provinces["HAG-STTTT"].id)}, "không thuộc tỉnh ban hành"),
        ({"pick-a:0:0:1": "abc"}, "Đơn vị đã chọn không hợp lệ"),
        ({"pick-a:0:0:1": "99999999999999999999"}, "Đơn vị đã chọn không hợp lệ"),
        ({"pick-a:9:9:9": str(both_provinces["HG-STP"].id)}, "không có trong bản xem trước"),
        ({"shown-a:0:x:1": "1", "accept-a:0:x:1": "1"}, "không có trong bản xem trước"),
        ({"issuer_unit": "KHONG-CO"}, "Hãy chọn tỉnh ban hành trong danh sách"),
    ]
    for extra, message in cases:
        response = client.post(f"/plan-imports/{import_id}?group=0", data={**fields, **extra})
        assert response.status_code == 400, extra
        assert message in response.get_data(as_text=True), extra
    db.session.expire_all()
    imp = db.session.get(PlanImport, import_id)
    assert imp.data == before and imp.error_count == 2


def test_a_lead_edited_in_the_exported_file_is_asked_again(db, units, tmp_path):
    import openpyxl

    plan, _report = load_plan_file(DATA_DIR / "ha-giang-2023-ksthc.yaml")
    workbook = openpyxl.load_workbook(io.BytesIO(plan_import.export_xlsx(plan)))
    sheet = workbook.active
    notes = [row[0].value for row in sheet.iter_rows() if str(row[0].value or "").startswith("Đã chấp nhận")]
    assert len(notes) == 1 and "III.2.2 [" in notes[0] and "II.2.1 [" in notes[0]
    [lead_cell] = [row[3] for row in sheet.iter_rows() if row[0].value == "2.2" and row[1].value.startswith("Tiếp tục")]
    lead_cell.value = "Sở Không Tồn Tại"
    out = io.BytesIO()
    workbook.save(out)
    imp = plan_import.create_preview(None, "sua.xlsx", out.getvalue(), upload_root=tmp_path, max_bytes=20 << 20,
                                     overrides={"code": "KH-SUA"})
    assert [(w["number"], w["level"]) for w in imp.warnings] == [("III.2.2", "error")]
    assert "Sở Không Tồn Tại" in imp.warnings[0]["message"]
