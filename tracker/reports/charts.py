"""Report charts: pygal SVG for the PDF, and a PNG of the same SVG for Word.

tracker/charts.py (the pages' charting module) did not exist when this was written, so the report draws its
bar charts with pygal directly, in print colours and the report's font. Word cannot show SVG reliably, so the
SVG is turned into a PNG by printing it on a one-page PDF with WeasyPrint and rasterising that with pdftoppm
(poppler-utils, installed by the Makefile); without pdftoppm the Word file gets the chart's table instead.
"""
from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
from pathlib import Path

import pygal
from pygal.style import Style

from tracker.reports.document import Chart
from tracker.reports.fonts import CSS_FAMILY

#: sober print colours (on time, late, in progress, overdue, not started, …)
PALETTE = ("#1f5fa8", "#7fa7d9", "#2e7d32", "#c62828", "#9e9e9e", "#f9a825", "#6a1b9a")
CHART_WIDTH_PX = 800
CHART_HEIGHT_PX = 380


def _style() -> Style:
    return Style(
        background="white", plot_background="white", foreground="#222", foreground_strong="#000",
        foreground_subtle="#ccc", colors=PALETTE, font_family=f"'{CSS_FAMILY}', 'Tinos', serif",
        # the SVG is drawn 800 px wide and printed 150 mm wide: 20 px comes out near 10 pt
        label_font_size=20, major_label_font_size=20, legend_font_size=20, title_font_size=22,
        value_font_size=18, tooltip_font_size=18, opacity="1", opacity_hover="1",
    )


def chart_svg(chart: Chart) -> str:
    """The chart as a standalone SVG document (no scripts, no external references)."""
    factory = {"bar": pygal.Bar, "hbar": pygal.HorizontalBar, "stacked": pygal.StackedBar}[chart.kind]
    drawing = factory(
        style=_style(), width=CHART_WIDTH_PX, height=CHART_HEIGHT_PX, js=[], disable_xml_declaration=True,
        legend_at_bottom=True, legend_at_bottom_columns=min(4, max(1, len(chart.series))),
        show_legend=len(chart.series) > 1, print_values=len(chart.categories) * len(chart.series) <= 24,
        value_formatter=lambda value: _vn_number(value, chart.unit), truncate_label=40, x_label_rotation=0,
        show_y_guides=True, margin=12, spacing=8, title=None,
    )
    drawing.x_labels = chart.categories
    for name, values in chart.series:
        drawing.add(name, [float(value) for value in values])
    return drawing.render(is_unicode=True)


def _vn_number(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    text = f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text}{unit}"


def svg_data_uri(svg: str) -> str:
    """A data: URI for an <img> (the only kind of URI the PDF's URL fetcher accepts besides our fonts)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def png_converter_available() -> bool:
    """Whether pdftoppm is installed (needed for charts in Word)."""
    return shutil.which("pdftoppm") is not None


def chart_png(chart: Chart, dpi: int = 150) -> bytes | None:
    """The chart as PNG bytes, or None when no converter is available."""
    if not png_converter_available():
        return None
    from tracker.reports.pdf import render_fragment_pdf  # late: the PDF module imports this one

    width_mm, height_mm = 160, 160 * CHART_HEIGHT_PX / CHART_WIDTH_PX
    html = (f'<img src="{svg_data_uri(chart_svg(chart))}" style="width:{width_mm}mm;height:{height_mm}mm">')
    pdf = render_fragment_pdf(html, width_mm, height_mm)
    with tempfile.TemporaryDirectory(prefix="dondoc-chart-") as folder:
        source = Path(folder) / "chart.pdf"
        source.write_bytes(pdf)
        result = subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(source),
                                 str(Path(folder) / "chart")], capture_output=True, timeout=60, check=False)
        target = Path(folder) / "chart.png"
        if result.returncode != 0 or not target.exists():
            return None
        return target.read_bytes()
