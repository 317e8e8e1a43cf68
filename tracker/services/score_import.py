"""Importing published results tables (.xlsx, .csv, .tsv): upload, detected mapping, preview, all-or-nothing save.

The same checks serve the web import and `flask import scores`. Blocking (the import saves nothing):
the domain parser's errors (text in a number cell, points above a node's max, an unknown unit with suggestions,
a duplicate row, a row split across pages that cannot be merged) plus, promoted here from its warnings,
a total that is not the sum of its parts beyond rounding and a band that the total contradicts or that the
framework does not have. Warnings (kept as published, shown): ranks the recomputation does not reproduce,
skipped rows, unreadable ranks.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from models import FrameworkNode, Period, ScoreImport, db, utcnow
from tracker.domain.periods import PeriodError, parse_period
from tracker.domain.score_tables import (
    FIELD_LABELS,
    NODE_PREFIX,
    PLAIN_FIELDS,
    ColumnMapping,
    ParseResult,
    TableReadError,
    detect_mapping,
    parse_rows,
    read_table,
)
from tracker.permissions import can
from tracker.services import audit
from tracker.services.frameworks import domain_framework
from tracker.services.periods import find_period, get_or_create_period
from tracker.services.score_writes import save_scores
from tracker.services.unit_matching import UnitMatcher

ACCEPTED_EXTENSIONS = (".xlsx", ".csv", ".tsv", ".txt")
#: domain warnings that block an import: totals and bands that contradict the points
_BLOCKING_MARKERS = ("khác tổng các nhóm", "khác tổng các chỉ tiêu con", "không thuộc thang xếp loại",
                     "không khớp tổng điểm")


class ScoreImportError(ValueError):
    """The import cannot go on; the message is Vietnamese."""


class ImportRefused(ScoreImportError):
    """The table has errors; nothing was saved. `messages` lists every error with its row."""

    def __init__(self, messages: list[Message]):
        self.messages = messages
        super().__init__("\n".join(message.text for message in messages))


@dataclass(frozen=True)
class Message:
    """One finding about the table: level "error" blocks, "warning" informs."""

    row: int | None
    level: str
    text: str

    def as_dict(self) -> dict:
        """For storing on the import row."""
        return {"row": self.row, "level": self.level, "message": self.text}


@dataclass
class TableCheck:
    """A table read with a mapping: the parsed rows and the messages, errors first."""

    grid: list[list[str]]
    mapping: ColumnMapping
    parsed: ParseResult
    errors: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing blocks the import."""
        return not self.errors

    @property
    def messages(self) -> list[Message]:
        """Errors, then warnings, each in row order."""
        return [*self.errors, *self.warnings]

    def header_cells(self) -> list[tuple[int, str, str]]:
        """(column index, header text, mapped field or "ignore") for every column of the header."""
        header_rows = self.mapping.header_rows or [0]
        width = max((len(self.grid[i]) for i in header_rows if i < len(self.grid)), default=0)
        width = max(width, *(index + 1 for index in self.mapping.columns), 0)
        cells = []
        for index in range(width):
            texts = [self.grid[i][index].strip() for i in header_rows if i < len(self.grid)
                     and index < len(self.grid[i]) and self.grid[i][index].strip()]
            cells.append((index, " / ".join(dict.fromkeys(texts)), self.mapping.columns.get(index, "ignore")))
        return cells


def field_choices(framework) -> list[tuple[str, str]]:
    """(value, label) of every field a column may be mapped to, for the preview's selects."""
    choices = [(name, FIELD_LABELS[name]) for name in PLAIN_FIELDS]
    choices += [(NODE_PREFIX + node.code, f"{node.code} · {node.name}") for node in domain_framework(framework).walk()]
    return choices


def _explain_shared_names(parsed: ParseResult, matcher: UnitMatcher) -> list[Message]:
    """Errors of the parser, with "unknown unit" replaced by a clearer message when the name is shared."""
    shared = {}
    for row in parsed.rows:
        owners = matcher.shared(row.unit_text) if row.unit_code is None else []
        if owners:
            shared[row.row_number] = (row.unit_text, owners)
    messages = []
    for issue in parsed.errors:
        if issue.row_number in shared and "không tìm thấy đơn vị" in issue.message:
            text, refs = shared[issue.row_number]
            owners = ", ".join(f"{ref.name} ({ref.code})" for ref in refs[:4])
            messages.append(Message(issue.row_number, "error", f"Dòng {issue.row_number}: tên đơn vị '{text}' có ở "
                                    f"nhiều nơi ({owners}); hãy chọn tỉnh ở mục «Khớp tên đơn vị trong» "
                                    "(dòng lệnh: --scope)"))
        else:
            messages.append(Message(issue.row_number, "error", issue.message))
    return messages


def check_table(grid: list[list[str]], framework, period, mapping: ColumnMapping,
                matcher: UnitMatcher) -> TableCheck:
    """Parse the grid with the mapping and classify every finding (see the module docstring)."""
    pure = domain_framework(framework)
    parsed = parse_rows(grid, mapping, pure, matcher.known_units())
    check = TableCheck(grid, mapping, parsed, errors=_explain_shared_names(parsed, matcher))
    for issue in parsed.warnings:
        blocking = any(marker in issue.message for marker in _BLOCKING_MARKERS)
        (check.errors if blocking else check.warnings).append(Message(issue.row_number, "error" if blocking
                                                                      else "warning", issue.message))
    if not pure.covers_year(period.year):
        until = f"{pure.valid_to}" if pure.valid_to else "nay"
        check.errors.insert(0, Message(None, "error", f"Bộ chỉ số {pure.code} áp dụng từ {pure.valid_from} đến "
                                                      f"{until}; kỳ {period.label} nằm ngoài"))
    if not parsed.rows and not parsed.errors:
        check.errors.append(Message(None, "error", "Không có dòng điểm số nào để nhập; hãy kiểm tra ánh xạ cột"))
    check.errors.sort(key=lambda m: (m.row is not None, m.row or 0))
    check.warnings.sort(key=lambda m: (m.row is not None, m.row or 0))
    return check


def score_rows(check: TableCheck, framework, matcher: UnitMatcher) -> list[dict]:
    """Score values to save from a clean check: node points per unit, and the printed total, band and rank."""
    nodes = dict(db.session.execute(select(FrameworkNode.code, FrameworkNode.id).where(
        FrameworkNode.framework_id == framework.id)).all())
    by_code = {ref.code: ref for ref in matcher.refs}
    rows = []
    for parsed in check.parsed.rows:
        unit = by_code[parsed.unit_code]
        rows += [{"unit_id": unit.id, "node_id": nodes[code], "points": value} for code, value in parsed.values.items()]
        printed = {"points": parsed.total, "published_band": parsed.band_text, "published_rank": parsed.published_rank,
                   "published_rank_of": parsed.published_rank_of, "published_change": parsed.rank_change_text}
        if any(value is not None for value in printed.values()):
            rows.append({"unit_id": unit.id, "node_id": nodes["TONG"], **printed})
    return rows


# ------------------------------------------------------------------------------------------------ web flow


def _check_actor(user) -> None:
    if user is not None and not can(user, "manage_indicators"):
        raise ScoreImportError("Bạn không được nhập kết quả chỉ số")


def import_folder(upload_root: str) -> Path:
    """Where original tables are kept under the configured upload folder."""
    return Path(upload_root) / "score_imports"


def _store(folder: Path, data: bytes, extension: str) -> str:
    """Write the original file atomically under a random name; returns that name."""
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16) + extension
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, folder / stored_name)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
    return stored_name


def read_upload(filename: str, data: bytes, sheet: str | None = None) -> list[list[str]]:
    """The cells of an uploaded table; ScoreImportError (Vietnamese) when it is not a readable table."""
    extension = Path(filename).suffix.lower()
    if extension not in ACCEPTED_EXTENSIONS:
        raise ScoreImportError(f"Tệp «{filename}»: chỉ nhận bảng .xlsx, .csv hoặc .tsv")
    if not data:
        raise ScoreImportError(f"Tệp «{filename}» rỗng")
    try:
        return read_table(data, filename, sheet or None)
    except TableReadError as error:
        raise ScoreImportError(str(error)) from error


def matcher_for(scope_unit_id: int | None) -> UnitMatcher:
    """Units that table names may match: below the chosen province, or all."""
    return UnitMatcher.from_db(None if scope_unit_id is None else [scope_unit_id])


def start_import(user, framework, period_label: str, filename: str, data: bytes, folder: Path, *,
                 source: str = "", sheet: str | None = None, scope_unit_id: int | None = None) -> ScoreImport:
    """Keep the original file, detect the column mapping and check the rows; nothing is saved as scores yet."""
    _check_actor(user)
    grid = read_upload(filename, data, sheet)
    try:
        period = get_or_create_period(period_label)
    except PeriodError as error:
        raise ScoreImportError(str(error)) from error
    mapping = detect_mapping(grid, domain_framework(framework))
    stored_name = _store(folder, data, Path(filename).suffix.lower())
    record = ScoreImport(framework_id=framework.id, period_id=period.id, original_name=Path(filename).name[:255],
                         stored_name=stored_name, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                         sheet=sheet or None, mapping_json=mapping.to_json(), source=source[:500],
                         scope_unit_id=scope_unit_id, created_by_id=getattr(user, "id", None))
    db.session.add(record)
    db.session.flush()
    check = check_table(grid, framework, period, mapping, matcher_for(scope_unit_id))
    record.messages = [message.as_dict() for message in check.messages]
    audit.record(user, "upload", record, "audit.score_import.upload",
                 {"file": record.original_name, "framework": framework.code, "period": period.label})
    db.session.flush()
    return record


def check_import(record: ScoreImport, folder: Path) -> TableCheck:
    """Re-read the kept file with the stored mapping and check it."""
    data = (folder / record.stored_name).read_bytes()
    grid = read_upload(record.original_name, data, record.sheet)
    mapping = ColumnMapping.from_json(record.mapping_json, domain_framework(record.framework))
    return check_table(grid, record.framework, record.period, mapping, matcher_for(record.scope_unit_id))


def set_mapping(user, record: ScoreImport, columns: dict[int, str], folder: Path) -> TableCheck:
    """Store the user's corrected mapping (ValueError for an unknown field) and check again."""
    _check_actor(user)
    if record.state != "draft":
        raise ScoreImportError("Bảng này đã được nhập; không sửa ánh xạ được nữa")
    current = ColumnMapping.from_json(record.mapping_json)
    mapping = ColumnMapping(columns={index: name for index, name in columns.items() if name != "ignore"},
                            header_rows=current.header_rows, framework_code=record.framework.code)
    ColumnMapping.from_json(mapping.to_json(), domain_framework(record.framework))  # validates every field
    record.mapping_json = mapping.to_json()
    check = check_import(record, folder)
    record.messages = [message.as_dict() for message in check.messages]
    db.session.flush()
    return check


def confirm_import(user, record: ScoreImport, folder: Path) -> int:
    """Save every row or none: ImportRefused (with each error) when any row is wrong; returns scores saved."""
    _check_actor(user)
    if record.state != "draft":
        raise ScoreImportError("Bảng này đã được nhập trước đó")
    check = check_import(record, folder)
    if not check.ok:
        raise ImportRefused(check.errors)
    matcher = matcher_for(record.scope_unit_id)
    saved = save_scores(record.framework, record.period, score_rows(check, record.framework, matcher),
                               source=record.source or record.original_name, import_id=record.id,
                               user_id=getattr(user, "id", None))
    record.state, record.rows_saved, record.confirmed_at = "done", saved, utcnow()
    record.messages = [message.as_dict() for message in check.messages]
    audit.record(user, "import", record, "audit.score_import.import",
                 {"rows": len(check.parsed.rows), "scores": saved, "file": record.original_name,
                  "framework": record.framework.code, "period": record.period.label})
    db.session.flush()
    return saved


# ------------------------------------------------------------------------------------------------------ CLI


@dataclass
class FileImportResult:
    """What `flask import scores` did: the messages, and the scores saved (0 on a dry run or refusal)."""

    messages: list[Message]
    rows: int
    saved: int
    refused: bool


def import_file(path: str | Path, framework, period_label: str, folder: Path, *, dry_run: bool = False,
                sheet: str | None = None, source: str = "", scope_unit_id: int | None = None,
                mapping_json: str | None = None) -> FileImportResult:
    """Check a table file and, unless dry_run or refused, save it like a confirmed web import (file kept)."""
    file_path = Path(path)
    data = file_path.read_bytes()
    grid = read_upload(file_path.name, data, sheet)
    try:
        period = find_period(period_label) if dry_run else get_or_create_period(period_label)
        if period is None:  # a dry run creates nothing, not even the period
            spec = parse_period(period_label)
            period = Period(kind=spec.kind, label=spec.label, year=spec.year, start=spec.start, end=spec.end)
    except PeriodError as error:
        raise ScoreImportError(str(error)) from error
    pure = domain_framework(framework)
    mapping = (ColumnMapping.from_json(mapping_json, pure) if mapping_json else detect_mapping(grid, pure))
    check = check_table(grid, framework, period, mapping, matcher_for(scope_unit_id))
    if dry_run or not check.ok:
        return FileImportResult(check.messages, len(check.parsed.rows), 0, not check.ok)
    record = ScoreImport(framework_id=framework.id, period_id=period.id, original_name=file_path.name[:255],
                         stored_name=_store(folder, data, file_path.suffix.lower()),
                         sha256=hashlib.sha256(data).hexdigest(), size=len(data), sheet=sheet or None,
                         mapping_json=mapping.to_json(), source=source[:500], scope_unit_id=scope_unit_id)
    db.session.add(record)
    db.session.flush()
    saved = confirm_import(None, record, folder)
    return FileImportResult(check.messages, len(check.parsed.rows), saved, False)
