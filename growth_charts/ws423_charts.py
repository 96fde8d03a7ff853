"""Plotly growth charts against WS/T 423-2022: the standard's seven SD lines with the child's
points (z against the standard on hover).

The lines join the printed rows (linear between rows, as :mod:`growth_charts.ws423` reads them);
length/height-for-age and BMI-for-age break at 24 months, where length changes to height. The x
axis is age in months (or length/height in cm for weight-for-length/height).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from growth_charts import ws423
from growth_charts.age import DAYS_PER_MONTH
from growth_charts.charts import LABELS, LINE_COLOURS, MEASURE_NAMES, UNITS, Language
from growth_charts.indicators import indicator
from growth_charts.rounding import round_z

CHART_CODES = ("wfa", "lhfa", "wfl", "wfh", "hcfa", "bmi")
TITLE = {"en": "WS/T 423-2022 (China)", "zh-CN": "WS/T 423-2022 中国7岁以下儿童生长标准"}
SD_NAME = {"en": "{z} SD", "zh-CN": "{z}SD"}
MEDIAN = {"en": "Median (WS/T 423)", "zh-CN": "中位数（WS/T 423）"}


def _segments(code: str, keys: np.ndarray) -> list[np.ndarray]:
    """Row indices of each drawn segment (two for the tables that change length to height)."""
    if ws423.TABLES[code].position_switch:
        split = int(np.searchsorted(keys, ws423.HEIGHT_FROM_MONTHS))
        return [np.arange(split), np.arange(split, keys.size)]
    return [np.arange(keys.size)]


def ws423_chart(
    code: str,
    sex: str,
    *,
    ages_or_lengths: ArrayLike | None = None,
    values: ArrayLike | None = None,
    lang: Language = "zh-CN",
) -> go.Figure:
    """The WS/T 423-2022 chart of ``code`` (:data:`CHART_CODES`) for sex ``"M"``/``"F"``.

    ``ages_or_lengths`` are ages in days for the age charts (shown in months) or cm for
    ``wfl``/``wfh``; ``values`` the measurements (kg, cm, kg/m²). Each point's hover gives the
    value and its z against the standard, rounded to 2 decimals."""
    tab = ws423.table(code)
    sd = tab.sd[0 if sex == "M" else 1]
    text = LABELS[lang]
    figure = go.Figure()
    for column, z in enumerate(range(-3, 4)):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for part in _segments(code, tab.keys):
            xs += [*map(float, tab.keys[part]), None]
            ys += [*map(float, sd[part, column]), None]
        name = MEDIAN[lang] if z == 0 else SD_NAME[lang].format(z=f"{z:+d}")
        figure.add_trace(go.Scatter(
            x=xs[:-1], y=ys[:-1], mode="lines", name=name, hoverinfo="skip",
            line={"color": LINE_COLOURS[float(abs(z))], "width": 2 if z == 0 else 1.2,
                  "dash": "dot" if abs(z) == 1 else "solid"},
        ))  # fmt: skip
    age_chart = ws423.TABLES[code].axis == "age_months"
    if ages_or_lengths is not None and values is not None:
        x = np.asarray(ages_or_lengths, dtype=np.float64)
        y = np.asarray(values, dtype=np.float64)
        shown = x / DAYS_PER_MONTH if age_chart else x
        z = round_z(ws423.zscore(code, sex, shown, y, x if age_chart else None))
        unit = UNITS[indicator(code).unit][lang]
        name = MEASURE_NAMES[lang][code]
        hover = [
            f"{name}: {v:g} {unit}<br>z (WS/T 423) = {zz:.2f}" if np.isfinite(zz)
            else f"{name}: {v:g} {unit}"
            for v, zz in zip(y, z, strict=True)
        ]  # fmt: skip
        figure.add_trace(go.Scatter(
            x=shown, y=y, mode="lines+markers", text=hover, name=text["child"],
            hovertemplate="%{text}<extra></extra>",
            marker={"size": 9, "color": "#1f4e9c", "line": {"width": 1, "color": "white"}},
            line={"color": "#1f4e9c", "width": 1.5},
        ))  # fmt: skip
    if ws423.TABLES[code].position_switch:
        figure.add_vline(x=24, line={"dash": "dot", "color": "#888"})
    unit = UNITS[indicator(code).unit][lang]
    axis = "age_months" if age_chart else ("length_cm" if code == "wfl" else "height_cm")
    figure.update_layout(
        title={"text": f"{text[code]} · {text[sex]} · {TITLE[lang]}", "x": 0, "xanchor": "left",
               "xref": "paper"},
        xaxis_title=text[axis],
        yaxis_title=f"{MEASURE_NAMES[lang][code]} ({unit})",
        template="plotly_white",
        hovermode="closest",
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 50, "r": 20, "t": 60, "b": 40},
    )  # fmt: skip
    return figure
