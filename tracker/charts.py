"""Every chart of the product, drawn server-side as SVG by pygal: the pages' trend and bar charts and the
report's charts (PDF inlines the SVG; Word gets a PNG of it, see tracker/reports/raster.py). No JavaScript,
fixed fonts and sizes.

Each function returns an SVG document as a string (no XML declaration), safe to inline in HTML with |safe:
pygal builds it with an XML library, which escapes titles and labels.
"""
from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

import pygal
from pygal.style import Style

#: colours readable in print (the PDF report is often printed in grey)
_STYLE = Style(
    background="white", plot_background="white", foreground="#222", foreground_strong="#111",
    foreground_subtle="#666", opacity="1", opacity_hover="1", transition="none",
    colors=("#1f5f99", "#c0392b", "#2e8b57", "#b8860b", "#6a5acd", "#555555"),
    font_family="'Times New Roman', 'Liberation Serif', serif", label_font_size=12, major_label_font_size=12,
    value_font_size=11, title_font_size=15, legend_font_size=12, tooltip_font_size=12,
)
#: pygal embeds its config (titles and labels included) in an inline script; the charts need no script, and
#: dropping it keeps user-provided names out of script context
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)
_BASE = {
    "style": _STYLE, "js": [], "disable_xml_declaration": True, "explicit_size": False, "show_minor_y_labels": False,
    "print_values": False, "dots_size": 3, "margin": 10, "truncate_label": 40, "truncate_legend": 40,
}


def _plain(value: Decimal | float | int | None) -> float | None:
    """pygal draws floats; values stay Decimal everywhere else."""
    return None if value is None else float(value)


def _vn_number(value: float | None, places: int = 2, unit: str = "") -> str:
    """Axis and value labels with a decimal comma and no trailing zeros (85,6), then the unit if any."""
    if value is None:
        return ""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + unit


def trend_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[Decimal | float | None]],
                max_value: Decimal | float | None = None, width: int = 720, height: int = 320) -> str:
    """A line chart of one or more series over periods (labels oldest first); gaps where a value is missing."""
    chart = pygal.Line(width=width, height=height, title=title, x_labels=list(labels), allow_interruptions=True,
                       value_formatter=_vn_number, show_legend=len(series) > 1, legend_at_bottom=True,
                       x_label_rotation=0 if len(labels) <= 8 else 30, **_BASE)
    if max_value is not None:
        chart.range = (0, float(max_value))
    for name, values in series.items():
        chart.add(name, [_plain(value) for value in values])
    return _render(chart)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[Decimal | float | None],
              max_value: Decimal | float | None = None, horizontal: bool = True, width: int = 720,
              height: int | None = None) -> str:
    """A bar chart, one bar per label (units or nodes), horizontal by default so long Vietnamese names fit."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    height = height or max(180, 60 + 24 * len(labels))
    # on a horizontal chart the labels are the y axis, which the shared options hide as "minor" labels
    options = {k: v for k, v in _BASE.items() if k not in ("print_values", "show_minor_y_labels")}
    chart = kind(width=width, height=height, title=title, show_legend=False, value_formatter=_vn_number,
                 print_values=True, **options)
    if horizontal:  # pygal stacks bars bottom-up; readers expect the first item on top
        labels, values = list(reversed(labels)), list(reversed(values))
    chart.x_labels = list(labels)
    if max_value is not None:
        chart.range = (0, float(max_value))
    chart.add(title, [_plain(value) for value in values])
    return _render(chart)


def _render(chart: pygal.graph.graph.Graph) -> str:
    """The SVG text without pygal's inline script."""
    return _SCRIPT.sub("", chart.render(is_unicode=True))


# Report charts: larger type, since the SVG is drawn 800 px wide and printed 150 mm wide.
#: sober print colours (on time, late, in progress, overdue, not started, …)
PALETTE = ("#1f5fa8", "#7fa7d9", "#2e7d32", "#c62828", "#9e9e9e", "#f9a825", "#6a1b9a")
CHART_WIDTH_PX = 800
CHART_HEIGHT_PX = 380


class PrintChart(Protocol):
    """What a report's chart carries (tracker.reports.document.Chart); charts know nothing of reports."""

    kind: str  # bar | hbar | stacked
    categories: list[str]
    series: list[tuple[str, list[float]]]
    unit: str


def _report_style(font_family: str) -> Style:
    return Style(
        background="white", plot_background="white", foreground="#222", foreground_strong="#000",
        foreground_subtle="#ccc", colors=PALETTE, font_family=f"'{font_family}', 'Tinos', serif",
        # the SVG is drawn 800 px wide and printed 150 mm wide: 20 px comes out near 10 pt
        label_font_size=20, major_label_font_size=20, legend_font_size=20, title_font_size=22,
        value_font_size=18, tooltip_font_size=18, opacity="1", opacity_hover="1",
    )


def chart_svg(chart: PrintChart, font_family: str) -> str:
    """A report's chart as a standalone SVG document (no scripts, no external references), in print colours,
    lettered in the report's font family."""
    factory = {"bar": pygal.Bar, "hbar": pygal.HorizontalBar, "stacked": pygal.StackedBar}[chart.kind]
    drawing = factory(
        style=_report_style(font_family), width=CHART_WIDTH_PX, height=CHART_HEIGHT_PX, js=[],
        disable_xml_declaration=True,
        legend_at_bottom=True, legend_at_bottom_columns=min(4, max(1, len(chart.series))),
        show_legend=len(chart.series) > 1, print_values=len(chart.categories) * len(chart.series) <= 24,
        value_formatter=lambda value: _vn_number(value, 1, chart.unit), truncate_label=40, x_label_rotation=0,
        show_y_guides=True, margin=12, spacing=8, title=None,
    )
    drawing.x_labels = chart.categories
    for name, values in chart.series:
        drawing.add(name, [float(value) for value in values])
    return _render(drawing)


def svg_data_uri(svg: str) -> str:
    """A data: URI for an <img> (the only kind of URI the PDF's URL fetcher accepts besides our fonts)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
