"""A page's Plotly figure redrawn as a plain SVG for a PDF: the same traces and layout the page
draws (the figure block of :func:`api.services.figures.figure_block`), turned into vector
lines, filled bands, markers, axes, labels and a legend. It draws what the figure says; it
computes no value of its own.

Drawn: ``scatter`` traces (``lines``, ``markers``, ``lines+markers``; ``fill="tonexty"``
bands against the trace before; ``None``/NaN breaks a line), numeric or category x axes,
the layout's axis ranges when set (else the data's, 4 % padding), data-anchored annotations,
horizontal shapes (``add_hline``), the title, axis titles and the traces shown in the legend.
Not drawn: hover texts, the mode bar, paper-anchored annotations other than the right margin's.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

WIDTH = 680.0
"""Width of the drawing, in CSS px (1/96 in); the PDF template scales it to the column."""
HEIGHT = 300.0
MARGIN = {"l": 54.0, "r": 56.0, "t": 26.0, "b": 58.0}
MAX_POINTS = 240
"""Most points kept per line inside the shown range (the curves have one per day)."""
FONT = "Noto Sans CJK SC, sans-serif"
_CLIPS = itertools.count(1)  # one clip path id per drawing of a document
_BLOCK = re.compile(r'<script type="application/json" id="[^"]+">(.*?)</script>', re.S)
_DTYPES = {
    "f8": np.float64,
    "f4": np.float32,
    "i4": np.int32,
    "i2": np.int16,
    "i1": np.int8,
    "u1": np.uint8,
    "u2": np.uint16,
    "u4": np.uint32,
    "i8": np.int64,
}


def figure_spec(block: str) -> dict[str, Any]:
    """The ``{"data": [...], "layout": {...}}`` of a figure block's HTML (ValueError when the
    HTML holds none)."""
    found = _BLOCK.search(block)
    if found is None:
        raise ValueError("no figure in the HTML")
    return json.loads(found.group(1))


def _values(raw: Any) -> list[Any]:
    """A trace's ``x`` or ``y``: a list, or Plotly's typed array (``dtype`` + base64 ``bdata``)."""
    if raw is None:
        return []
    if isinstance(raw, dict) and "bdata" in raw:
        array = np.frombuffer(base64.b64decode(raw["bdata"]), dtype=_DTYPES[raw["dtype"]])
        return array.astype(np.float64).tolist()
    return list(raw)


def _number(value: Any) -> float | None:
    """A finite float, or None (missing, NaN, text)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _text(value: Any) -> str:
    """Plotly's label text as plain, escaped SVG text (``<br>`` becomes a space)."""
    plain = re.sub(r"<br\s*/?>", " ", str(value or ""))
    return html.escape(re.sub(r"<[^>]+>", "", plain))


def _ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round tick values between ``low`` and ``high`` (steps of 1, 2 or 5 × 10ⁿ)."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 10) for i in range(int((high - first) / step + 1e-9) + 1)]


def _range(axis: dict[str, Any], values: list[float]) -> tuple[float, float]:
    """The layout's range of an axis, else the values' with 4 % padding."""
    given = axis.get("range")
    if given and len(given) == 2 and all(_number(v) is not None for v in given):
        return float(given[0]), float(given[1])
    finite = [v for v in values if v is not None]
    if not finite:
        return 0.0, 1.0
    low, high = min(finite), max(finite)
    pad = (high - low) * 0.04 or 1.0
    return low - pad, high + pad


def _thin(points: list[tuple[float, float] | None]) -> list[tuple[float, float] | None]:
    """At most :data:`MAX_POINTS` points per line, keeping breaks and both ends."""
    kept = sum(p is not None for p in points)
    if kept <= MAX_POINTS:
        return points
    step = math.ceil(kept / MAX_POINTS)
    out: list[tuple[float, float] | None] = []
    seen = 0
    for index, point in enumerate(points):
        last = index == len(points) - 1 or points[index + 1] is None
        if point is None or seen % step == 0 or last:
            out.append(point)
        if point is not None:
            seen += 1
    return out


def _colour(trace: dict[str, Any], index: int) -> str:
    """A trace's line or marker colour (Plotly's default sequence when it names none)."""
    palette = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
    line, marker = trace.get("line") or {}, trace.get("marker") or {}
    return str(line.get("color") or marker.get("color") or palette[index % len(palette)])


def to_svg(spec: dict[str, Any], *, width: float = WIDTH, height: float = HEIGHT) -> str:
    """The figure ``spec`` (``data`` and ``layout``) as one ``<svg>`` element (see the module
    docstring for what is drawn)."""
    data: Sequence[dict[str, Any]] = spec.get("data") or []
    layout: dict[str, Any] = spec.get("layout") or {}
    xaxis, yaxis = layout.get("xaxis") or {}, layout.get("yaxis") or {}
    traces = [(t, _values(t.get("x")), _values(t.get("y"))) for t in data]
    category = xaxis.get("type") == "category" or any(
        isinstance(v, str) for _, xs, _ in traces for v in xs
    )
    categories: list[str] = []
    if category:
        for _, xs, _ in traces:
            for v in xs:
                if v is not None and str(v) not in categories:
                    categories.append(str(v))

    def x_of(value: Any) -> float | None:
        if category:
            return None if value is None else float(categories.index(str(value)))
        return _number(value)

    x_low, x_high = (
        (-0.5, len(categories) - 0.5)
        if category
        else _range(xaxis, [x_of(v) for _, xs, _ in traces for v in xs])
    )
    inside = [
        _number(y)
        for _, xs, ys in traces
        for x, y in zip(xs, ys, strict=False)
        if (xv := x_of(x)) is not None and x_low <= xv <= x_high
    ]
    y_low, y_high = _range(yaxis, inside)
    left, top = MARGIN["l"], MARGIN["t"]
    plot_w, plot_h = width - MARGIN["l"] - MARGIN["r"], height - MARGIN["t"] - MARGIN["b"]

    def px(x: float) -> float:
        return left + (x - x_low) / (x_high - x_low) * plot_w

    def py(y: float) -> float:
        return top + (y_high - y) / (y_high - y_low) * plot_h

    clip = f"plot-{next(_CLIPS)}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" width="{width:g}" '
        f'height="{height:g}" viewBox="0 0 {width:g} {height:g}" font-family="{FONT}" '
        'font-size="10">',
        f'<defs><clipPath id="{clip}"><rect x="{left:g}" y="{top:g}" width="{plot_w:g}" '
        f'height="{plot_h:g}"/></clipPath></defs>',
        f'<rect x="{left:g}" y="{top:g}" width="{plot_w:g}" height="{plot_h:g}" fill="#fff" '
        'stroke="#999" stroke-width="0.6"/>',
    ]
    for tick in _ticks(y_low, y_high):
        out.append(
            f'<line x1="{left:g}" x2="{left + plot_w:g}" y1="{py(tick):.1f}" '
            f'y2="{py(tick):.1f}" stroke="#e4e4e4" stroke-width="0.5"/>'
        )
        out.append(
            f'<text x="{left - 4:g}" y="{py(tick) + 3:.1f}" text-anchor="end">{tick:g}</text>'
        )
    x_ticks = list(range(len(categories))) if category else _ticks(x_low, x_high, 8)
    for tick in x_ticks:
        label = _text(categories[int(tick)]) if category else f"{tick:g}"
        out.append(
            f'<line x1="{px(tick):.1f}" x2="{px(tick):.1f}" y1="{top + plot_h:g}" '
            f'y2="{top + plot_h + 3:g}" stroke="#999" stroke-width="0.6"/>'
        )
        out.append(
            f'<text x="{px(tick):.1f}" y="{top + plot_h + 13:g}" text-anchor="middle">'
            f"{label}</text>"
        )
    out.append(f'<g clip-path="url(#{clip})">')
    previous: list[tuple[float, float] | None] = []
    legend: list[tuple[str, str, str]] = []
    for index, (trace, xs, ys) in enumerate(traces):
        points: list[tuple[float, float] | None] = []
        for x, y in zip(xs, ys, strict=False):
            xv, yv = x_of(x), _number(y)
            points.append(None if xv is None or yv is None else (px(xv), py(yv)))
        mode = str(trace.get("mode") or "lines")
        colour = _colour(trace, index)
        if trace.get("fill") == "tonexty" and previous:
            upper = [p for p in _thin(points) if p is not None]
            lower = [p for p in _thin(previous) if p is not None]
            ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in [*upper, *reversed(lower)])
            out.append(
                f'<polygon points="{ring}" fill="{trace.get("fillcolor", "#ddd")}" stroke="none"/>'
            )
        line = trace.get("line") or {}
        line_width = float(line.get("width", 1.5))
        if "lines" in mode and line_width > 0:
            dash = {"dot": ' stroke-dasharray="2,2"', "dash": ' stroke-dasharray="5,3"'}.get(
                str(line.get("dash")), ""
            )
            run: list[str] = []
            for point in [*_thin(points), None]:
                if point is not None:
                    run.append(f"{point[0]:.1f},{point[1]:.1f}")
                    continue
                if len(run) > 1:
                    out.append(
                        f'<polyline points="{" ".join(run)}" fill="none" '
                        f'stroke="{colour}" stroke-width="{line_width:g}"{dash}/>'
                    )
                run = []
        if "markers" in mode:
            marker = trace.get("marker") or {}
            symbols = marker.get("symbol")
            for i, point in enumerate(points):
                if point is None:
                    continue
                symbol = symbols[i] if isinstance(symbols, list) else symbols
                open_ = isinstance(symbol, str) and symbol.endswith("-open")
                fill = "#fff" if open_ else colour
                out.append(
                    f'<circle cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="3.2" '
                    f'fill="{fill}" stroke="{colour}" stroke-width="1.2"/>'
                )
        if trace.get("showlegend", True) and trace.get("name"):
            symbol = (trace.get("marker") or {}).get("symbol")
            hollow = isinstance(symbol, str) and symbol.endswith("-open")
            kind = "band" if trace.get("fill") else "line"
            if "markers" in mode:
                kind = "open" if hollow else ("marker" if "lines" not in mode else "both")
            swatch = str(trace.get("fillcolor") or colour)
            legend.append((_text(trace["name"]), swatch, kind))
        previous = points
    for shape in layout.get("shapes") or []:
        if shape.get("yref", "y") == "y" and shape.get("y0") == shape.get("y1"):
            y = _number(shape.get("y0"))
            if y is not None and y_low <= y <= y_high:
                colour = (shape.get("line") or {}).get("color", "#b00")
                out.append(
                    f'<line x1="{left:g}" x2="{left + plot_w:g}" y1="{py(y):.1f}" '
                    f'y2="{py(y):.1f}" stroke="{colour}" stroke-dasharray="5,3"/>'
                )
    out.append("</g>")
    for note in layout.get("annotations") or []:
        x, y = note.get("x"), _number(note.get("y"))
        if y is None or note.get("yref", "y") != "y" or not y_low <= y <= y_high:
            continue
        colour = (note.get("font") or {}).get("color", "#333")
        if note.get("xref") == "paper":
            at = left + plot_w * float(_number(x) or 1.0) + 3
        else:
            xv = x_of(x)
            if xv is None:
                continue
            at = min(px(min(max(xv, x_low), x_high)), left + plot_w) + 3
        out.append(
            f'<text x="{at:.1f}" y="{py(y) + 3:.1f}" fill="{colour}">'
            f"{_text(note.get('text'))}</text>"
        )
    title = (layout.get("title") or {}).get("text")
    if title:
        out.append(
            f'<text x="{left:g}" y="{top - 9:g}" font-size="12" font-weight="bold">'
            f"{_text(title)}</text>"
        )
    x_title = (xaxis.get("title") or {}).get("text")
    if x_title:
        out.append(
            f'<text x="{left + plot_w / 2:g}" y="{top + plot_h + 27:g}" '
            f'text-anchor="middle">{_text(x_title)}</text>'
        )
    y_title = (yaxis.get("title") or {}).get("text")
    if y_title:
        middle = top + plot_h / 2
        out.append(
            f'<text x="12" y="{middle:g}" text-anchor="middle" '
            f'transform="rotate(-90 12 {middle:g})">{_text(y_title)}</text>'
        )
    at_x, at_y = left, height - 10
    for name, swatch, kind in legend:
        if kind == "band":  # a filled swatch; a line, a marker, both or a hollow marker below
            out.append(
                f'<rect x="{at_x:g}" y="{at_y - 7:g}" width="14" height="8" fill="{swatch}"/>'
            )
        if kind in ("line", "both"):
            out.append(
                f'<line x1="{at_x:g}" x2="{at_x + 14:g}" y1="{at_y - 3:g}" '
                f'y2="{at_y - 3:g}" stroke="{swatch}" stroke-width="2"/>'
            )
        if kind in ("marker", "open", "both"):
            fill = "#fff" if kind == "open" else swatch
            out.append(
                f'<circle cx="{at_x + 7:g}" cy="{at_y - 3:g}" r="3" fill="{fill}" '
                f'stroke="{swatch}" stroke-width="1.2"/>'
            )
        out.append(f'<text x="{at_x + 18:g}" y="{at_y:g}">{name}</text>')
        at_x += (
            18
            + 7.0 * len(html.unescape(name)) * (1.6 if re.search(r"[^\x00-\x7f]", name) else 1.0)
            + 12
        )
    out.append("</svg>")
    return "".join(out)
