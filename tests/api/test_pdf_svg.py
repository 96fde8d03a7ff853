"""The chart redrawn as SVG for the PDFs (:mod:`api.pdf.svg`): a trace's points land where the
axes put them (hand-computed pixels), Plotly's typed arrays are read, a gap breaks a line, a
band is filled, and a figure block of the page gives back its traces and layout."""

from __future__ import annotations

import base64
import re

import numpy as np

from api.pdf.svg import figure_spec, to_svg
from api.services.figures import figure_block

RANGES = {"xaxis": {"range": [0, 10]}, "yaxis": {"range": [0, 10]}}


def test_points_land_where_the_axes_put_them() -> None:
    # plot area: x from 54 to 680 − 56 = 624 px (570 wide), y from 26 to 300 − 58 = 242 px
    spec = {"data": [{"x": [0, 5, 10], "y": [0, 5, 10], "mode": "lines"}], "layout": RANGES}
    svg = to_svg(spec)
    assert '<polyline points="54.0,242.0 339.0,134.0 624.0,26.0"' in svg
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and svg.endswith("</svg>")


def test_typed_arrays_gaps_bands_and_markers() -> None:
    typed = {"dtype": "f8", "bdata": base64.b64encode(np.array([0.0, 10.0]).tobytes()).decode()}
    data = [
        {"x": typed, "y": [0, 0], "mode": "lines", "line": {"width": 0}},
        {"x": [0, 10], "y": [10, 10], "mode": "lines", "fill": "tonexty", "fillcolor": "#abc",
         "line": {"width": 0}, "name": "band"},
        {"x": [0, 2, None, 8, 10], "y": [5, 5, None, 5, 5], "mode": "lines", "name": "gap"},
        {"x": [5], "y": [2.5], "mode": "markers", "marker": {"symbol": "circle-open"}},
    ]  # fmt: skip
    svg = to_svg({"data": data, "layout": RANGES})
    assert '<polygon points="54.0,26.0 624.0,26.0 624.0,242.0 54.0,242.0" fill="#abc"' in svg
    assert svg.count("<polyline") == 2  # the gap breaks the line in two
    assert '<circle cx="339.0" cy="188.0" r="3.2" fill="#fff"' in svg  # y 2.5 → 242 − 54


def test_a_page_figure_block_gives_its_spec_back() -> None:
    block = figure_block('[{"x":[1],"y":[2],"name":"<b>x</b>"}]', '{"title":{"text":"T"}}', {})
    spec = figure_spec(block)
    assert spec["data"][0]["name"] == "<b>x</b>" and spec["layout"]["title"]["text"] == "T"
    svg = to_svg(spec)
    assert "<b>" not in svg and re.search(r">x</text>", svg)  # labels as plain text


def test_a_category_axis_names_each_category_once() -> None:
    data = [
        {"x": ["A", "A", None, "B", "B", None], "y": [10, 20, None, 30, 40, None], "mode": "lines"},
        {"x": ["A", "B"], "y": [15, 35], "mode": "markers"},
    ]
    layout = {"xaxis": {"type": "category"}, "yaxis": {"range": [0, 100]}}
    svg = to_svg({"data": data, "layout": layout})
    # two categories over 570 px: centres at 54 + 570 × (0.5/2) and × (1.5/2)
    assert re.findall(r'text-anchor="middle">([AB])</text>', svg) == ["A", "B"]
    assert '<polyline points="196.5,220.4 196.5,198.8"' in svg
    assert '<circle cx="481.5" cy="166.4"' in svg
