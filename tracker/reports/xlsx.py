"""Excel (.xlsx) of every table of a document, with real numbers and number formats.

Values stay numeric (ints, and decimals as floats rounded to their printed places); the number formats
("#,##0", "#,##0.00", "0.0") make Excel show them with the separators of the reader's locale, which on a
Vietnamese Windows is "85,60" and "343.894". Percentages are kept as the percentage figure (45.5, as printed
in the PDF), not as a fraction, so the numbers read the same in all three files.
"""
from __future__ import annotations

import io
import re
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from tracker.reports.document import Column, Document, Table

FONT = "Times New Roman"
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
#: Excel's column width unit is about one character of the default font: ~2 mm
MM_PER_WIDTH_UNIT = 2.0


def number_format(column: Column) -> str:
    """The Excel number format of a column."""
    if column.kind == "int":
        return "#,##0"
    if column.kind in ("dec", "pct"):
        return "#,##0" + ("." + "0" * column.places if column.places else "")
    return "@"


def _value(value, column: Column):
    if value is None or value == "":
        return None
    if column.kind == "int":
        return int(value)
    if column.kind in ("dec", "pct"):
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        # keep unrounded precision within reason: the format shows the printed places
        return float(round(number, max(column.places, 4)))
    return str(value)


def _sheet_name(code: str, title: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub(" ", f"{code} {title}".strip())[:31].rstrip() or "Bang"
    name, counter = base, 2
    while name.lower() in used:
        suffix = f" ({counter})"
        name = base[:31 - len(suffix)] + suffix
        counter += 1
    used.add(name.lower())
    return name


def _write_table(sheet, table: Table, title_lines: list[str]) -> None:
    width = len(table.columns)
    row = 1
    for line in title_lines:
        sheet.cell(row=row, column=1, value=line).font = Font(name=FONT, bold=row == 1, size=12)
        if width > 1:
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        sheet.cell(row=row, column=1).alignment = Alignment(horizontal="center", wrap_text=True)
        row += 1
    row += 1
    header_start = row
    if table.header_groups:
        column = 1
        for label, span in table.header_groups:
            cell = sheet.cell(row=row, column=column, value=label or None)
            if span > 1:
                sheet.merge_cells(start_row=row, start_column=column, end_row=row, end_column=column + span - 1)
            cell.font = Font(name=FONT, bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            column += span
        row += 1
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=row, column=index, value=column.label)
        cell.font = Font(name=FONT, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = max(6.0, column.width / MM_PER_WIDTH_UNIT * 1.6)
    row += 1
    if table.numbering:
        for index, label in enumerate(table.numbering, start=1):
            cell = sheet.cell(row=row, column=index, value=label)
            cell.font = Font(name=FONT, italic=True)
            cell.alignment = Alignment(horizontal="center")
        row += 1
    for header_row in range(header_start, row):
        for index in range(1, width + 1):
            sheet.cell(row=header_row, column=index).border = BOX
    # Excel repeats these rows on every printed page, like the PDF's thead
    sheet.print_title_rows = f"{header_start}:{row - 1}"
    sheet.freeze_panes = sheet.cell(row=row, column=1)
    bold_rows = set(table.bold_rows)
    for data_index, values in enumerate(table.rows):
        for index, (value, column) in enumerate(zip(values, table.columns, strict=True), start=1):
            cell = sheet.cell(row=row, column=index, value=_value(value, column))
            cell.border = BOX
            cell.font = Font(name=FONT, bold=data_index in bold_rows)
            if column.numeric:
                cell.number_format = number_format(column)
            else:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        row += 1
    if table.note:
        sheet.cell(row=row + 1, column=1, value=table.note).font = Font(name=FONT, italic=True)
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def render_xlsx(document: Document) -> bytes:
    """Every table of the document, one sheet each, after a sheet listing them."""
    book = Workbook()
    cover = book.active
    cover.title = "Muc luc"
    heading = f"{document.header.doc_type} {document.header.title}".strip()
    cover["A1"] = heading
    cover["A1"].font = Font(name=FONT, bold=True, size=13)
    cover["A2"] = document.header.place_date
    cover["A4"], cover["B4"] = "Trang tính", "Bảng"
    cover["A4"].font = cover["B4"].font = Font(name=FONT, bold=True)
    cover.column_dimensions["A"].width = 34
    cover.column_dimensions["B"].width = 90
    used = {cover.title.lower()}
    appendix_of = {id(block.table or block.chart): appendix for appendix in document.appendices
                   for block in appendix.blocks}
    row = 5
    for table in _tables_with_sources(document):
        sheet_name = _sheet_name(table.code, table.title, used)
        sheet = book.create_sheet(sheet_name)
        appendix = appendix_of.get(table.source_id)
        titles = ([appendix.number, appendix.title, appendix.subtitle] if appendix else []) + [table.table.title]
        _write_table(sheet, table.table, [line for line in titles if line])
        cover.cell(row=row, column=1, value=sheet_name)
        cover.cell(row=row, column=2, value=" — ".join(line for line in titles if line))
        row += 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class _Sourced:
    __slots__ = ("code", "title", "table", "source_id")

    def __init__(self, table: Table, source_id: int) -> None:
        self.table, self.code, self.title, self.source_id = table, table.code, table.title, source_id


def _tables_with_sources(document: Document) -> list[_Sourced]:
    found = []
    for block in [*document.body, *(b for appendix in document.appendices for b in appendix.blocks)]:
        if block.table is not None:
            found.append(_Sourced(block.table, id(block.table)))
        elif block.chart is not None:
            found.append(_Sourced(block.chart.as_table(), id(block.chart)))
    return found
