"""Read a published results table (.xlsx, .csv, .tsv) and turn it into checked score rows. Pure: no database.

Three steps, each adjustable by a person in between:
1. `read_table` gives the cells as text (merged cells filled, numbers as written).
2. `detect_mapping` finds the header row(s) and guesses which column holds what; the result is a
   `ColumnMapping` (column index → field) that a user may correct and that serialises to JSON.
3. `parse_rows` reads the data rows with that mapping and reports errors and warnings, each naming its row.

Rule for rows split across pages: a row whose unit cell is empty (and which is not blank and not a repeated
header) continues the data row before it. Its non-empty cells fill the empty cells of that row; text cells
(unit, band, rank change) that both hold text are joined with a space; a number cell that both hold is a
conflict and is reported as an error instead of being merged.
"""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from tracker.domain.frameworks import Framework, Node, match_key
from tracker.domain.scoring import band_for, parse_rank, rank_disagreements
from tracker.domain.textnorm import clean
from tracker.domain.unit_names import UnitNames, unit_key

STT = "stt"
UNIT = "unit"
TOTAL = "total"
BAND = "band"
RANK = "rank"
RANK_CHANGE = "rank_change"
IGNORE = "ignore"
NODE_PREFIX = "node:"
PLAIN_FIELDS = (STT, UNIT, TOTAL, BAND, RANK, RANK_CHANGE, IGNORE)
_TEXT_FIELDS = (UNIT, BAND, RANK_CHANGE)
FIELD_LABELS = {
    STT: "STT", UNIT: "Tên đơn vị", TOTAL: "Tổng điểm", BAND: "Xếp loại", RANK: "Xếp hạng",
    RANK_CHANGE: "Tăng/giảm", IGNORE: "(bỏ qua)",
}

# Header spellings seen in published tables, matched after match_key (no accents, case or punctuation).
_EXACT_SPELLINGS = {
    STT: ("STT", "TT", "Số TT", "Số thứ tự", "ROW_STT"),
    UNIT: ("Tên đơn vị", "Đơn vị", "Tên cơ quan", "Cơ quan", "Cơ quan, đơn vị", "Tên cơ quan, đơn vị",
           "Tỉnh/Thành phố", "Tỉnh, thành phố", "Tỉnh", "Địa phương", "Sở, ban, ngành", "Huyện, thành phố", "TEN"),
    TOTAL: ("Tổng điểm", "Tổng", "Tổng cộng", "Tổng số điểm", "Điểm tổng", "Điểm", "TONG_SCORE"),
    BAND: ("Xếp loại", "Phân loại", "Mức xếp loại", "Kết quả xếp loại"),
    RANK: ("Xếp hạng", "Thứ hạng", "Hạng", "Xếp thứ"),
    RANK_CHANGE: ("Tăng/giảm", "Tăng, giảm", "Tăng giảm bậc"),
}
# Longer headers such as "Xếp hạng tỉnh/thành phố" or "Tăng/giảm so với năm 2023 ¹" start with these.
_PREFIX_SPELLINGS = {
    RANK_CHANGE: ("tang giam", "thay doi thu hang"),
    RANK: ("xep hang", "thu hang"),
    TOTAL: ("tong diem",),
    BAND: ("xep loai",),
}
_HEADER_SCAN_ROWS = 40
_MARKUP = re.compile(r"</?i>|\$")
_COLUMN_MARKER = re.compile(r"^(?:[A-Za-z]|\d{1,2}|\d{1,2}\s*=\s*[\d\s+\-*/()]+)$")


class TableReadError(ValueError):
    """The file cannot be read as a table; the message is Vietnamese and says why."""


@dataclass(frozen=True)
class Issue:
    """An error or warning about one row (row_number None: about the whole table)."""

    row_number: int | None
    column: str | None
    message: str


@dataclass
class ParsedRow:
    """One unit's published results, as read from the table."""

    row_number: int
    unit_code: str | None
    unit_text: str
    values: dict[str, Decimal]
    total: Decimal | None
    band_text: str | None
    published_rank: int | None
    #: "10/63" → 63: the size of the field the rank was given in, when printed.
    published_rank_of: int | None = None
    rank_change_text: str | None = None
    #: Sum of the top-level nodes (a group's own value, else the sum of its children); None if incomplete.
    computed_total: Decimal | None = None
    #: Rows merged into this one because the table was split across pages.
    continued_rows: tuple[int, ...] = ()


@dataclass
class ParseResult:
    """Rows read, plus the errors (which block an import) and warnings (kept as published, but shown)."""

    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors


@dataclass
class ColumnMapping:
    """Which column holds what: column index (0-based) → field ("unit", "total", "node:CKMB", …)."""

    columns: dict[int, str]
    #: 0-based indices of the header rows (data starts after the last one).
    header_rows: list[int] = field(default_factory=list)
    framework_code: str | None = None

    def column_of(self, field_name: str) -> int | None:
        """Index of the first column mapped to `field_name`, or None."""
        for index in sorted(self.columns):
            if self.columns[index] == field_name:
                return index
        return None

    def node_columns(self) -> dict[int, str]:
        """Column index → node code, for the columns holding node points."""
        return {
            index: name[len(NODE_PREFIX):]
            for index, name in sorted(self.columns.items())
            if name.startswith(NODE_PREFIX)
        }

    def to_json(self) -> str:
        """Serialise for storing alongside an import, or sending to the browser for correction."""
        return json.dumps(
            {"framework_code": self.framework_code, "header_rows": self.header_rows,
             "columns": {str(index): name for index, name in sorted(self.columns.items())}},
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str, framework: Framework | None = None) -> ColumnMapping:
        """Read a mapping back; ValueError (Vietnamese) for an unknown field or node."""
        data = json.loads(text)
        columns: dict[int, str] = {}
        for key, name in (data.get("columns") or {}).items():
            if not str(key).isdigit():
                raise ValueError(f"Chỉ số cột không hợp lệ: '{key}'")
            _check_field(name, framework)
            columns[int(key)] = name
        header_rows = [int(index) for index in data.get("header_rows") or []]
        return cls(columns=columns, header_rows=header_rows, framework_code=data.get("framework_code"))


def _check_field(name: str, framework: Framework | None) -> None:
    """A field is a plain field or node:<code> of the framework."""
    if name in PLAIN_FIELDS:
        return
    if name.startswith(NODE_PREFIX):
        code = name[len(NODE_PREFIX):]
        if framework is None or framework.has_node(code):
            return
        raise ValueError(f"Bộ chỉ số {framework.code} không có chỉ tiêu mã '{code}'")
    raise ValueError(f"Trường không hợp lệ: '{name}'")


# ---------------------------------------------------------------------------------------------------- reading


def read_table(
    source: str | Path | bytes, filename: str | None = None, sheet: str | int | None = None
) -> list[list[str]]:
    """Cells of a table as text, row by row (row i is spreadsheet row i + 1); xlsx: first sheet unless chosen."""
    data, name = _load_bytes(source, filename)
    extension = _extension(name)
    if extension in (".xlsx", ".xlsm"):
        return _read_xlsx(data, name, sheet)
    if extension in (".csv", ".tsv", ".txt"):
        return _read_delimited(data, extension, name)
    if extension == ".xls":
        raise TableReadError(f"Tệp {name}: định dạng Excel 97-2003 (.xls) chưa được hỗ trợ; hãy lưu lại thành .xlsx")
    raise TableReadError(f"Tệp {name}: chỉ nhận .xlsx, .csv hoặc .tsv")


def _load_bytes(source: str | Path | bytes, filename: str | None) -> tuple[bytes, str]:
    """Bytes of the file plus the name whose extension decides the format."""
    if isinstance(source, bytes):
        if not filename:
            raise TableReadError("Cần tên tệp để biết định dạng (.xlsx, .csv, .tsv)")
        return source, filename
    path = Path(source)
    return path.read_bytes(), filename or path.name


def _extension(name: str) -> str:
    return Path(name).suffix.lower()


def _open_workbook(data: bytes, name: str):  # noqa: ANN202 - openpyxl's Workbook type
    """Open an xlsx workbook with cached formula values (not the formulas)."""
    from openpyxl import load_workbook  # imported here: only xlsx reading needs it

    try:
        return load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
        raise TableReadError(f"Tệp {name}: không đọc được như tệp Excel .xlsx ({exc.__class__.__name__})") from exc


def _read_xlsx(data: bytes, name: str, sheet: str | int | None) -> list[list[str]]:
    """Grid of an xlsx sheet with every merged range filled with its top-left value."""
    workbook = _open_workbook(data, name)
    if sheet is None:
        worksheet = workbook.worksheets[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(workbook.worksheets):
            raise TableReadError(f"Tệp {name}: không có trang tính thứ {sheet + 1}")
        worksheet = workbook.worksheets[sheet]
    elif sheet in workbook.sheetnames:
        worksheet = workbook[sheet]
    else:
        raise TableReadError(f"Tệp {name}: không có trang tính '{sheet}' (có: {', '.join(workbook.sheetnames)})")
    width, height = worksheet.max_column, worksheet.max_row
    grid = [
        [_cell_text(value) for value in row]
        for row in worksheet.iter_rows(min_row=1, max_row=height, min_col=1, max_col=width, values_only=True)
    ]
    for merged in worksheet.merged_cells.ranges:
        top_left = grid[merged.min_row - 1][merged.min_col - 1]
        for row_index in range(merged.min_row - 1, min(merged.max_row, height)):
            for col_index in range(merged.min_col - 1, min(merged.max_col, width)):
                grid[row_index][col_index] = top_left
    return grid


def _cell_text(value: object) -> str:
    """A cell value as the text a person would read: 18.99 stays "18.99", dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return unicodedata.normalize("NFC", str(value))


def _read_delimited(data: bytes, extension: str, name: str = "") -> list[list[str]]:
    """Rows of a CSV/TSV file; UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode Text", tab-separated;
    without a BOM it is refused as binary: Excel always writes one), else Windows-1258 as Vietnamese Excel saves it.
    TableReadError names the line when the file is not such a table."""
    label = f"Tệp {name}" if name else "Tệp"
    text = _decode_text_table(data, label)
    text = unicodedata.normalize("NFC", text)
    try:
        delimiter = "\t" if extension == ".tsv" else detect_delimiter(text)
    except csv.Error as error:
        raise TableReadError(_csv_problem(label, str(error), None)) from error
    # strict: a stray quote is an error naming its line, not a field that silently swallows the rest
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    first_line = 1  # of the row being read: where an unclosed quote was opened
    try:
        for row in reader:
            rows.append(list(row))
            first_line = reader.line_num + 1
    except csv.Error as error:
        raise TableReadError(_csv_problem(label, str(error), first_line)) from error
    return rows


def _decode_text_table(data: bytes, label: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise TableReadError(f"{label}: không đọc được mã UTF-16; hãy lưu lại bảng dạng CSV UTF-8") from error
    if data.startswith(b"PK\x03\x04"):
        raise TableReadError(f"{label}: là tệp Excel .xlsx bị đổi đuôi; hãy tải lên với đuôi .xlsx")
    if b"\x00" in data[:65536]:
        raise TableReadError(f"{label}: không phải bảng văn bản CSV/TSV (có byte nhị phân, có thể là tệp PDF, "
                             "Word hay ảnh bị đổi đuôi); hãy xuất bảng ra .xlsx hoặc CSV UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1258", errors="replace")


def _csv_problem(label: str, error: str, line: int | None) -> str:
    """Python's csv error in words an office clerk can act on."""
    where = f", dòng {line}" if line else ""
    if "field larger than field limit" in error:
        limit = f"{csv.field_size_limit():,}".replace(",", ".")
        return f"{label}{where}: một ô dài quá {limit} ký tự; thường do một dấu ngoặc kép (\") mở mà không đóng"
    if "expected after" in error or "unexpected end of data" in error or "quote" in error:
        return f"{label}{where}: dấu ngoặc kép (\") không đúng chỗ hoặc không được đóng; hãy sửa ô ở dòng này"
    return f"{label}{where}: không đọc được như bảng CSV ({error})"


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the most lines into the same number (> 1) of fields; ties prefer tab, ';', ','.

    Semicolon files with decimal commas ("85,60") are the common Vietnamese Excel export: the semicolon
    gives every line the same field count, the comma does not, so the semicolon wins.
    """
    lines = [line for line in text.splitlines() if line.strip()][:200]
    best, best_score = ",", 0
    for delimiter in ("\t", ";", ",", "|"):
        counts: dict[int, int] = {}
        # line by line: a stray quote spoils its own line's count, not every line after it
        for row in (next(csv.reader([line], delimiter=delimiter), []) for line in lines):
            if len(row) > 1:
                counts[len(row)] = counts.get(len(row), 0) + 1
        score = max(counts.values(), default=0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# ---------------------------------------------------------------------------------------------- the mapping


def _spelling_index(framework: Framework) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Exact spelling key → field, and (prefix, field) pairs; node names win over generic spellings."""
    exact: dict[str, str] = {}
    for field_name, spellings in _EXACT_SPELLINGS.items():
        for spelling in spellings:
            exact[match_key(spelling)] = field_name
    for node in framework.walk():
        for spelling in (node.code, node.name, *node.aliases):
            exact[match_key(spelling)] = NODE_PREFIX + node.code
    prefixes = [(prefix, field_name) for field_name, items in _PREFIX_SPELLINGS.items() for prefix in items]
    return exact, prefixes


def _field_for_header(cell: str, exact: dict[str, str], prefixes: list[tuple[str, str]]) -> str | None:
    """The field a header cell names, or None."""
    key = match_key(_MARKUP.sub("", cell))
    if not key:
        return None
    if key in exact:
        return exact[key]
    for prefix, field_name in prefixes:
        if key.startswith(prefix):
            return field_name
    return None


def _is_column_marker_row(row: Sequence[str]) -> bool:
    """The row of column labels under a header ("A  B  1  2 … 6=1+2+3+4+5  C")."""
    cells = [_MARKUP.sub("", cell).strip() for cell in row if cell and cell.strip()]
    return len(cells) >= 2 and all(_COLUMN_MARKER.match(cell) for cell in cells)


def detect_mapping(rows: Sequence[Sequence[str]], framework: Framework) -> ColumnMapping:
    """Find the header row(s) among the first rows and map each recognised column; unrecognised ones are left out.

    The header is the row with the most recognised cells that names a unit column and at least one score
    column. A following row that adds recognised columns (a two-row header) or that only labels the columns
    ("A, B, 1, 2, …") belongs to the header too.
    """
    exact, prefixes = _spelling_index(framework)
    best_index, best_columns = None, {}
    for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        columns = _header_columns(row, exact, prefixes)
        fields = set(columns.values())
        has_scores = TOTAL in fields or any(name.startswith(NODE_PREFIX) for name in fields)
        if UNIT in fields and has_scores and len(columns) > len(best_columns):
            best_index, best_columns = index, columns
    if best_index is None:
        return ColumnMapping(columns={}, header_rows=[], framework_code=framework.code)
    header_rows = [best_index]
    columns = dict(best_columns)
    next_index = best_index + 1
    while next_index < len(rows):
        row = rows[next_index]
        extra = {
            index: name for index, name in _header_columns(row, exact, prefixes).items()
            if index not in columns and name not in columns.values()
        }
        if _is_column_marker_row(row):
            header_rows.append(next_index)
        elif extra and not _has_number_cells(row, extra):
            columns.update(extra)
            header_rows.append(next_index)
        else:
            break
        next_index += 1
    return ColumnMapping(columns=columns, header_rows=header_rows, framework_code=framework.code)


def _header_columns(row: Sequence[str], exact: dict[str, str], prefixes: list[tuple[str, str]]) -> dict[int, str]:
    """Recognised columns of one row, first column winning when two name the same field."""
    columns: dict[int, str] = {}
    for index, cell in enumerate(row):
        field_name = _field_for_header(cell or "", exact, prefixes)
        if field_name and field_name not in columns.values():
            columns[index] = field_name
    return columns


def _has_number_cells(row: Sequence[str], columns: dict[int, str]) -> bool:
    """True when any cell outside `columns` reads as a number, i.e. the row is data, not header."""
    for index, cell in enumerate(row):
        if index not in columns and cell and _try_points(cell) is not None:
            return True
    return False


# ------------------------------------------------------------------------------------------------- parsing


def parse_points(text: str) -> Decimal | None:
    """Read a points cell: "85,60", "85.60", "1.234,5", "1,234.5"; None when empty or a dash.

    Unlike amounts of files ("343.894 hồ sơ"), points are small numbers, so a single separator, dot or
    comma, is always the decimal one ("1.179" is 1.179 points). ValueError (Vietnamese) for text.
    """
    raw = (text or "").replace("\u00a0", " ").strip()
    if raw in ("", "-", "–", "—"):
        return None
    body = raw.replace(" ", "")
    if "," in body and "." in body:
        decimal_mark = "," if body.rfind(",") > body.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        body = body.replace(grouping, "").replace(decimal_mark, ".")
    elif body.count(",") == 1:
        body = body.replace(",", ".")
    if raw.endswith("%"):
        raise ValueError(f"'{raw}' là tỷ lệ phần trăm; ô này cần số điểm")
    try:
        value = Decimal(body)
    except InvalidOperation:
        raise ValueError(f"'{raw}' không phải là số") from None
    if not value.is_finite():
        raise ValueError(f"'{raw}' không phải là số")
    return value


def _try_points(text: str) -> Decimal | None:
    try:
        return parse_points(text)
    except ValueError:
        return None


def _vn(value: Decimal) -> str:
    """A number as printed in Vietnamese documents (decimal comma), digits as given."""
    return format(value, "f").replace(".", ",")


@dataclass
class _RawRow:
    row_number: int
    cells: dict[int, str]
    continued_rows: list[int] = field(default_factory=list)


def _unit_names(known_units: Sequence[tuple[str, str, tuple[str, ...]]]) -> UnitNames[str]:
    """Unit codes by name and aliases (tracker.domain.unit_names: a spelling shared by two units finds none)."""
    return UnitNames.of((code, name, aliases, True) for code, name, aliases in known_units)


def parse_rows(
    rows: Sequence[Sequence[str]],
    mapping: ColumnMapping,
    framework: Framework,
    known_units: Sequence[tuple[str, str, tuple[str, ...]]] = (),
) -> ParseResult:
    """Read the data rows under the header with `mapping`, checking them against the framework and units.

    With no `known_units`, units are not matched (unit_code stays None) and no unit error is raised.
    """
    result = ParseResult()
    unit_column = mapping.column_of(UNIT)
    if unit_column is None:
        result.errors.append(Issue(None, None, "Chưa xác định được cột tên đơn vị; hãy chọn cột cho 'Tên đơn vị'"))
        return result
    for name in mapping.columns.values():
        try:
            _check_field(name, framework)
        except ValueError as exc:
            result.errors.append(Issue(None, None, str(exc)))
    if result.errors:
        return result
    header_texts = _header_texts(rows, mapping)
    raw_rows = _collect_rows(rows, mapping, unit_column, header_texts, result)
    units = _unit_names(known_units)
    first_row_of_unit: dict[str, int] = {}
    for raw in raw_rows:
        parsed = _parse_row(raw, mapping, framework, unit_column, header_texts, result)
        if parsed is None:
            continue
        if known_units:
            parsed.unit_code = units.find(parsed.unit_text)
            if parsed.unit_code is None:
                suggestions = units.suggest(parsed.unit_text)
                hint = f" Có phải: {', '.join(suggestions)}?" if suggestions else ""
                result.errors.append(Issue(parsed.row_number, header_texts.get(unit_column),
                                           f"Dòng {parsed.row_number}: không tìm thấy đơn vị "
                                           f"'{parsed.unit_text}' trong danh mục.{hint}"))
        identity = parsed.unit_code or unit_key(parsed.unit_text)
        if identity in first_row_of_unit:
            result.errors.append(Issue(parsed.row_number, header_texts.get(unit_column),
                                       f"Dòng {parsed.row_number}: đơn vị '{parsed.unit_text}' bị lặp "
                                       f"(đã có ở dòng {first_row_of_unit[identity]})"))
            continue
        first_row_of_unit[identity] = parsed.row_number
        result.rows.append(parsed)
    rank_column = mapping.column_of(RANK)
    _check_ranks(result, header_texts[rank_column] if rank_column is not None else None)
    return result


def _header_texts(rows: Sequence[Sequence[str]], mapping: ColumnMapping) -> dict[int, str]:
    """A readable label per mapped column (its header text, else the field's label) for messages."""
    texts: dict[int, str] = {}
    for index, name in mapping.columns.items():
        label = ""
        for header_index in mapping.header_rows:
            if header_index < len(rows) and index < len(rows[header_index]):
                cell = clean(_MARKUP.sub("", rows[header_index][index] or ""))
                if cell and not _COLUMN_MARKER.match(cell):
                    label = cell
                    break
        texts[index] = label or FIELD_LABELS.get(name, name.removeprefix(NODE_PREFIX))
    return texts


def _collect_rows(
    rows: Sequence[Sequence[str]],
    mapping: ColumnMapping,
    unit_column: int,
    header_texts: dict[int, str],
    result: ParseResult,
) -> list[_RawRow]:
    """Data rows with repeated headers and blank rows dropped and page-split rows merged."""
    start = max(mapping.header_rows) + 1 if mapping.header_rows else 0
    header_keys = {index: match_key(text) for index, text in header_texts.items()}
    collected: list[_RawRow] = []
    for index in range(start, len(rows)):
        row = rows[index]
        row_number = index + 1
        cells = {column: clean(row[column]) if column < len(row) else "" for column in mapping.columns}
        if not any(cells.values()) or _is_column_marker_row(row):
            continue
        repeats = sum(1 for column, text in cells.items() if text and match_key(text) == header_keys[column])
        if repeats >= max(2, len(mapping.columns) // 2):
            continue  # the header printed again at the top of a new page
        if cells[unit_column]:
            collected.append(_RawRow(row_number, cells))
            continue
        if not collected:
            result.warnings.append(Issue(row_number, header_texts[unit_column],
                                         f"Dòng {row_number}: không có tên đơn vị, bỏ qua"))
            continue
        _merge_continuation(collected[-1], row_number, cells, mapping, header_texts, result)
    return collected


def _merge_continuation(
    previous: _RawRow,
    row_number: int,
    cells: dict[int, str],
    mapping: ColumnMapping,
    header_texts: dict[int, str],
    result: ParseResult,
) -> None:
    """Merge a page-split continuation row into the row before it (rule in the module docstring)."""
    conflicts = [column for column, text in cells.items()
                 if text and previous.cells.get(column) and mapping.columns[column] not in _TEXT_FIELDS]
    if conflicts:
        names = ", ".join(header_texts[column] for column in conflicts)
        result.errors.append(Issue(row_number, header_texts[conflicts[0]],
                                   f"Dòng {row_number}: dòng không có tên đơn vị được coi là phần tiếp của dòng "
                                   f"{previous.row_number}, nhưng cả hai dòng đều có số ở cột {names}; không gộp được"))
        return
    for column, text in cells.items():
        if text:
            previous.cells[column] = f"{previous.cells[column]} {text}".strip() if previous.cells.get(column) else text
    previous.continued_rows.append(row_number)


def _parse_row(
    raw: _RawRow,
    mapping: ColumnMapping,
    framework: Framework,
    unit_column: int,
    header_texts: dict[int, str],
    result: ParseResult,
) -> ParsedRow | None:
    """Numbers, band and rank of one row, with the per-row checks."""
    number = raw.row_number
    unit_text = raw.cells[unit_column]
    node_columns = mapping.node_columns()
    total_column = mapping.column_of(TOTAL)
    score_columns = [*node_columns, *([total_column] if total_column is not None else [])]
    if not any(raw.cells.get(column) for column in score_columns):
        result.warnings.append(Issue(number, header_texts[unit_column],
                                     f"Dòng {number}: bỏ qua dòng không có điểm số ('{unit_text}')"))
        return None

    values: dict[str, Decimal] = {}
    for column, code in node_columns.items():
        node = framework.node(code)
        value = _read_number(raw, column, header_texts, result)
        if value is None:
            continue
        if value < 0 or value > node.max:
            result.errors.append(Issue(number, header_texts[column],
                                       f"Dòng {number}: điểm '{header_texts[column]}' là {_vn(value)}, nằm ngoài "
                                       f"khoảng 0 đến {_vn(node.max)} điểm tối đa"))
        values[code] = value
    total = _read_number(raw, total_column, header_texts, result) if total_column is not None else None
    if total is not None and (total < 0 or total > framework.max_total):
        result.errors.append(Issue(number, header_texts[total_column],
                                   f"Dòng {number}: tổng điểm {_vn(total)} nằm ngoài khoảng 0 đến "
                                   f"{_vn(framework.max_total)}"))

    computed = _rolled_up_total(framework.nodes, values)
    _check_groups(framework.nodes, values, number, result)
    if total is not None and computed is not None and abs(total - computed) > Decimal("0.05"):
        result.warnings.append(Issue(number, header_texts[total_column],
                                     f"Dòng {number}: tổng điểm {_vn(total)} khác tổng các nhóm {_vn(computed)} "
                                     f"(chênh {_vn(total - computed)})"))

    band_column = mapping.column_of(BAND)
    band_text = (raw.cells.get(band_column) or None) if band_column is not None else None
    if band_text:
        _check_band(band_text, total if total is not None else computed, framework, number,
                    header_texts[band_column], result)

    rank_column = mapping.column_of(RANK)
    published = parse_rank(raw.cells.get(rank_column)) if rank_column is not None else None
    if rank_column is not None and raw.cells.get(rank_column) and published is None:
        result.warnings.append(Issue(number, header_texts[rank_column],
                                     f"Dòng {number}: không đọc được thứ hạng '{raw.cells[rank_column]}'"))
    change_column = mapping.column_of(RANK_CHANGE)
    return ParsedRow(
        row_number=number,
        unit_code=None,
        unit_text=unit_text,
        values=values,
        total=total,
        band_text=band_text,
        published_rank=published[0] if published else None,
        published_rank_of=published[1] if published else None,
        rank_change_text=(raw.cells.get(change_column) or None) if change_column is not None else None,
        computed_total=computed,
        continued_rows=tuple(raw.continued_rows),
    )


def _read_number(raw: _RawRow, column: int, header_texts: dict[int, str], result: ParseResult) -> Decimal | None:
    """A points cell, reporting text in a number cell as an error."""
    text = raw.cells.get(column, "")
    try:
        return parse_points(text)
    except ValueError as exc:
        result.errors.append(Issue(raw.row_number, header_texts[column],
                                   f"Dòng {raw.row_number}: cột '{header_texts[column]}': {exc}"))
        return None


def _rolled_up_total(nodes: Sequence[Node], values: dict[str, Decimal]) -> Decimal | None:
    """Sum of the nodes, each from its own value or else from its children; None when one is missing."""
    total = Decimal(0)
    for node in nodes:
        if node.code in values:
            total += values[node.code]
            continue
        if not node.children or not node.children_sum:
            return None
        part = _rolled_up_total(node.children, values)
        if part is None:
            return None
        total += part
    return total


def _check_groups(nodes: Sequence[Node], values: dict[str, Decimal], number: int, result: ParseResult) -> None:
    """When a group and all its children are given, the children must add up to the group (±0.05)."""
    for node in nodes:
        if node.children:
            _check_groups(node.children, values, number, result)
        if node.code not in values or not node.children or not node.children_sum:
            continue
        parts = _rolled_up_total(node.children, values)
        if parts is not None and abs(values[node.code] - parts) > Decimal("0.05"):
            result.warnings.append(Issue(number, node.name,
                                         f"Dòng {number}: điểm nhóm '{node.name}' {_vn(values[node.code])} khác "
                                         f"tổng các chỉ tiêu con {_vn(parts)}"))


def _check_band(
    band_text: str, score: Decimal | None, framework: Framework, number: int, column: str, result: ParseResult
) -> None:
    """The printed band must be a band of the framework, and the one the score falls in."""
    key = match_key(band_text)
    named = next((band for band in framework.bands if key in (match_key(band.name), match_key(band.code))), None)
    if named is None:
        names = ", ".join(band.name for band in framework.bands)
        result.warnings.append(Issue(number, column, f"Dòng {number}: xếp loại '{band_text}' không thuộc thang "
                                                     f"xếp loại ({names})"))
        return
    if score is None:
        return
    expected = band_for(score, framework)
    if expected != named:
        expected_name = expected.name if expected else "không xếp loại"
        result.warnings.append(Issue(number, column, f"Dòng {number}: xếp loại '{band_text}' không khớp tổng điểm "
                                                     f"{_vn(score)} (theo thang điểm là '{expected_name}')"))


def _check_ranks(result: ParseResult, column: str | None) -> None:
    """Recompute ranks from the totals and flag each published rank that disagrees; published ranks are kept.

    Ranks printed as "10/63" are among a wider field than this table and are not recomputed.
    """
    ranked = [row for row in result.rows if row.published_rank is not None
              and row.published_rank_of in (None, len(result.rows))]
    if len(ranked) < 2:
        return
    scores = {row.row_number: row.total if row.total is not None else row.computed_total for row in result.rows}
    published = {row.row_number: row.published_rank for row in ranked}
    for disagreement in rank_disagreements(scores, published):
        number = disagreement.key
        score = scores[number]
        if disagreement.explained_by_rounding:
            message = (f"Dòng {number}: hạng công bố {disagreement.published} khác hạng tính lại "
                       f"{disagreement.computed} vì đồng điểm {_vn(score)} với đơn vị khác; có thể cơ quan công bố "
                       "xếp hạng trên điểm chưa làm tròn — giữ hạng công bố")
        else:
            message = (f"Dòng {number}: hạng công bố {disagreement.published} không khớp hạng tính lại từ tổng "
                       f"điểm {_vn(score)} ({disagreement.computed})")
        result.warnings.append(Issue(number, column, message))
