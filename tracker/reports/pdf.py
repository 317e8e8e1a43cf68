"""PDF through WeasyPrint, from templates/reports/print.html and its print CSS (A4, Decree 30 margins).

WeasyPrint may read nothing but data: URIs and our own font files: the URL fetcher refuses every other URL, so
a crafted narrative or unit name cannot make the renderer read local files or reach the network.
"""
from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tracker.charts import chart_svg, svg_data_uri
from tracker.domain.formatting import fmt_decimal, fmt_int
from tracker.reports.document import Column, Document
from tracker.reports.fonts import CSS_FAMILY, FontFaces, find_fonts

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "reports"
#: Decree 30/2020/NĐ-CP: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm; we take the smallest
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
BODY_PT = 14
log = logging.getLogger(__name__)


class FetchRefused(ValueError):
    """WeasyPrint asked for a URL the report may not read."""


def restrictive_fetcher(allowed_files: set[Path]):
    """A WeasyPrint url_fetcher that serves data: URIs and the listed files, and refuses everything else."""
    from weasyprint import default_url_fetcher

    allowed = {path.resolve() for path in allowed_files}

    def fetch(url: str, *args, **kwargs):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return default_url_fetcher(url, *args, **kwargs)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if path in allowed:
                return {"file_obj": path.open("rb"), "mime_type": "font/ttf", "redirected_url": url}
        log.warning("Báo cáo PDF: từ chối tải %s", url[:200])
        raise FetchRefused(f"Không được tải tài nguyên ngoài khi in báo cáo: {url[:200]}")

    return fetch


def _cell(value, column: Column) -> str:
    if value is None or value == "":
        return ""
    if column.kind == "int":
        return fmt_int(value)
    if column.kind in ("dec", "pct"):
        return fmt_decimal(value if isinstance(value, Decimal) else Decimal(str(value)), column.places)
    return str(value)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["cell"] = _cell
    env.globals.update(chart_uri=lambda chart: svg_data_uri(chart_svg(chart, CSS_FAMILY)), paragraphs=_paragraphs)
    return env


def _paragraphs(text: str) -> list[str]:
    """Split typed text into paragraphs at line breaks, dropping empty lines."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


_ENV: Environment | None = None


def _font_css(fonts: FontFaces) -> str:
    rules = []
    for (weight, style), path in sorted(fonts.faces.items()):
        rules.append(f'@font-face {{ font-family: "{CSS_FAMILY}"; src: url("{path.as_uri()}"); '
                     f"font-weight: {weight}; font-style: {style}; }}")
    return "\n".join(rules)


def render_html(document: Document, fonts: FontFaces | None = None) -> str:
    """The document as print HTML (the page the PDF is made from)."""
    global _ENV
    if _ENV is None:
        _ENV = _environment()
    fonts = fonts or find_fonts()
    return _ENV.get_template("print.html").render(
        doc=document, font_css=_font_css(fonts), margins=MARGINS_MM, body_pt=BODY_PT, family=CSS_FAMILY)


def render_pdf(document: Document) -> bytes:
    """The document as PDF bytes (fonts subset and embedded)."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = find_fonts()
    html = render_html(document, fonts)
    return HTML(string=html, url_fetcher=restrictive_fetcher(fonts.paths())).write_pdf(
        font_config=FontConfiguration(), uncompressed_pdf=False)


def render_fragment_pdf(fragment: str, width_mm: float, height_mm: float) -> bytes:
    """A one-page PDF of an HTML fragment at a given size (used to rasterise charts for Word)."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = find_fonts()
    html = (f"<html><head><style>{_font_css(fonts)} @page {{ size: {width_mm}mm {height_mm}mm; margin: 0 }}"
            f' body {{ margin: 0; font-family: "{CSS_FAMILY}" }} img {{ display: block }}</style></head>'
            f"<body>{fragment}</body></html>")
    return HTML(string=html, url_fetcher=restrictive_fetcher(fonts.paths())).write_pdf(
        font_config=FontConfiguration())
