"""Charts drawn on the server as SVG: no chart library, no script, nothing fetched.

Every chart is a plain ``<svg>`` whose colours are presentation attributes (the page's
Content-Security-Policy allows no inline style), with a ``<title>`` and a ``<desc>`` for screen
readers, and every label passes through :func:`markupsafe.escape`. The same markup works in
the page and in the self-contained report file. Each chart sits beside a table of the same
figures (the page's "table" view), so nothing is only in a picture.

>>> svg = line_chart("Share known", ["2025-01", "2025-02"], [Series("all", [0.5, 0.75])])
>>> svg.startswith("<svg") and "75%" in svg
True
>>> "<b>" in bar_chart("x", [("<b>", 0.5)])
False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape

__all__ = ["Series", "PALETTE", "line_chart", "bar_chart", "stacked_bars", "heat_map", "percent"]

# Okabe and Ito's colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


@dataclass(frozen=True)
class Series:
    """One line: a name and a value (0..1, or None for no figure) per x label."""

    name: str
    values: Sequence[float | None]


def percent(value: float | None) -> str:
    """A share as a whole percentage (``0.734`` -> ``73%``); an em dash for no figure."""
    return "\u2014" if value is None else f"{value * 100:.0f}%"


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" {_FONT}><title>{escape(title)}</title><desc>{escape(desc)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="#222"{extra}>{escape(text)}</text>'


def _y_axis(left: int, top: int, width: int, height: int) -> list[str]:
    parts = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + height * (1 - tick)
        parts.append(f'<line x1="{left}" x2="{left + width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(_text(left - 6, y + 4, percent(tick), "end"))
    return parts


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], marker: str | None = None) -> Markup:
    """Shares (0..1) month by month, one line per series; ``marker`` draws a dashed line at that label."""
    left, top, plot_w, plot_h = 48, 12, max(480, min(900, 28 * len(labels))), 180
    body = _y_axis(left, top, plot_w, plot_h)
    step = plot_w / max(1, len(labels) - 1) if len(labels) > 1 else 0
    x_of = {label: left + (i * step if len(labels) > 1 else plot_w / 2) for i, label in enumerate(labels)}
    every = max(1, -(-64 // max(1, int(step)))) if step else 1   # a label at least 64 px from the next
    for i, label in enumerate(labels):
        if i % every == 0:
            body.append(_text(x_of[label], top + plot_h + 16, label, "middle"))
    if marker in x_of:
        x = x_of[marker]
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" stroke="#555" '
                    f'stroke-dasharray="4 3"/>')
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        points = [(x_of[label], top + plot_h * (1 - v)) for label, v in zip(labels, s.values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), (label, v) in zip(points, [(lb, v) for lb, v in zip(labels, s.values) if v is not None]):
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                        f'<title>{escape(s.name)} {escape(label)}: {percent(v)}</title></circle>')
        body.append(f'<rect x="{left + 200 * n}" y="{top + plot_h + 28}" width="10" height="10" fill="{colour}"/>')
        body.append(_text(left + 200 * n + 14, top + plot_h + 37, s.name))
    width, height = left + plot_w + 24, top + plot_h + 48
    return _svg(width, height, title, f"{len(series)} line(s) over {len(labels)} months, shares from 0 to 100%", body)


def bar_chart(title: str, rows: Sequence[tuple[str, float | None]], reference: float | None = None,
              reference_label: str = "") -> Markup:
    """One horizontal bar per row (a share, 0..1), with an optional dashed reference line."""
    left, top, plot_w, bar_h = 140, 8, 320, 18
    body = []
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + 6)
        body.append(_text(left - 6, y + 13, label, "end"))
        width = plot_w * (value or 0)
        body.append(f'<rect x="{left}" y="{y}" width="{width:.1f}" height="{bar_h}" fill="{PALETTE[0]}">'
                    f'<title>{escape(label)}: {percent(value)}</title></rect>')
        body.append(_text(left + width + 4, y + 13, percent(value)))
    height = top + len(rows) * (bar_h + 6) + 20
    if reference is not None:
        x = left + plot_w * reference
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - 16}" stroke="#D55E00" '
                    f'stroke-width="2" stroke-dasharray="5 3"/>')
        body.append(_text(x, height - 4, f"{reference_label} {percent(reference)}", "middle"))
    return _svg(left + plot_w + 60, height, title, f"{len(rows)} bars, shares from 0 to 100%", body)


def stacked_bars(title: str, categories: Sequence[str], rows: Sequence[tuple[str, Sequence[int]]]) -> Markup:
    """One 100% bar per row, split into ``categories`` by the counts given; a legend underneath."""
    left, top, plot_w, bar_h = 140, 8, 360, 18
    body = []
    for i, (label, counts) in enumerate(rows):
        y, total, x = top + i * (bar_h + 6), sum(counts) or 1, float(left)
        body.append(_text(left - 6, y + 13, label, "end"))
        for n, (category, count) in enumerate(zip(categories, counts)):
            width = plot_w * count / total
            body.append(f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{bar_h}" '
                        f'fill="{PALETTE[n % len(PALETTE)]}"><title>{escape(label)}, {escape(category)}: '
                        f'{count} ({percent(count / total)})</title></rect>')
            x += width
    legend_y = top + len(rows) * (bar_h + 6) + 6
    for n, category in enumerate(categories):
        x = left - 130 + (n % 3) * 160
        y = legend_y + (n // 3) * 16
        body.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{PALETTE[n % len(PALETTE)]}"/>')
        body.append(_text(x + 14, y + 9, category))
    height = legend_y + ((len(categories) + 2) // 3) * 16 + 6
    return _svg(left + plot_w + 20, height, title, f"{len(rows)} bars split into {len(categories)} parts", body)


def _heat(value: float | None) -> str:
    """White (0) to deep blue (1); grey for no figure."""
    if value is None:
        return "#eeeeee"
    r, g, b = (int(255 + (c - 255) * value) for c in (0x08, 0x45, 0x94))
    return f"#{r:02x}{g:02x}{b:02x}"


def heat_map(title: str, row_labels: Sequence[str], col_labels: Sequence[str],
             cells: dict[tuple[str, str], tuple[float, int]]) -> Markup:
    """A matrix of shares: ``cells[(row, col)] = (share, count)``; empty cells are grey."""
    left, top, cell_w, cell_h = 110, 90, 64, 28
    body = []
    for j, col in enumerate(col_labels):
        x = left + j * cell_w + cell_w / 2
        body.append(_text(x, top - 8, col, "start", f' transform="rotate(-40 {x:.1f} {top - 8})"'))
    for i, row in enumerate(row_labels):
        y = top + i * cell_h
        body.append(_text(left - 6, y + 18, row, "end"))
        for j, col in enumerate(col_labels):
            share, count = cells.get((row, col), (None, 0))
            x = left + j * cell_w
            tip = f"{row} to {col}: {percent(share)} of {count}" if share is not None else f"{row} to {col}: none"
            body.append(f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{_heat(share)}">'
                        f'<title>{escape(tip)}</title></rect>')
            if share is not None:
                colour = "#fff" if share > 0.55 else "#222"
                body.append(f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + 18}" text-anchor="middle" '
                            f'fill="{colour}">{percent(share)}</text>')
    width, height = left + len(col_labels) * cell_w + 20, top + len(row_labels) * cell_h + 8
    return _svg(width, height, title, f"{len(row_labels)} agencies raising, {len(col_labels)} agencies told", body)
