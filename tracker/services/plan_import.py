"""Importing a plan from the decision's Word or Excel appendix: check the file, read it, preview, confirm.

Also the way back (export a plan to .xlsx in the same table layout) and cloning a plan into the next year.
Services flush, never commit; the caller commits once.
"""
import copy
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Plan, PlanImport, Task, TaskGroup, Unit, db, utcnow
from tracker.domain import plan_table
from tracker.domain.deadlines import DeadlineError, parse_deadline
from tracker.domain.plan_table import ParseResult, TableError
from tracker.domain.textnorm import clean, fold
from tracker.services import audit
from tracker.services.plans import (
    LoadSummary,
    PlanError,
    issuer_unit_code,
    load_plan,
    plan_unit_infos,
    require_plan_manager,
)
from tracker.services.unit_of_work import check_version

DEFAULT_MAX_MB = 20
IMPORT_FOLDER = "plan_imports"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
# an encrypted (password-protected) Office file is an OLE container holding this stream
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam", ".docm", ".dotm")
_LEGACY_EXTENSIONS = (".doc", ".xls", ".dot", ".xlt")
#: unpacked size allowed per packed byte before the file is taken for a zip bomb
_MAX_EXPANSION = 10
CELL_FIELDS = ("content", "product", "lead", "coordinating", "deadline")


class PlanImportError(ValueError):
    """A file or an import that is refused; the message (lazy gettext) says why and what to do."""


@dataclass
class SourceDocument:
    """What a file holds, before interpretation: table rows (merged cells filled) or paragraph lines."""

    kind: str
    rows: list[list[str]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)
    trailer: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


# ---- checking and reading files ----------------------------------------------------------------------------

def max_bytes_from(config) -> int:
    """The size limit for plan files, from PLAN_IMPORT_MAX_MB (default 20 MB)."""
    return int(config.get("PLAN_IMPORT_MAX_MB", DEFAULT_MAX_MB)) * 1024 * 1024


def inspect_file(filename: str, content: bytes, max_bytes: int) -> str:
    """"docx" or "xlsx" for an acceptable file; PlanImportError naming the problem otherwise."""
    name = filename or str(_l("(không tên)"))
    suffix = Path(name.lower()).suffix
    limit_mb = max_bytes / 1024 / 1024
    if len(content) > max_bytes:
        raise PlanImportError(_l("Tệp «%(name)s» nặng %(size)s MB, vượt giới hạn %(limit)s MB. "
                                 "Hãy tách phụ lục hoặc bỏ hình ảnh rồi tải lại.", name=name,
                                 size=f"{len(content) / 1024 / 1024:.1f}", limit=f"{limit_mb:g}"))
    if not content:
        raise PlanImportError(_l("Tệp «%(name)s» rỗng.", name=name))
    if suffix in _MACRO_EXTENSIONS:
        raise PlanImportError(_l("Tệp «%(name)s» có chứa macro (%(suffix)s); vì an toàn hệ thống không nhận. "
                                 "Hãy lưu lại dưới dạng .xlsx hoặc .docx thông thường.", name=name, suffix=suffix))
    if content.startswith(_OLE_MAGIC):
        if _ENCRYPTED_STREAM in content:
            raise PlanImportError(_l("Tệp «%(name)s» được đặt mật khẩu (mã hoá) nên không đọc được. "
                                     "Hãy bỏ mật khẩu rồi tải lại.", name=name))
        raise PlanImportError(_l("Tệp «%(name)s» là định dạng Word/Excel cũ (.doc/.xls). "
                                 "Hãy mở và lưu lại dưới dạng .docx hoặc .xlsx.", name=name))
    if suffix in _LEGACY_EXTENSIONS:
        raise PlanImportError(_l("Tệp «%(name)s» là định dạng cũ (%(suffix)s). Hãy lưu lại dưới dạng .docx hoặc "
                                 ".xlsx.", name=name, suffix=suffix))
    if suffix not in (".docx", ".xlsx"):
        raise PlanImportError(_l("Tệp «%(name)s» không phải tệp Word (.docx) hoặc Excel (.xlsx).", name=name))
    if not content.startswith(_ZIP_MAGIC):
        raise PlanImportError(_l("Tệp «%(name)s» bị hỏng hoặc không phải tệp %(suffix)s thật (có thể chỉ bị đổi "
                                 "đuôi tên).", name=name, suffix=suffix))
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            names = archive.namelist()
            if sum(info.file_size for info in archive.infolist()) > max_bytes * _MAX_EXPANSION:
                raise PlanImportError(_l("Tệp «%(name)s» giải nén ra quá lớn; hệ thống không nhận.", name=name))
            if archive.testzip() is not None:
                raise PlanImportError(_l("Tệp «%(name)s» bị hỏng (dữ liệu nén sai).", name=name))
            types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as error:
        raise PlanImportError(_l("Tệp «%(name)s» bị hỏng, không mở được.", name=name)) from error
    if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in types:
        raise PlanImportError(_l("Tệp «%(name)s» có chứa macro; vì an toàn hệ thống không nhận. "
                                 "Hãy lưu lại dưới dạng .xlsx hoặc .docx thông thường.", name=name))
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise PlanImportError(_l("Tệp «%(name)s» không phải tài liệu Word hoặc bảng tính Excel.", name=name))


def _run_text(paragraph) -> str:
    """Paragraph text with superscript footnote numbers written as "(1)"."""
    parts = []
    for item in paragraph.iter_inner_content():
        text = item.text
        font = getattr(item, "font", None)
        if font is not None and font.superscript and text.strip().isdigit():
            text = f"({text.strip()})"
        parts.append(text)
    return "".join(parts)


def read_docx(content: bytes) -> SourceDocument:
    """Rows of every table (merged cells repeated), paragraphs above the first table and below it."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = Document(BytesIO(content))
    source = SourceDocument("docx")
    seen_table = False
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            text = _run_text(Paragraph(child, document))
            source.lines.append(text)
            (source.trailer if seen_table else source.preamble).append(text)
        elif child.tag == qn("w:tbl"):
            seen_table = True
            table = Table(child, document)
            for row in table.rows:
                cache: dict[int, str] = {}
                cells = []
                for cell in row.cells:
                    key = id(cell._tc)
                    if key not in cache:
                        cache[key] = "\n".join(_run_text(p) for p in cell.paragraphs)
                    cells.append(cache[key])
                source.rows.append(cells)
    width = max((len(r) for r in source.rows), default=0)
    source.rows = [r + [""] * (width - len(r)) for r in source.rows]
    source.row_numbers = list(range(1, len(source.rows) + 1))
    return source


def _excel_text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if "%" in (cell.number_format or ""):
            return f"{round(value * 100, 4):g}%"
        return f"{value:g}" if isinstance(value, float) else str(value)
    return str(value)


def read_xlsx(content: bytes) -> SourceDocument:
    """Rows of the first sheet that holds a plan header (or the first sheet), merged ranges filled."""
    import openpyxl

    workbook = openpyxl.load_workbook(BytesIO(content), data_only=True)
    chosen: list[list[str]] | None = None
    for sheet in workbook.worksheets:
        grid = [[_excel_text(cell) for cell in row] for row in sheet.iter_rows()]
        for merged in sheet.merged_cells.ranges:
            value = grid[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row - 1, min(merged.max_row, len(grid))):
                for c in range(merged.min_col - 1, min(merged.max_col, len(grid[r]))):
                    grid[r][c] = value
        if chosen is None:
            chosen = grid
        try:
            plan_table.find_header(grid)
        except TableError:
            continue
        chosen = grid
        break
    workbook.close()
    rows = chosen or []
    return SourceDocument("xlsx", rows=rows, row_numbers=list(range(1, len(rows) + 1)))


def read_document(filename: str, content: bytes, max_bytes: int) -> SourceDocument:
    """Check then read a .docx/.xlsx; PlanImportError if refused or unreadable."""
    kind = inspect_file(filename, content, max_bytes)
    try:
        return read_docx(content) if kind == "docx" else read_xlsx(content)
    except PlanImportError:
        raise
    except Exception as error:  # noqa: BLE001 — any reader failure on a damaged file is one user message
        raise PlanImportError(_l("Tệp «%(name)s» bị hỏng, không đọc được nội dung.", name=filename)) from error


def interpret(source: SourceDocument) -> tuple[ParseResult, str]:
    """The plan mapping from a read document, and its layout ("table" or "list")."""
    if source.rows:
        try:
            return plan_table.parse_table(source.rows, source.preamble, source.trailer, source.row_numbers), "table"
        except TableError as error:
            if "thiếu cột" in str(error) or not source.lines:
                raise PlanImportError(str(error)) from error
    try:
        return plan_table.parse_paragraphs(source.lines), "list"
    except TableError as error:
        raise PlanImportError(str(error)) from error


def parse_upload(filename: str, content: bytes, max_bytes: int, overrides: dict | None = None
                 ) -> tuple[ParseResult, str, str]:
    """Read and interpret a file without saving anything: (result, file kind, layout)."""
    source = read_document(filename, content, max_bytes)
    result, layout = interpret(source)
    if not any(True for _ in plan_table.iter_activities(result.data)):
        raise PlanImportError(_l("Không đọc được hoạt động nào từ tệp «%(name)s».", name=filename))
    apply_meta(result.data, overrides or {})
    if not result.data.get("code"):
        result.data["code"] = default_code(result.data)
    return result, source.kind, layout


def settle_issuer(data: dict, user=None) -> None:
    """Set the issuing province (which units the cells may name) from the issuer text, else the user's province."""
    if not data.get("issuer_unit"):
        data["issuer_unit"] = issuer_unit_code(data.get("issuer"), user)


def default_code(data: dict) -> str:
    """A plan code from the decision number and year: "KH-2023-210-QD-UBND"."""
    number = fold((data.get("decision") or {}).get("number", ""))
    slug = re.sub(r"[^a-z0-9]+", "-", number).strip("-").upper()
    year = data.get("year") or ""
    return "-".join(part for part in ("KH", str(year), slug or uuid.uuid4().hex[:6].upper()) if part)[:60]


def apply_meta(data: dict, values: dict) -> None:
    """Set plan fields from a form or the CLI (only those given and not empty)."""
    decision = data.setdefault("decision", {})
    for key in ("code", "title", "issuer", "issuer_unit"):
        if values.get(key):
            data[key] = clean(str(values[key]))
    if values.get("year"):
        data["year"] = int(values["year"])
    if values.get("doc_type"):
        decision["type"] = clean(values["doc_type"])
    if values.get("doc_number"):
        decision["number"] = clean(values["doc_number"])
    if values.get("doc_date"):
        day = values["doc_date"]
        decision["date"] = day.isoformat() if isinstance(day, date) else str(day)
    if values.get("signer"):
        decision["signer"] = clean(values["signer"])


# ---- the preview ---------------------------------------------------------------------------------------------

def compute_warnings(data: dict, read_warnings: list[dict], infos=None) -> list[dict]:
    """Everything the clerk should see before confirming, errors first."""
    warnings = list(read_warnings) + plan_table.structure_warnings(data) + plan_table.check_plan(data)
    if issuer_unit_id(data) is None:
        warnings.append(plan_table.warning("Chưa xác định được đơn vị ban hành (tỉnh) của kế hoạch; hãy chọn",
                                           level="error"))
    warnings += plan_table.check_units(data, infos if infos is not None else plan_units(data))
    code = clean(data.get("code"))
    if code and db.session.scalar(select(Plan.id).where(Plan.code == code)):
        warnings.append(plan_table.warning(f"Mã kế hoạch «{code}» đã được dùng; hãy đổi mã", level="error"))
    return sorted(warnings, key=lambda w: w["level"] != "error")


def issuer_unit_id(data: dict) -> int | None:
    """The id of the draft's issuing unit, None when it is not set or unknown."""
    code = data.get("issuer_unit")
    return db.session.scalar(select(Unit.id).where(Unit.code == code)) if code else None


def plan_units(data: dict):
    """Units the cells may name, as load_plan will: under the issuing province, existing in the plan's year."""
    year = data.get("year")
    return plan_unit_infos(issuer_unit_id(data), year if isinstance(year, int) and 1900 <= year <= 2999 else None)


def upload_folder(upload_root: str | Path) -> Path:
    """Where originals of imported plans are kept."""
    folder = Path(upload_root) / IMPORT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def create_preview(user, filename: str, content: bytes, *, upload_root: str | Path, max_bytes: int,
                   overrides: dict | None = None) -> PlanImport:
    """Check, read and keep an uploaded plan as a draft for preview; refused files leave nothing behind."""
    require_plan_manager(user)
    result, kind, layout = parse_upload(filename, content, max_bytes, overrides)
    settle_issuer(result.data, user)
    stored = f"{IMPORT_FOLDER}/{uuid.uuid4().hex}.{kind}"
    path = upload_folder(upload_root) / Path(stored).name
    path.write_bytes(content)
    read_warnings = [w for w in result.warnings if w.get("source") == "read"]
    imp = PlanImport(filename=Path(filename).name[:255], stored_path=stored, file_kind=kind, layout=layout,
                     data=result.data, read_warnings=read_warnings, state="draft",
                     created_by_id=getattr(user, "id", None))
    imp.warnings = compute_warnings(result.data, read_warnings)
    db.session.add(imp)
    db.session.flush()
    audit.record(user, "create", imp, "audit.plan_import.upload", {"file": imp.filename})
    return imp


#: a preview saved by someone else since the form was opened
DRAFT_CONFLICT_MESSAGE = _l("Bản xem trước vừa được người khác sửa. Hãy tải lại trang và sửa lại.")


def _check_draft(imp: PlanImport, expected_version: int | str | None) -> None:
    if imp.state != "draft":
        raise PlanImportError(_l("Bản xem trước này đã được xác nhận hoặc huỷ; không sửa được nữa."))
    # a form that posts no version (the CLI) is not checked
    check_version(imp, expected_version if expected_version != "" else None, DRAFT_CONFLICT_MESSAGE)


def apply_corrections(user, imp: PlanImport, meta: dict, cells: dict[str, str],
                      expected_version: int | str | None = None, *, picks: dict[str, int] | None = None,
                      accepted: dict[str, bool] | None = None) -> int:
    """Apply the clerk's corrections and decisions; warnings are recomputed. Returns the number of changes.

    `cells` are keyed "a:g:t:a:field", "t:g:t:title", "g:g:title"; `picks` maps an activity ("a:g:t:a") to the
    unit chosen for its unresolved lead; `accepted` maps an activity to whether its unit cells are accepted as
    they stand (an activity with no lead unit included).
    """
    require_plan_manager(user)
    _check_draft(imp, expected_version)
    data = copy.deepcopy(imp.data)
    before = {key: data.get(key) for key in ("code", "title", "year", "issuer", "issuer_unit")}
    apply_meta(data, meta)
    changed = sum(1 for key, value in before.items() if data.get(key) != value)
    for key, value in cells.items():
        changed += _set_cell(data, key, clean(value))
    infos = plan_units(data)
    for key, unit_id in (picks or {}).items():
        changed += _pick_lead(_activity(data, key), key, unit_id, infos)
    for key, accept in (accepted or {}).items():
        activity = _activity(data, key)
        stamp = {"lead": clean(activity.get("lead")), "coordinating": clean(activity.get("coordinating"))}
        if accept and activity.get("accepted") != stamp:
            activity["accepted"] = stamp
            changed += 1
        elif not accept and activity.pop("accepted", None):
            changed += 1
    imp.data = data
    imp.warnings = compute_warnings(data, imp.read_warnings or [], infos)
    imp.updated_at = utcnow()
    db.session.flush()
    audit.record(user, "update", imp, "audit.plan_import.edit", {"cells": changed, "file": imp.filename})
    return changed


def undecided_leads(imp: PlanImport) -> dict[str, str]:
    """Activities whose lead still waits for the clerk's decision: {"a:g:t:a": "II.1.2"}."""
    blocked = {w["number"] for w in imp.warnings or [] if w.get("topic") == "units" and w["level"] == "error"}
    return {f"a:{g}:{t}:{a}": f"{group['number']}.{activity['number']}"
            for g, group in enumerate(imp.data.get("groups") or [])
            for t, task in enumerate(group.get("tasks") or [])
            for a, activity in enumerate(task.get("activities") or [])
            if f"{group['number']}.{activity['number']}" in blocked}


def _activity(data: dict, key: str) -> dict:
    parts = key.split(":")
    try:
        if parts[0] != "a" or len(parts) != 4:
            raise ValueError(key)
        return data["groups"][int(parts[1])]["tasks"][int(parts[2])]["activities"][int(parts[3])]
    except (IndexError, ValueError, KeyError) as error:
        raise PlanImportError(_l("Hoạt động «%(key)s» không có trong bản xem trước", key=key)) from error


def _pick_lead(activity: dict, key: str, unit_id: int, infos) -> int:
    """Write the chosen unit into the lead cell, in place of the name that matched nothing."""
    unit = next((info for info in infos if info.id == unit_id), None)
    if unit is None:
        raise PlanImportError(_l("Hoạt động %(number)s: đơn vị đã chọn không thuộc tỉnh ban hành kế hoạch",
                                 number=activity.get("number", key)))
    lead = clean(activity.get("lead"))
    unknown = plan_table.unknown_names(lead, infos)
    if unknown and unknown[0] in lead:
        activity["lead"] = clean(lead.replace(unknown[0], unit.name, 1))
    else:
        activity["lead"] = f"{unit.name}; {lead}" if lead else unit.name
    return 1


def _set_cell(data: dict, key: str, value: str) -> int:
    parts = key.split(":")
    try:
        if parts[0] == "g" and len(parts) == 3 and parts[2] == "title":
            target, name = data["groups"][int(parts[1])], "title"
        elif parts[0] == "t" and len(parts) == 4 and parts[3] == "title":
            target, name = data["groups"][int(parts[1])]["tasks"][int(parts[2])], "title"
        elif parts[0] == "a" and len(parts) == 5 and parts[4] in CELL_FIELDS:
            target = data["groups"][int(parts[1])]["tasks"][int(parts[2])]["activities"][int(parts[3])]
            name = parts[4]
        else:
            raise PlanImportError(_l("Ô «%(key)s» không có trong bản xem trước", key=key))
    except (IndexError, ValueError) as error:
        raise PlanImportError(_l("Ô «%(key)s» không có trong bản xem trước", key=key)) from error
    if (target.get(name) or "") == value:
        return 0
    target[name] = value
    if name == "product":
        target["targets"] = plan_table.level_targets(value)
    return 1


def load_mapping(data: dict) -> dict:
    """The stored preview mapping as load_plan takes it (dates as dates)."""
    mapping = copy.deepcopy(data)
    decision = mapping.get("decision") or {}
    if isinstance(decision.get("date"), str) and decision["date"]:
        decision["date"] = date.fromisoformat(decision["date"])
    mapping["decision"] = decision
    mapping["declared"] = mapping.get("declared") or {}
    # once saved, every gap is one the office knew of: the flag only matters to the preview's warnings
    mapping["known_gaps"] = [{k: v for k, v in gap.items() if k != "acknowledged"} if isinstance(gap, dict) else gap
                             for gap in mapping.get("known_gaps") or []]
    return mapping


def commit_import(user, imp: PlanImport, expected_version: int | str | None = None) -> tuple[Plan, LoadSummary]:
    """Save the previewed plan, all or nothing, and keep the original file with it."""
    require_plan_manager(user)
    _check_draft(imp, expected_version)
    imp.warnings = compute_warnings(imp.data, imp.read_warnings or [])
    errors = [w["message"] for w in imp.warnings if w["level"] == "error"]
    if errors:
        listed = "; ".join(errors[:3])
        if len(errors) > 3:
            raise PlanImportError(_l("Chưa nạp được: %(errors)s (và %(more)s lỗi khác)", errors=listed,
                                     more=len(errors) - 3))
        raise PlanImportError(_l("Chưa nạp được: %(errors)s", errors=listed))
    try:
        with db.session.begin_nested():
            plan, summary = load_plan(load_mapping(imp.data), user)
            plan.source_filename = imp.filename
            plan.source_path = imp.stored_path
            imp.state = "committed"
            imp.plan_id = plan.id
            imp.committed_at = utcnow()
            db.session.flush()
    except PlanError as error:
        raise PlanImportError(str(error)) from error
    audit.record(user, "import", plan, "audit.plan_import.confirm", {"plan": plan.code, "file": imp.filename})
    return plan, summary


def tree_counts(data: dict) -> dict[str, int]:
    """Groups, tasks and activities of a plan mapping."""
    groups = data.get("groups") or []
    tasks = [t for g in groups for t in g.get("tasks", [])]
    return {"groups": len(groups), "tasks": len(tasks), "activities": sum(len(t.get("activities", [])) for t in tasks)}


def remove_file(upload_root: str | Path, stored_path: str) -> None:
    """Delete a kept original (after a refused confirmation from the CLI, or a discarded draft)."""
    (Path(upload_root) / stored_path).unlink(missing_ok=True)


def discard_import(user, imp: PlanImport, upload_root: str | Path) -> None:
    """Drop a draft and its file."""
    require_plan_manager(user)
    _check_draft(imp, None)
    imp.state = "discarded"
    remove_file(upload_root, imp.stored_path)
    audit.record(user, "discard", imp, "audit.plan_import.discard", {"file": imp.filename})
    db.session.flush()


def unit_choices(imp: PlanImport) -> list[tuple[int, str]]:
    """Units the clerk may pick for a lead: those under the draft's issuing province."""
    return [(info.id, info.name) for info in plan_units(imp.data) if info.active]


def preview_tree(imp: PlanImport, group_index: int, infos=None) -> dict:
    """One group of the draft for the preview page: its tasks and activities with due dates, unit counts, warnings."""
    data = imp.data
    groups = data.get("groups") or []
    if not 0 <= group_index < len(groups):
        raise PlanImportError(_l("Nhóm không có trong bản xem trước"))
    group = groups[group_index]
    infos = infos if infos is not None else plan_units(data)
    year = data.get("year")
    by_number: dict[str, list[str]] = {}
    undecided: set[str] = set()
    for item in imp.warnings or []:
        if item.get("number"):
            by_number.setdefault(item["number"], []).append(item["message"])
            if item.get("topic") == "units":
                undecided.add(item["number"])
    counts: dict[str, int] = {}
    tasks = []
    for t_index, task in enumerate(group.get("tasks", [])):
        activities = []
        for a_index, activity in enumerate(task.get("activities", [])):
            due, kind = None, ""
            if activity.get("deadline") and isinstance(year, int):
                try:
                    parsed = parse_deadline(activity["deadline"], year)
                    due, kind = parsed.due, parsed.kind
                except DeadlineError:
                    pass
            lead = activity.get("lead") or ""
            if lead not in counts:
                counts[lead] = plan_table.resolved_unit_count(lead, infos)
            number = f"{group['number']}.{activity['number']}"
            activities.append({"index": a_index, "activity": activity, "due": due, "kind": kind,
                               "lead_units": counts[lead], "warnings": by_number.get(number, []),
                               "path": number, "undecided": number in undecided,
                               "accepted": bool(activity.get("accepted"))})
        tasks.append({"index": t_index, "task": task, "activities": activities,
                      "warnings": by_number.get(f"{group['number']}.{task['number']}", [])})
    return {"index": group_index, "group": group, "tasks": tasks}


# ---- the way back: a plan as a mapping, as .xlsx, into next year ---------------------------------------------

def plan_mapping(plan: Plan) -> dict:
    """A saved plan in the curated-file schema (JSON-friendly), as the importer would produce it."""
    groups = db.session.scalars(
        select(TaskGroup).where(TaskGroup.plan_id == plan.id).order_by(TaskGroup.position)
        .options(selectinload(TaskGroup.tasks).selectinload(Task.activities))).all()
    return {
        "code": plan.code, "kind": plan.kind, "title": plan.title, "year": plan.year, "issuer": plan.issuer,
        "issuer_unit": db.session.scalar(select(Unit.code).where(Unit.id == plan.issuer_unit_id))
        if plan.issuer_unit_id else None,
        "decision": {key: value for key, value in (
            ("type", plan.doc_type), ("number", plan.doc_number),
            ("date", plan.doc_date.isoformat() if plan.doc_date else None), ("signer", plan.signer)) if value},
        "declared": {key: value for key, value in (
            ("groups", plan.declared_groups), ("tasks", plan.declared_tasks),
            ("activities", plan.declared_activities)) if value is not None},
        "footnotes": dict(plan.footnotes or {}),
        "known_gaps": list(plan.known_gaps or []),
        "groups": [{
            "number": group.number, "title": group.title,
            "declared": {key: value for key, value in (
                ("tasks", group.declared_tasks), ("activities", group.declared_activities)) if value is not None},
            "tasks": [{
                "number": task.number, "title": task.title,
                "activities": [{
                    "number": a.number, "content": a.content, "footnotes": list(a.footnotes or []),
                    "product": a.product, "targets": dict(a.targets or {}), "lead": a.lead_text,
                    "coordinating": a.coordinating_text, "deadline": a.deadline_text,
                } for a in task.activities],
            } for task in group.tasks],
        } for group in groups],
    }


def export_xlsx(plan: Plan) -> bytes:
    """The plan as an .xlsx table in the import layout (header repeated on each printed page)."""
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, Side

    mapping = plan_mapping(plan)
    # the plan was saved with these unit cells as they are: say so, so that importing the file again asks nothing
    infos = plan_unit_infos(plan.issuer_unit_id, plan.year)
    decided = {w["number"] for w in plan_table.check_units(mapping, infos)}
    for group, _task, activity in plan_table.iter_activities(mapping):
        if f"{group['number']}.{activity['number']}" in decided:
            activity["accepted"] = {"lead": activity["lead"], "coordinating": activity["coordinating"]}
    above, rows, below = plan_table.plan_layout(mapping)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Kế hoạch"
    width = len(plan_table.HEADER)
    wrap = Alignment(wrap_text=True, vertical="top")
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for line in above:
        sheet.append([line])
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=width)
        sheet.cell(sheet.max_row, 1).font = Font(bold=sheet.max_row == 1)
    sheet.append(plan_table.HEADER)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font, cell.alignment, cell.border = Font(bold=True), Alignment(wrap_text=True, horizontal="center"), border
    for layout_row in rows:
        sheet.append(layout_row.cells)
        current = sheet.max_row
        if layout_row.spanning:
            sheet.merge_cells(start_row=current, start_column=1, end_row=current, end_column=width)
        for cell in sheet[current]:
            cell.alignment, cell.border = wrap, border
            if layout_row.kind in ("group", "task"):
                cell.font = Font(bold=True)
    if below:
        sheet.append([])
        for line in below:
            sheet.append([line])
    for letter, size in zip("ABCDEF", (8, 60, 30, 25, 25, 16), strict=True):
        sheet.column_dimensions[letter].width = size
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def clone_plan(user, plan: Plan, code: str, year: int | None = None, title: str | None = None
               ) -> tuple[Plan, LoadSummary]:
    """The same tree for another year: deadlines moved by the year difference, no progress, no source decision."""
    require_plan_manager(user)
    year = year or plan.year + 1
    shift = year - plan.year
    data = plan_mapping(plan)
    data["code"] = clean(code)
    data["year"] = year
    data["title"] = clean(title) or plan.title.replace(str(plan.year), str(year))
    # the new year's plan has not been decided yet: no decision, no declared counts, no lost text
    data["decision"], data["declared"], data["known_gaps"] = {}, {}, []
    for group in data["groups"]:
        group["declared"] = {}
    for _group, _task, activity in plan_table.iter_activities(data):
        activity["deadline"] = plan_table.shift_deadline(activity["deadline"], year - shift, shift)
    try:
        with db.session.begin_nested():
            new_plan, summary = load_plan(load_mapping(data), user)
    except PlanError as error:
        raise PlanImportError(str(error)) from error
    audit.record(user, "clone", new_plan, "audit.plan.clone", {"plan": plan.code, "year": year})
    return new_plan, summary


def suggest_clone_code(plan: Plan) -> str:
    """The source code with its year moved on ("HG-KSTTHC-2023" → "HG-KSTTHC-2024")."""
    if str(plan.year) in plan.code:
        return plan.code.replace(str(plan.year), str(plan.year + 1))
    return f"{plan.code}-{plan.year + 1}"[:60]


