"""Word and Excel appendices built here from the curated 2023 plan (file 003), read by the importer.

The builders write the files the way the office receives them: merged cells, headers repeated on each page,
footnote markers in cells (superscript in Word) and footnotes below the table. They do not use the exporter.
"""
import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import yaml
from docx import Document
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from models import Activity, Assignment, Plan, PlanImport, Unit
from tracker.domain.targets import parse_targets
from tracker.services import plan_import

PLAN_FILE = Path(__file__).resolve().parents[1] / "tracker" / "data" / "plans" / "ha-giang-2023-ksthc.yaml"
MAX = 20 * 1024 * 1024


def curated() -> dict:
    return yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))


def _counts(group: dict) -> str:
    return f" ({group['declared']['tasks']} nhiệm vụ, {group['declared']['activities']} hoạt động)"


SUB_ROWS_16 = [("Đối với các sở, ngành và tương đương thuộc UBND tỉnh", "100%"),
               ("Đối với các phòng, ban và tương đương thuộc UBND cấp huyện", "95%"), ("Đối với UBND cấp xã", "80%")]


def plan_rows(data: dict) -> list[dict]:
    """The appendix rows in document order: {"kind", "cells": [stt, content, product, lead, coord, deadline], …}."""
    rows: list[dict] = []
    for group in data["groups"]:
        rows.append({"kind": "group", "text": f"{group['number']}. Nhóm nhiệm vụ: {group['title']}{_counts(group)}"})
        for task in group["tasks"]:
            activities = task["activities"]
            own = len(activities) == 1 and activities[0]["number"] == task["number"]
            if task.get("title") is None:
                pass  # the title row was lost from the source: the importer must say so
            elif own and activities[0]["content"] == task["title"]:
                a = activities[0]
                rows.append({"kind": "activity", "cells": [f"{task['number']}.", a["content"], a.get("product") or "",
                                                           a.get("lead") or "", a.get("coordinating") or "",
                                                           a.get("deadline") or ""], "footnotes": []})
                continue
            else:
                rows.append({"kind": "task", "cells": [f"{task['number']}.", task["title"]]})
            for a in activities:
                number = "" if own else f"{a['number']}."
                product = a.get("product") or ""
                if a["number"] == "1.6" and group["number"] == "I":
                    product = ""
                rows.append({"kind": "activity", "footnotes": a.get("footnotes") or [], "cells": [
                    number, a["content"], product, a.get("lead") or "", a.get("coordinating") or "",
                    a.get("deadline") or ""], "multiline_product": a["number"] == "1.1" and group["number"] == "I",
                    "merge_down": a["number"] == "1.6" and group["number"] == "I"})
                if a["number"] == "1.6" and group["number"] == "I":
                    for label, value in SUB_ROWS_16:
                        rows.append({"kind": "sub", "cells": ["", label, value, "", "", ""]})
    return rows


def footnote_lines(data: dict) -> list[str]:
    return [f"({marker}) {text}" if int(marker) % 2 else f"{marker} {text}"
            for marker, text in data["footnotes"].items()]


def build_docx(data: dict, page: int = 18) -> bytes:
    """The appendix as Word: a title, the reference, one table with merges and repeated headers, footnotes."""
    document = Document()
    document.add_paragraph("DANH MỤC")
    document.add_paragraph(data["title"])
    document.add_paragraph("(Kèm theo Quyết định số 210/QĐ-UBND ngày 17 tháng 02 năm 2023 của UBND tỉnh Hà Giang)")
    header = ["STT", "Nội dung", "Sản phẩm/Chỉ tiêu", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"]
    rows = plan_rows(data)
    table = document.add_table(rows=0, cols=6)

    def add_header():
        cells = table.add_row().cells
        for cell, text in zip(cells, header, strict=True):
            cell.text = text

    add_header()
    sixteen_row = None
    for index, row in enumerate(rows):
        if index and index % page == 0:
            add_header()  # a header row at the top of each page, as in tables pasted from PDF
        cells = table.add_row().cells
        if row["kind"] == "group":
            merged = cells[0].merge(cells[5])
            merged.text = row["text"]
            continue
        if row["kind"] == "task":
            cells[0].text = row["cells"][0]
            merged = cells[1].merge(cells[5])
            merged.text = row["cells"][1]
            continue
        values = row["cells"]
        cells[0].text = values[0]
        paragraph = cells[1].paragraphs[0]
        paragraph.add_run(values[1])
        for marker in row.get("footnotes", []):
            paragraph.add_run(marker).font.superscript = True
        if row.get("multiline_product"):
            first, second = values[2].split("; ")
            cells[2].text = first
            cells[2].add_paragraph(second)
        else:
            cells[2].text = values[2]
        for position in (3, 4, 5):
            cells[position].text = values[position]
        if row["kind"] == "sub":
            continue
        if row.get("merge_down"):
            sixteen_row = len(table.rows) - 1
    # 1.6: lead, coordinating and deadline cells merged down over its three sub-rows
    for column in (3, 4, 5):
        top = table.cell(sixteen_row, column)
        text = top.text
        top.merge(table.cell(sixteen_row + 3, column)).text = text
    document.add_paragraph("Ghi chú:")
    for line in footnote_lines(data):
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def build_xlsx(data: dict, page: int = 25) -> bytes:
    """The appendix as Excel: other column order, a two-line header repeated per page, merged rows, footnotes."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    order = [0, 1, 5, 3, 4, 2]  # STT | Nội dung | Thời hạn | Chủ trì | Phối hợp | Sản phẩm
    sheet.append([data["title"]])
    sheet.merge_cells("A1:F1")
    sheet.append(["(Kèm theo Quyết định số 210/QĐ-UBND ngày 17/02/2023 của UBND tỉnh Hà Giang)"])
    sheet.merge_cells("A2:F2")

    def add_header():
        top = sheet.max_row + 1
        sheet.append(["TT", "Nội dung nhiệm vụ", "Thời hạn hoàn thành", "Cơ quan thực hiện", None, "Sản phẩm"])
        sheet.append([None, None, None, "Chủ trì", "Phối hợp", None])
        for column in (1, 2, 3, 6):
            sheet.merge_cells(start_row=top, start_column=column, end_row=top + 1, end_column=column)
        sheet.merge_cells(start_row=top, start_column=4, end_row=top, end_column=5)

    add_header()
    sheet.append(["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"])
    sixteen_row = 0
    for index, row in enumerate(plan_rows(data)):
        if index and index % page == 0:
            add_header()
        if row["kind"] == "group":
            sheet.append([row["text"]])
            sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=6)
            continue
        values = row["cells"] + [""] * (6 - len(row["cells"]))
        values[1] += "".join(f"({m})" for m in row.get("footnotes", []))
        sheet.append([values[i] or None for i in order])
        if row["kind"] == "task":
            sheet.merge_cells(start_row=sheet.max_row, start_column=2, end_row=sheet.max_row, end_column=6)
        if row.get("merge_down"):
            sixteen_row = sheet.max_row
    for column in (3, 4, 5):  # 1.6: deadline, lead, coordinating merged down over its three sub-rows
        sheet.merge_cells(start_row=sixteen_row, start_column=column, end_row=sixteen_row + 3, end_column=column)
    sheet.append([])
    for line in footnote_lines(data):
        sheet.append([line])
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=6)
    for column in range(1, 7):
        sheet.column_dimensions[get_column_letter(column)].width = 30
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def accept_lost_leads(imp) -> list[str]:
    """The clerk's decision for the curated plan: the activities whose lead cell was lost are imported as they are."""
    undecided = plan_import.undecided_leads(imp)
    plan_import.apply_corrections(None, imp, {}, {}, accepted=dict.fromkeys(undecided, True))
    return sorted(undecided.values())


LOST_LEADS = ["III.2.2", "III.3.1", "III.3.2", "III.4", "III.5.2", "III.5.3", "III.5.4", "IV.3"]


def expected_tree(data: dict) -> list:
    out = []
    for group in data["groups"]:
        out.append(("group", group["number"], group["title"], group["declared"]))
        for task in group["tasks"]:
            out.append(("task", task["number"], task.get("title") or ""))
            for a in task["activities"]:
                product = a.get("product") or ""
                out.append((a["number"], a["content"], product, a.get("lead") or "", a.get("coordinating") or "",
                            a.get("deadline") or "", a.get("footnotes") or [],
                            a.get("targets") or parse_targets(product)))
    return out


def parsed_tree(data: dict) -> list:
    out = []
    for group in data["groups"]:
        out.append(("group", group["number"], group["title"], group["declared"]))
        for task in group["tasks"]:
            out.append(("task", task["number"], task["title"]))
            out += [(a["number"], a["content"], a["product"], a["lead"], a["coordinating"], a["deadline"],
                     a["footnotes"], a["targets"]) for a in task["activities"]]
    return out


@pytest.mark.parametrize("builder", [build_docx, build_xlsx], ids=["docx", "xlsx"])
def test_appendix_reads_as_the_curated_plan(builder):
    data = curated()
    kind = "docx" if builder is build_docx else "xlsx"
    result, file_kind, layout = plan_import.parse_upload(f"phu-luc.{kind}", builder(data), MAX,
                                                         {"code": "HG-KSTTHC-2023"})
    assert (file_kind, layout) == (kind, "table")
    assert parsed_tree(result.data) == expected_tree(data)
    assert result.data["footnotes"] == {str(k): v for k, v in data["footnotes"].items()}
    assert result.data["title"] == data["title"] and result.data["year"] == 2023
    assert result.data["issuer"] == "UBND tỉnh Hà Giang"
    assert result.data["decision"] == {"type": "Quyết định", "number": "210/QĐ-UBND", "date": "2023-02-17"}
    assert result.data["declared"] == {"groups": 4, "tasks": 18, "activities": 57}
    assert [gap["number"] for gap in result.data["known_gaps"]] == ["III.2.1", "III.5.1", "IV.1"]
    read = [w["message"] for w in result.warnings if w.get("source") == "read"]
    # the two task rows lost from the source are reported, nothing else is out of place
    assert len(read) == 2 and all("không có dòng nhiệm vụ" in m for m in read)
    assert any(w["message"].endswith("nhóm III ghi 12 hoạt động, bảng có 10") for w in result.warnings)


@pytest.mark.parametrize("builder", [build_docx, build_xlsx], ids=["docx", "xlsx"])
def test_preview_then_commit_saves_tree_units_targets_and_deadlines(app, db, units, builder, tmp_path):
    content = builder(curated())
    imp = plan_import.create_preview(None, "phu-luc-210.docx" if builder is build_docx else "phu-luc-210.xlsx",
                                     content, upload_root=tmp_path, max_bytes=MAX, overrides={"code": "HG-KSTTHC-2023"})
    db.session.commit()
    assert imp.error_count == len(LOST_LEADS)
    assert accept_lost_leads(imp) == LOST_LEADS and imp.error_count == 0
    # the preview resolves units as they stood in 2023: "UBND cấp huyện" is the 11 districts of then
    tree = plan_import.preview_tree(imp, 0)
    first = tree["tasks"][0]["activities"][0]
    assert first["lead_units"] == 18 + 11 and first["due"] == date(2023, 12, 14)
    assert (tmp_path / imp.stored_path).read_bytes() == content

    plan, report = plan_import.commit_import(None, imp)
    db.session.commit()
    assert (report.groups, report.tasks, report.activities) == (4, 17, 54)
    assert plan.source_filename == imp.filename and plan.source_path == imp.stored_path
    assert imp.state == "committed" and imp.plan_id == plan.id

    activities = {(a.task.group.number, a.number): a for a in db.session.scalars(
        select(Activity).where(Activity.plan_id == plan.id))}
    sixteen = activities[("I", "1.6")]
    assert sixteen.targets == {"province": "100%", "district": "95%", "commune": "80%"}
    assert activities[("I", "2.1")].targets == {"province": "100%", "district": "60%", "commune": "30%"}
    assert activities[("I", "1.1")].footnotes == ["1"] and activities[("I", "1.1")].content.endswith("TTHC tỉnh")
    due = {key: (a.deadline_kind, a.due_date) for key, a in activities.items()}
    assert due[("II", "1.2")] == ("quarter", date(2023, 9, 30))
    assert due[("II", "4")] == ("before_date", date(2023, 9, 10))
    assert due[("II", "5.1")] == ("before_month", date(2023, 10, 31))
    assert due[("II", "1.6")] == ("quarter", date(2023, 6, 30))
    assert due[("II", "3.3")][0] == "continuous"

    departments = {u.code for u in units.values() if u.kind.code == "department"}
    lead_12 = set(db.session.scalars(select(Unit.code).join(Assignment, Assignment.unit_id == Unit.id).where(
        Assignment.activity_id == activities[("II", "1.2")].id, Assignment.responsibility == "lead")))
    # "Các sở, ban, ngành (Sở Tư pháp, Sở Tài chính đã hoàn thành năm 2022)": every department but those two
    assert lead_12 == departments - {"HG-STP", "HG-STC"}
    coordinating_12 = set(db.session.scalars(select(Unit.code).join(Assignment, Assignment.unit_id == Unit.id).where(
        Assignment.activity_id == activities[("II", "1.2")].id, Assignment.responsibility == "coordinating")))
    assert coordinating_12 == {"HG-VPUB", "HG-STP", "HG-STC"}
    periods = db.session.scalar(select(func.count(func.distinct(Assignment.period_label))).where(
        Assignment.activity_id == activities[("II", "3.3")].id))
    assert periods == 4  # continuous work reported quarterly


def test_round_trip_import_export_import_is_identical(db, units, tmp_path):
    first = plan_import.create_preview(None, "a.xlsx", build_xlsx(curated()), upload_root=tmp_path, max_bytes=MAX,
                                       overrides={"code": "KH-A"})
    accept_lost_leads(first)
    plan_a, _ = plan_import.commit_import(None, first)
    exported = plan_import.export_xlsx(plan_a)
    second = plan_import.create_preview(None, "b.xlsx", exported, upload_root=tmp_path, max_bytes=MAX,
                                        overrides={"code": "KH-B"})
    assert second.read_warnings == [] and second.warnings == []
    plan_b, _ = plan_import.commit_import(None, second)
    mapping_a, mapping_b = plan_import.plan_mapping(plan_a), plan_import.plan_mapping(plan_b)
    assert mapping_a.pop("code") == "KH-A" and mapping_b.pop("code") == "KH-B"
    assert mapping_a == mapping_b
    count = select(func.count(Assignment.id)).where(Assignment.plan_id == plan_a.id)
    assert db.session.scalar(count) == db.session.scalar(
        select(func.count(Assignment.id)).where(Assignment.plan_id == plan_b.id))


def test_export_of_the_curated_plan_reads_back(db, units, tmp_path):
    from tracker.services.plans import load_plan_file

    plan, _ = load_plan_file(PLAN_FILE)
    imp = plan_import.create_preview(None, "x.xlsx", plan_import.export_xlsx(plan), upload_root=tmp_path,
                                     max_bytes=MAX, overrides={"code": "KH-COPY"})
    copy, _ = plan_import.commit_import(None, imp)
    original, again = plan_import.plan_mapping(plan), plan_import.plan_mapping(copy)
    for mapping in (original, again):
        mapping.pop("code")
        mapping["known_gaps"] = [gap["number"] for gap in mapping["known_gaps"]]
    assert original == again


def test_clone_into_next_year(db, units, tmp_path):
    from tracker.services.plans import load_plan_file

    plan, _ = load_plan_file(PLAN_FILE)
    clone, report = plan_import.clone_plan(None, plan, "HG-KSTTHC-2024")
    assert (clone.year, clone.title) == (2024, plan.title.replace("2023", "2024"))
    assert report.activities == 54 and clone.doc_number == "" and clone.known_gaps == []
    due = {a.number + a.task.group.number: (a.deadline_text, a.due_date) for a in db.session.scalars(
        select(Activity).where(Activity.plan_id == clone.id))}
    assert due["1.1I"] == ("14/12/2024", date(2024, 12, 14))
    assert due["1.2II"] == ("Quý III/2024", date(2024, 9, 30))
    assert due["3.2III"] == ("Năm 2024", date(2024, 12, 31))
    assert not db.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.plan_id == clone.id, Assignment.percent > 0))


# ---- refusals: a clear message and nothing saved ------------------------------------------------------------

def _ole_with(stream_name: str) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + stream_name.encode("utf-16-le") + b"\0" * 64


def _zip_with(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _macro_workbook() -> bytes:
    content = build_xlsx(curated())
    source = zipfile.ZipFile(io.BytesIO(content))
    files = {name: source.read(name) for name in source.namelist()}
    files["xl/vbaProject.bin"] = b"\0" * 128
    return _zip_with(files)


def _missing_columns_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["STT", "Nội dung", "Sản phẩm"])
    workbook.active.append(["1.1", "Việc", "100%"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


BAD_FILES = [
    ("ke-hoach.pdf", b"%PDF-1.7 ...", "không phải tệp Word (.docx) hoặc Excel (.xlsx)"),
    ("ke-hoach.txt", "I. Nhóm".encode(), "không phải tệp Word (.docx) hoặc Excel (.xlsx)"),
    ("ke-hoach.docx", b"This is not a zip at all", "bị hỏng hoặc không phải tệp .docx thật"),
    ("ke-hoach.xlsx", b"PK\x03\x04" + b"\x00" * 200, "bị hỏng"),
    ("mat-khau.xlsx", _ole_with("EncryptedPackage"), "được đặt mật khẩu"),
    ("mat-khau.docx", _ole_with("EncryptedPackage"), "được đặt mật khẩu"),
    ("cu.xls", _ole_with("Workbook"), "định dạng Word/Excel cũ"),
    ("nang.xlsx", b"PK\x03\x04" + b"\0" * (50 * 1024 * 1024), "vượt giới hạn 20 MB"),
    ("thieu-cot.xlsx", _missing_columns_workbook(), "thiếu cột: Chủ trì, Thời hạn"),
    ("macro.xlsm", b"PK\x03\x04", "có chứa macro"),
    ("macro-an.xlsx", _macro_workbook(), "có chứa macro"),
    ("khong-phai.xlsx", _zip_with({"hello.txt": b"hi"}), "không phải tài liệu Word hoặc bảng tính Excel"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_refused_with_a_clear_message_and_nothing_saved(db, units, tmp_path, name, content, message):
    with pytest.raises(plan_import.PlanImportError) as error:
        plan_import.create_preview(None, name, content, upload_root=tmp_path, max_bytes=MAX)
    assert message in str(error.value)
    db.session.rollback()
    assert db.session.scalar(select(func.count(PlanImport.id))) == 0
    assert db.session.scalar(select(func.count(Plan.id))) == 0
    assert not any(tmp_path.rglob("*.*"))


def test_confirm_is_all_or_nothing(db, units, tmp_path):
    data = curated()
    data["groups"][0]["tasks"][0]["activities"][0]["deadline"] = "Quý V/2023"
    imp = plan_import.create_preview(None, "a.xlsx", build_xlsx(data), upload_root=tmp_path, max_bytes=MAX,
                                     overrides={"code": "KH-X"})
    accept_lost_leads(imp)
    assert imp.error_count == 1
    with pytest.raises(plan_import.PlanImportError, match="Quý V"):
        plan_import.commit_import(None, imp)
    assert db.session.scalar(select(func.count(Plan.id))) == 0
    changed = plan_import.apply_corrections(None, imp, {}, {"a:0:0:0:deadline": "Quý IV/2023"})
    assert changed == 1 and imp.error_count == 0
    plan, report = plan_import.commit_import(None, imp)
    assert report.activities == 54 and plan.code == "KH-X"


def test_cli_dry_run_and_import(runner, units, tmp_path):
    path = tmp_path / "phu-luc.docx"
    path.write_bytes(build_docx(curated()))
    result = runner.invoke(args=["import", "plan", str(path), "--dry-run", "--code", "KH-CLI"])
    assert result.exit_code == 0, result.output
    assert "Đọc được 4 nhóm, 17 nhiệm vụ, 54 hoạt động" in result.output
    assert "Cảnh báo: Văn bản thiếu hoạt động III.2.1" in result.output and "không lưu gì" in result.output
    from models import db as _db

    assert _db.session.scalar(select(func.count(Plan.id))) == 0
    result = runner.invoke(args=["import", "plan", str(path), "--code", "KH-CLI"])
    assert result.exit_code != 0 and "hoạt động III.2.2: chưa có đơn vị chủ trì" in result.output
    result = runner.invoke(args=["import", "plan", str(path), "--code", "KH-CLI", "--accept-unresolved-leads"])
    assert result.exit_code == 0, result.output
    assert "Chấp nhận nạp không rõ đơn vị chủ trì: " + ", ".join(LOST_LEADS) in result.output
    assert "Đã nạp kế hoạch KH-CLI: 54 hoạt động" in result.output
    plan = _db.session.scalar(select(Plan).where(Plan.code == "KH-CLI"))
    assert plan.source_filename == "phu-luc.docx"
    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"%PDF")
    result = runner.invoke(args=["import", "plan", str(bad)])
    assert result.exit_code != 0 and "không phải tệp Word" in result.output


def test_word_plan_written_as_a_numbered_list(db, units, tmp_path):
    document = Document()
    for line in ("KẾ HOẠCH KIỂM SOÁT TTHC NĂM 2024",
                 "(Kèm theo Quyết định số 12/QĐ-UBND ngày 05/01/2024 của UBND tỉnh Hà Giang)",
                 "I. Nhóm nhiệm vụ: Hoàn thiện thể chế (1 nhiệm vụ, 2 hoạt động)",
                 "1. Rà soát quy định",
                 "1.1. Rà soát các quy định về TTHC. Hoàn thành trước ngày 30/9/2024.",
                 "1.2. Công bố danh mục TTHC (Quý II/2024). Chủ trì: Sở Tư pháp; Phối hợp: Văn phòng UBND tỉnh"):
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    imp = plan_import.create_preview(None, "ke-hoach.docx", out.getvalue(), upload_root=tmp_path, max_bytes=MAX)
    assert imp.layout == "list" and imp.data["code"] == "KH-2024-12-QD-UBND"
    [first, second] = imp.data["groups"][0]["tasks"][0]["activities"]
    assert (first["content"], first["deadline"]) == ("Rà soát các quy định về TTHC", "Hoàn thành trước ngày 30/9/2024")
    assert (second["lead"], second["coordinating"], second["deadline"]) == (
        "Sở Tư pháp", "Văn phòng UBND tỉnh", "Quý II/2024")
    assert any("hoạt động I.1.1: chưa có đơn vị chủ trì" in w["message"] for w in imp.warnings)
    assert plan_import.apply_corrections(None, imp, {}, {"a:0:0:0:lead": "Sở Nội vụ"}) == 1
    plan, report = plan_import.commit_import(None, imp)
    assert report.activities == 2 and plan.doc_date == date(2024, 1, 5)
    due = sorted(db.session.scalars(select(Activity.due_date).where(Activity.plan_id == plan.id)))
    assert due == [date(2024, 6, 30), date(2024, 9, 30)]
