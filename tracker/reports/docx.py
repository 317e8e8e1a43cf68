"""Word (.docx) of the same content as the PDF, for officials to edit before signature.

Times New Roman 14 pt on A4 with the Decree 30 margins (Word on officials' machines has Times New Roman;
LibreOffice substitutes the metric-compatible Liberation Serif). Body headings use Word's Heading styles so the
navigation pane shows the structure; table header rows repeat on each page and rows do not split.
"""
from __future__ import annotations

import io

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import _Cell

from tracker.reports.document import Block, Chart, Document, Table
from tracker.reports.pdf import BODY_PT, MARGINS_MM, _cell
from tracker.reports.raster import chart_png

FONT = "Times New Roman"


def _set_font(style, size_pt: float, bold: bool | None = None, italic: bool | None = None) -> None:
    style.font.name = FONT
    style.font.size = Pt(size_pt)
    style.font.color.rgb = RGBColor(0, 0, 0)
    if bold is not None:
        style.font.bold = bold
    if italic is not None:
        style.font.italic = italic
    # East-Asian and complex-script slots too, or Word falls back to another font for some characters
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)


def _setup(word) -> None:
    section = word.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.different_first_page_header_footer = True
    _page_number(section.header.paragraphs[0])
    normal = word.styles["Normal"]
    _set_font(normal, BODY_PT)
    normal.paragraph_format.space_after = Pt(6)
    for name, size in (("Heading 1", BODY_PT), ("Heading 2", BODY_PT), ("Heading 3", BODY_PT), ("Title", BODY_PT)):
        _set_font(word.styles[name], size, bold=True, italic=name == "Heading 3")
        word.styles[name].paragraph_format.space_before = Pt(6)
        word.styles[name].paragraph_format.space_after = Pt(6)
        word.styles[name].paragraph_format.keep_with_next = True


def _page_number(paragraph) -> None:
    """Decree 30: the page number centred at the top, from page 2 on (the first page has its own header)."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def _line(cell_or_doc, text: str, bold=False, italic=False, size=BODY_PT, align=WD_ALIGN_PARAGRAPH.CENTER,
          underline=False, first=False):
    paragraph = cell_or_doc.paragraphs[0] if first else cell_or_doc.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    run.font.size = Pt(size)
    return paragraph


def _no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _masthead(word, document: Document) -> None:
    header = document.header
    table = word.add_table(rows=2, cols=2)
    _no_borders(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (Mm(66), Mm(99))
    for row in table.rows:
        for index, cell in enumerate(row.cells):
            cell.width = widths[index]
    left, right = table.rows[0].cells
    first = True
    for line in header.parent_body.splitlines():
        _line(left, line, size=13, first=first)
        first = False
    for line in header.issuer.splitlines():
        _line(left, line, bold=True, size=13, first=first)
        first = False
    _line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12, first=True)
    _line(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=13, underline=True)
    number, place = table.rows[1].cells
    _line(number, header.number, size=13, first=True)
    if not header.doc_type:
        _line(number, header.title, size=12)
    _line(place, header.place_date, italic=True, first=True)
    if header.doc_type:
        word.add_paragraph()
        title = word.add_paragraph(style="Title")
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.add_run(header.doc_type)
        subtitle = _line(word, header.title, bold=True)
        subtitle.paragraph_format.space_after = Pt(12)
    for index, line in enumerate(header.addressees):
        paragraph = word.add_paragraph()
        paragraph.paragraph_format.left_indent = Mm(25)
        paragraph.paragraph_format.space_after = Pt(0)
        if index == 0:
            paragraph.paragraph_format.first_line_indent = Mm(-25)
            paragraph.add_run("Kính gửi:\t")
        paragraph.add_run(line)


def _repeat_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    properties.append(element)


def _cant_split(row) -> None:
    properties = row._tr.get_or_add_trPr()
    element = OxmlElement("w:cantSplit")
    element.set(qn("w:val"), "true")
    properties.append(element)


def _cell_text(cell, text: str, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.LEFT, size=11) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.first_line_indent = Mm(0)
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    run.font.size = Pt(size)


def _table(word, table: Table) -> None:
    if table.title:
        _line(word, table.title, bold=True, size=13).paragraph_format.keep_with_next = True
    header_rows = 1 + bool(table.header_groups) + bool(table.numbering)
    grid = word.add_table(rows=header_rows + len(table.rows), cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    row_index = 0
    if table.header_groups:
        column = 0
        for label, span in table.header_groups:
            cell = grid.cell(0, column)
            if span > 1:
                cell = cell.merge(grid.cell(0, column + span - 1))
            _cell_text(cell, label, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
            column += span
        row_index += 1
    for column_index, column in enumerate(table.columns):
        _cell_text(grid.cell(row_index, column_index), column.label, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    row_index += 1
    if table.numbering:
        for column_index, label in enumerate(table.numbering):
            _cell_text(grid.cell(row_index, column_index), label, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        row_index += 1
    rows = list(grid.rows)
    for header_row in rows[:header_rows]:
        _repeat_header(header_row)
    bold_rows = set(table.bold_rows)
    widths = [Mm(column.width) for column in table.columns]
    # cells straight from each <w:tr>: python-docx's row.cells walks the whole table every time (quadratic)
    for data_index, (values, row) in enumerate(zip(table.rows, rows[header_rows:], strict=True)):
        for tc, value, column in zip(row._tr.tc_lst, values, table.columns, strict=True):
            _cell_text(_Cell(tc, grid), _cell(value, column), bold=data_index in bold_rows,
                       align=WD_ALIGN_PARAGRAPH.RIGHT if column.numeric else WD_ALIGN_PARAGRAPH.LEFT)
    for row in rows:
        _cant_split(row)
        for tc, width in zip(row._tr.tc_lst, widths, strict=False):
            tc.width = width
    if table.note:
        _line(word, table.note, italic=True, size=11, align=WD_ALIGN_PARAGRAPH.LEFT)


def _chart(word, chart: Chart) -> None:
    png = chart_png(chart)
    if png is None:
        # no converter on this machine: the chart's figures, which say the same thing
        _table(word, chart.as_table())
        return
    paragraph = word.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run().add_picture(io.BytesIO(png), width=Mm(150))
    _line(word, chart.title, italic=True, size=12)


def _blocks(word, blocks: list[Block]) -> None:
    for block in blocks:
        if block.type == "heading":
            word.add_heading(block.text, level=min(block.level, 3))
        elif block.type == "paragraph":
            for text in (line.strip() for line in block.text.splitlines()):
                if text:
                    paragraph = word.add_paragraph(text)
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
                    paragraph.paragraph_format.first_line_indent = Mm(12.7)
        elif block.type == "bullet":
            prefix = "" if block.text.startswith("+") else "- "
            paragraph = word.add_paragraph(f"{prefix}{block.text}")
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            paragraph.paragraph_format.left_indent = Mm(12.7)
        elif block.type == "note":
            _line(word, block.text, italic=True, size=12, align=WD_ALIGN_PARAGRAPH.LEFT)
        elif block.type == "table" and block.table is not None:
            _table(word, block.table)
        elif block.type == "chart" and block.chart is not None:
            _chart(word, block.chart)


def _closing(word, document: Document) -> None:
    table = word.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    _line(left, "Nơi nhận:", bold=True, italic=True, size=12, align=WD_ALIGN_PARAGRAPH.LEFT, first=True)
    for line in document.recipients:
        _line(left, f"- {line}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _line(right, document.signature.authority, bold=True, first=True)
    _line(right, document.signature.position, bold=True)
    for _ in range(4):
        _line(right, "")
    _line(right, document.signature.name, bold=True)
    _cant_split(table.rows[0])


def render_docx(document: Document) -> bytes:
    """The document as .docx bytes."""
    word = new_docx()
    _setup(word)
    core = word.core_properties
    core.title = f"{document.header.doc_type} {document.header.title}".strip()
    core.author = document.header.issuer.replace("\n", " ")
    _masthead(word, document)
    _blocks(word, document.body)
    _closing(word, document)
    for appendix in document.appendices:
        word.add_page_break()
        _line(word, appendix.number, bold=True)
        heading = word.add_heading(appendix.title, level=1)
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _line(word, appendix.subtitle, italic=True, size=13)
        _blocks(word, appendix.blocks)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()

