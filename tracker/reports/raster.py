"""A report chart as PNG, for Word (which cannot show SVG reliably).

The SVG is printed on a one-page PDF with WeasyPrint and rasterised with pdftoppm (poppler-utils, installed
by the Makefile); without pdftoppm the Word file gets the chart's table instead.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from tracker.charts import CHART_HEIGHT_PX, CHART_WIDTH_PX, chart_svg, svg_data_uri
from tracker.reports.document import Chart
from tracker.reports.fonts import CSS_FAMILY
from tracker.reports.pdf import render_fragment_pdf


def png_converter_available() -> bool:
    """Whether pdftoppm is installed (needed for charts in Word)."""
    return shutil.which("pdftoppm") is not None


def chart_png(chart: Chart, dpi: int = 150) -> bytes | None:
    """The chart as PNG bytes, or None when no converter is available."""
    if not png_converter_available():
        return None
    width_mm, height_mm = 160, 160 * CHART_HEIGHT_PX / CHART_WIDTH_PX
    html = (f'<img src="{svg_data_uri(chart_svg(chart, CSS_FAMILY))}" style="width:{width_mm}mm;height:{height_mm}mm">')
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
