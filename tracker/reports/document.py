"""The content of an official document (Decree 30 layout), independent of the file format that renders it.

A `Document` is what the PDF, Word and Excel renderers all draw from, so the three files carry the same
headings, text and tables. It serialises to JSON (`to_json` / `from_json`) so a generated report is stored with
exactly the content it was made from and can be rendered again unchanged.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

#: column kinds: text, whole numbers, decimals (points) and percentages (value already ×100)
COLUMN_KINDS = ("text", "int", "dec", "pct")

Cell = str | int | Decimal | None


@dataclass
class Column:
    """A table column: its header, its width in millimetres (WeasyPrint lays out fixed widths fast) and kind."""

    label: str
    width: float
    kind: str = "text"
    places: int = 2

    def __post_init__(self) -> None:
        if self.kind not in COLUMN_KINDS:
            raise ValueError(f"Loại cột «{self.kind}» không hợp lệ (chỉ có: {', '.join(COLUMN_KINDS)})")

    @property
    def numeric(self) -> bool:
        """True for the columns holding numbers."""
        return self.kind != "text"


@dataclass
class Table:
    """A table with one header row (optionally grouped above and numbered below, as in the appendices)."""

    code: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    #: the column-number row printed under the header in official appendices ("A", "B", "1", "2", …)
    numbering: list[str] | None = None
    #: spans over the header: [("", 2), ("Năm 2023", 3), ("Năm 2024", 3)] — labels with column counts
    header_groups: list[tuple[str, int]] | None = None
    #: indexes of rows printed bold (group rows, totals)
    bold_rows: list[int] = field(default_factory=list)
    note: str = ""

    def __post_init__(self) -> None:
        width = len(self.columns)
        for index, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(f"Bảng {self.code}: dòng {index + 1} có {len(row)} ô, cần {width}")
        if self.header_groups and sum(span for _label, span in self.header_groups) != width:
            raise ValueError(f"Bảng {self.code}: nhóm tiêu đề không khớp số cột ({width})")


@dataclass
class Chart:
    """A bar chart; rendered as SVG in the PDF, PNG in Word, and as its data table in Excel."""

    code: str
    title: str
    categories: list[str]
    #: (series name, one value per category)
    series: list[tuple[str, list[float]]]
    kind: str = "bar"  # bar | hbar | stacked
    unit: str = ""

    def as_table(self) -> Table:
        """The chart's figures as a table (for Excel, and wherever a picture cannot be drawn)."""
        columns = [Column("Nội dung", 60)] + [Column(name, 25, "dec", 1) for name, _values in self.series]
        rows: list[list[Cell]] = []
        for index, category in enumerate(self.categories):
            rows.append([category] + [Decimal(str(values[index])) for _name, values in self.series])
        return Table(code=self.code, title=self.title, columns=columns, rows=rows)


@dataclass
class Block:
    """One piece of body text: a heading, a paragraph, a bullet, a note, a table or a chart."""

    type: str  # heading | paragraph | bullet | note | table | chart
    text: str = ""
    level: int = 1
    table: Table | None = None
    chart: Chart | None = None
    #: paragraphs written by the office (narrative), as opposed to sentences generated from the data
    narrative: bool = False


@dataclass
class Appendix:
    """A "Phụ lục" after the signature: its number, title, the line citing the report, and its tables."""

    number: str
    title: str
    subtitle: str
    blocks: list[Block]


@dataclass
class Header:
    """The top of page 1: issuing body, motto, number and symbol, place and date, document type and title."""

    parent_body: str  # "UBND TỈNH X" above the issuer, or "" when the issuer is the People's Committee
    issuer: str  # "ỦY BAN NHÂN DÂN TỈNH X" or "VĂN PHÒNG"
    number: str  # "Số: …/BC-UBND"
    place_date: str  # "X, ngày … tháng … năm 2023"
    doc_type: str  # "BÁO CÁO", or "" for an official letter (công văn)
    title: str  # the summary under the document type, or the "V/v …" line of a letter
    addressees: list[str] = field(default_factory=list)  # "Kính gửi:" lines


@dataclass
class Signature:
    """The signature block: "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH" / the signer's name."""

    authority: str
    position: str
    name: str


@dataclass
class Document:
    """Everything printed in a report or notice, in order."""

    kind: str  # year | notice
    header: Header
    body: list[Block]
    recipients: list[str]
    signature: Signature
    appendices: list[Appendix] = field(default_factory=list)
    #: settings and figures the document was made from (not printed)
    source: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> list[Table]:
        """Every table, in the body then in the appendices (charts contribute their data tables)."""
        found: list[Table] = []
        for block in [*self.body, *(b for appendix in self.appendices for b in appendix.blocks)]:
            if block.table is not None:
                found.append(block.table)
            elif block.chart is not None:
                found.append(block.chart.as_table())
        return found

    def headings(self) -> list[str]:
        """Body headings in order (the Word file uses them as its heading styles)."""
        return [block.text for block in self.body if block.type == "heading"]


# ------------------------------------------------------------------------------------------- serialisation


def _cell_to_json(value: Cell) -> Any:
    # Decimal is kept exact as text; the column kind tells how to read it back
    return str(value) if isinstance(value, Decimal) else value


def _table_to_json(table: Table) -> dict:
    data = asdict(table)
    data["rows"] = [[_cell_to_json(value) for value in row] for row in table.rows]
    return data


def _table_from_json(data: dict) -> Table:
    columns = [Column(**column) for column in data["columns"]]
    rows = []
    for row in data["rows"]:
        rows.append([Decimal(value) if isinstance(value, str) and column.kind in ("dec", "pct") else value
                     for value, column in zip(row, columns, strict=True)])
    groups = [tuple(group) for group in data["header_groups"]] if data.get("header_groups") else None
    return Table(code=data["code"], title=data["title"], columns=columns, rows=rows, numbering=data.get("numbering"),
                 header_groups=groups, bold_rows=list(data.get("bold_rows") or []), note=data.get("note", ""))


def _block_to_json(block: Block) -> dict:
    return {"type": block.type, "text": block.text, "level": block.level, "narrative": block.narrative,
            "table": _table_to_json(block.table) if block.table else None,
            "chart": asdict(block.chart) if block.chart else None}


def _block_from_json(data: dict) -> Block:
    chart = None
    if data.get("chart"):
        chart_data = dict(data["chart"])
        chart_data["series"] = [(name, list(values)) for name, values in chart_data["series"]]
        chart = Chart(**chart_data)
    return Block(type=data["type"], text=data.get("text", ""), level=data.get("level", 1),
                 narrative=data.get("narrative", False),
                 table=_table_from_json(data["table"]) if data.get("table") else None, chart=chart)


def to_json(document: Document) -> dict:
    """A JSON-ready dict of the document (Decimal values as exact text)."""
    return {
        "kind": document.kind,
        "header": asdict(document.header),
        "body": [_block_to_json(block) for block in document.body],
        "recipients": list(document.recipients),
        "signature": asdict(document.signature),
        "appendices": [{"number": a.number, "title": a.title, "subtitle": a.subtitle,
                        "blocks": [_block_to_json(block) for block in a.blocks]} for a in document.appendices],
        "source": document.source,
    }


def from_json(data: dict) -> Document:
    """Rebuild a document stored with `to_json`."""
    return Document(
        kind=data["kind"],
        header=Header(**data["header"]),
        body=[_block_from_json(block) for block in data["body"]],
        recipients=list(data["recipients"]),
        signature=Signature(**data["signature"]),
        appendices=[Appendix(number=a["number"], title=a["title"], subtitle=a["subtitle"],
                             blocks=[_block_from_json(block) for block in a["blocks"]]) for a in data["appendices"]],
        source=data.get("source", {}),
    )
