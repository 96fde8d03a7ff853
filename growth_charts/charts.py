"""Growth-chart figures (Plotly) for every WHO indicator, in zh-CN or en.

``growth_chart`` returns a ``plotly.graph_objects.Figure``: percentile bands (P3–P97, P15–P85)
under the centile lines of WHO's percentile charts (3rd, 15th, 50th, 85th, 97th), or z-lines
(0, ±1, ±2, ±3), each line labelled at its right end (:func:`line_labels`, which a caller that
zooms the chart places again at the right end of what it shows); the child's measurements with
z and percentile on hover, and for length/height-for-age the break at 24 months where lying
length becomes standing height. Rendering (HTML, PNG) belongs to the caller.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from growth_charts.age import DAYS_PER_MONTH, LENGTH_HEIGHT_SWITCH_DAY
from growth_charts.classify import percentile, z_from_percentile
from growth_charts.indicators import indicator
from growth_charts.rounding import round_z
from growth_charts.zscore import value_at_z, zscore

Language = Literal["zh-CN", "en"]
Style = Literal["percentile", "zscore"]
PERCENTILE_BANDS = ((3.0, 97.0), (15.0, 85.0))
PERCENTILE_LINES = (3.0, 15.0, 50.0, 85.0, 97.0)
Z_LINES = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
LINE_LABEL = "line-label"
"""The ``name`` of the annotations that label the reference lines at their right end."""
CENTILE_NAMES: dict[Language, dict[float, str]] = {
    "en": {3.0: "3rd", 15.0: "15th", 50.0: "50th", 85.0: "85th", 97.0: "97th"},
    "zh-CN": {3.0: "P3", 15.0: "P15", 50.0: "P50", 85.0: "P85", 97.0: "P97"},
}

LABELS: dict[Language, dict[str, str]] = {
    "en": {
        "lhfa": "Length/height-for-age", "wfa": "Weight-for-age", "wfl": "Weight-for-length",
        "wfh": "Weight-for-height", "bmi": "BMI-for-age", "hcfa": "Head circumference-for-age",
        "acfa": "Arm circumference-for-age", "tsfa": "Triceps skinfold-for-age",
        "ssfa": "Subscapular skinfold-for-age", "hfa_2007": "Height-for-age (5–19 years)",
        "wfa_2007": "Weight-for-age (5–10 years)", "bmi_2007": "BMI-for-age (5–19 years)",
        "M": "boys", "F": "girls", "age_months": "Age (months)", "age_years": "Age (years)",
        "length_cm": "Length (cm)", "height_cm": "Height (cm)", "median": "Median",
        "band": "P{low}–P{high}", "zline": "z = {z}", "child": "Child's measurements",
        "length": "length (lying)", "height": "height (standing)", "percentile": "percentile",
        "child_corrected": "Child's measurements (corrected age)", "at_actual_age": "At actual age",
        "corrected_age": "Corrected age: {m:.1f} months",
        "actual_age": "Actual age: {m:.1f} months",
        "born_early": "Born early: compared at the corrected age",
    },
    "zh-CN": {
        "lhfa": "年龄别身长/身高", "wfa": "年龄别体重", "wfl": "身长别体重", "wfh": "身高别体重",
        "bmi": "年龄别BMI", "hcfa": "年龄别头围", "acfa": "年龄别上臂围",
        "tsfa": "年龄别肱三头肌皮褶厚度", "ssfa": "年龄别肩胛下皮褶厚度",
        "hfa_2007": "年龄别身高（5–19岁）", "wfa_2007": "年龄别体重（5–10岁）",
        "bmi_2007": "年龄别BMI（5–19岁）", "M": "男童", "F": "女童",
        "age_months": "月龄", "age_years": "年龄（岁）", "length_cm": "身长（厘米）",
        "height_cm": "身高（厘米）", "median": "中位数", "band": "第{low}–{high}百分位",
        "zline": "Z = {z}", "child": "孩子的测量值", "length": "身长（卧位）",
        "height": "身高（立位）", "percentile": "百分位",
        "child_corrected": "孩子的测量值（矫正月龄）", "at_actual_age": "按实际月龄",
        "corrected_age": "矫正月龄：{m:.1f}个月", "actual_age": "实际月龄：{m:.1f}个月",
        "born_early": "早产：按矫正月龄评价",
    },
}  # fmt: skip
UNITS = {"kg": {"en": "kg", "zh-CN": "千克"}, "cm": {"en": "cm", "zh-CN": "厘米"},
         "mm": {"en": "mm", "zh-CN": "毫米"},
         "kg/m²": {"en": "kg/m²", "zh-CN": "千克/米²"}}  # fmt: skip
MEASURE_NAMES = {
    "en": {"lhfa": "Length/height", "wfa": "Weight", "wfl": "Weight", "wfh": "Weight",
           "bmi": "BMI", "hcfa": "Head circumference", "acfa": "Arm circumference",
           "tsfa": "Triceps skinfold", "ssfa": "Subscapular skinfold", "hfa_2007": "Height",
           "wfa_2007": "Weight", "bmi_2007": "BMI"},
    "zh-CN": {"lhfa": "身长/身高", "wfa": "体重", "wfl": "体重", "wfh": "体重", "bmi": "BMI",
              "hcfa": "头围", "acfa": "上臂围", "tsfa": "肱三头肌皮褶", "ssfa": "肩胛下皮褶",
              "hfa_2007": "身高", "wfa_2007": "体重", "bmi_2007": "BMI"},
}  # fmt: skip
BAND_COLOURS = ("rgba(46, 139, 87, 0.12)", "rgba(46, 139, 87, 0.22)")
LINE_COLOURS = {0.0: "#1b7f4b", 1.0: "#d4a017", 2.0: "#e07b39", 3.0: "#c0392b"}


def _display_x(code: str, x: np.ndarray) -> np.ndarray:
    """Table axis → chart axis: days → months, months → years (WHO 2007), cm unchanged."""
    axis = indicator(code).axis
    if axis == "age_days":
        return x / DAYS_PER_MONTH
    return x / 12.0 if axis == "age_months" else x


def _axis(code: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Grid on the table axis, the same grid in display units, and the x-axis label key."""
    spec = indicator(code)
    if spec.axis == "age_days":
        grid, label = np.arange(spec.x_min, spec.x_max + 1, dtype=np.float64), "age_months"
    elif spec.axis == "age_months":
        grid, label = np.arange(spec.x_min, spec.x_max + 0.001, 0.25), "age_years"
    else:
        grid = np.round(np.arange(spec.x_min, spec.x_max + 0.001, 0.1), 1)
        label = "length_cm" if code == "wfl" else "height_cm"
    return grid, _display_x(code, grid), label


def _with_break(code: str, x_table: np.ndarray, x_shown: np.ndarray, y: np.ndarray):
    """Insert a gap between day 730 and 731 for length/height-for-age (length → height)."""
    if code != "lhfa":
        return x_shown, y
    cut = int(np.searchsorted(x_table, LENGTH_HEIGHT_SWITCH_DAY))
    return np.insert(x_shown, cut, np.nan), np.insert(y, cut, np.nan)


def _segments(code: str, x_table: np.ndarray) -> list[slice]:
    """Index ranges drawn without a break: lying length and standing height for ``lhfa``."""
    if code != "lhfa":
        return [slice(None)]
    cut = int(np.searchsorted(x_table, LENGTH_HEIGHT_SWITCH_DAY))
    return [slice(0, cut), slice(cut, None)]


def _curve(code: str, sex: str, x_table: np.ndarray, z: float) -> np.ndarray:
    return value_at_z(code, sex, x_table, np.full(x_table.size, z))


def _line_zs(style: Style) -> list[tuple[float, str | None]]:
    """The z of each reference line of ``style`` with its centile (percentile style) or None."""
    if style == "percentile":
        return [(float(z_from_percentile(p)), f"{p:g}") for p in PERCENTILE_LINES]
    return [(z, None) for z in Z_LINES]


def _line_colour(z: float) -> str:
    """The colour of the line at ``z``: green at the median, amber, orange, red outwards."""
    distance = abs(z)
    return LINE_COLOURS[min(LINE_COLOURS, key=lambda k: abs(k - distance))]


def _line_label(z: float, centile: str | None, lang: Language) -> str:
    if centile is not None:
        return CENTILE_NAMES[lang][float(centile)]
    return f"{z:+g}".replace("-", "−") if z else "0"


def line_labels(
    code: str, sex: str, x_end: float, *, style: Style = "percentile", lang: Language = "zh-CN"
) -> list[dict[str, object]]:
    """Annotations (Plotly layout dicts, ``name`` :data:`LINE_LABEL`) naming each reference
    line where it ends on the chart: at ``x_end`` on the indicator's axis (age in days, cm, or
    months for WHO 2007; clipped to the table), with the value computed by the engine."""
    spec = indicator(code)
    x = float(np.clip(x_end, spec.x_min, spec.x_max))
    if spec.axis == "age_days":
        x = float(np.floor(x))
    shown = float(_display_x(code, np.array([x]))[0])
    labels: list[dict[str, object]] = []
    for z, centile in _line_zs(style):
        y = float(value_at_z(code, sex, np.array([x]), np.array([z]))[0])
        if not np.isfinite(y):
            continue
        labels.append({
            "name": LINE_LABEL, "x": shown, "y": y, "xref": "x", "yref": "y",
            "text": _line_label(z, centile, lang), "showarrow": False, "xanchor": "left",
            "xshift": 3, "font": {"size": 10, "color": _line_colour(z)},
        })  # fmt: skip
    return labels


def growth_chart(
    code: str,
    sex: str,
    *,
    ages_or_lengths: ArrayLike | None = None,
    values: ArrayLike | None = None,
    style: Style = "percentile",
    lang: Language = "zh-CN",
    actual_ages: ArrayLike | None = None,
) -> go.Figure:
    """A WHO growth chart for indicator ``code`` and sex ``"M"``/``"F"``, with optional points.

    ``ages_or_lengths`` are on the indicator's axis (age in days for WHO 2006 age indicators,
    length/height in cm for ``wfl``/``wfh``, age in months for WHO 2007); ``values`` are the
    measurements (for ``lhfa``: length before 731 days, height from 731, as the engine's
    ``clenhei``). Each point's hover shows the value, z (WHO-rounded) and percentile.

    ``actual_ages`` (age indicators, days; NaN where no correction applies) are the actual ages
    of a baby born early whose ``ages_or_lengths`` are corrected ages: each such measurement is
    also drawn at its actual age, joined to its corrected-age point (see :func:`_add_points`).
    """
    spec = indicator(code)
    text = LABELS[lang]
    x_table, x_shown, x_label = _axis(code)
    figure = go.Figure()
    if style == "percentile":
        for (low, high), colour in zip(PERCENTILE_BANDS, BAND_COLOURS, strict=True):
            lower = _curve(code, sex, x_table, float(z_from_percentile(low)))
            upper = _curve(code, sex, x_table, float(z_from_percentile(high)))
            name = text["band"].format(low=f"{low:g}", high=f"{high:g}")
            # a filled band cannot span the length/height gap: one pair of traces per segment
            for index, part in enumerate(_segments(code, x_table)):
                figure.add_trace(
                    go.Scatter(
                        x=x_shown[part],
                        y=lower[part],
                        mode="lines",
                        line={"width": 0},
                        hoverinfo="skip",
                        showlegend=False,
                        legendgroup=name,
                    )
                )
                figure.add_trace(go.Scatter(
                    x=x_shown[part], y=upper[part], mode="lines", line={"width": 0},
                    fill="tonexty", fillcolor=colour, name=name, hoverinfo="skip",
                    legendgroup=name, showlegend=index == 0))  # fmt: skip
        for z, centile in _line_zs(style):
            xs, line = _with_break(code, x_table, x_shown, _curve(code, sex, x_table, z))
            median = centile == "50"
            figure.add_trace(go.Scatter(
                x=xs, y=line, mode="lines", hoverinfo="skip",
                name=text["median"] if median else _line_label(z, centile, lang),
                showlegend=median, line={"color": _line_colour(z), "width": 2 if median else 1},
            ))  # fmt: skip
    else:
        for z in Z_LINES:
            xs, line = _with_break(code, x_table, x_shown, _curve(code, sex, x_table, z))
            name = text["zline"].format(z=f"{z:+g}" if z else "0")
            figure.add_trace(go.Scatter(
                x=xs, y=line, mode="lines", name=name, hoverinfo="skip",
                line={"color": LINE_COLOURS[abs(z)], "width": 2 if z == 0 else 1.2,
                      "dash": "dot" if abs(z) == 1 else "solid"},
            ))  # fmt: skip
    if code == "lhfa":
        figure.add_vline(x=24, line={"dash": "dot", "color": "#888"})
        figure.add_annotation(x=24, y=1.02, yref="paper", showarrow=False,
                              text=f"← {text['length']} | {text['height']} →")  # fmt: skip
    for label in line_labels(code, sex, float(x_table[-1]), style=style, lang=lang):
        figure.add_annotation(**label)
    if values is not None and ages_or_lengths is not None:
        _add_points(figure, code, sex, ages_or_lengths, values, lang, actual_ages)
    unit = UNITS[spec.unit][lang]
    figure.update_layout(
        # on the left: the mode bar (when shown) sits at the top right
        title={"text": f"{text[code]} · {text[sex]}", "x": 0, "xanchor": "left", "xref": "paper"},
        xaxis_title=text[x_label],
        yaxis_title=f"{MEASURE_NAMES[lang][code]} ({unit})",
        template="plotly_white",
        hovermode="closest",
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 50, "r": 44, "t": 60, "b": 40},  # right: the lines' labels
    )
    return figure


def _add_points(figure, code, sex, xs, values, lang: Language, actual=None) -> None:
    """The child's points with z and percentile on hover. With ``actual`` (days, NaN where no
    correction applies; age indicators only) the points are at the corrected age, and each
    corrected measurement is drawn again at its actual age, joined to it by a thin line, with
    both ages in words on hover (as the UK-WHO charts show a preterm baby's points)."""
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    z = round_z(zscore(code, sex, x, y))
    p = percentile(z)
    x_display = _display_x(code, x)
    text = LABELS[lang]
    unit = UNITS[indicator(code).unit][lang]
    name = MEASURE_NAMES[lang][code]
    early = np.zeros(x.size, dtype=bool)
    if actual is not None and indicator(code).axis == "age_days":
        real = np.asarray(actual, dtype=np.float64)
        early = np.isfinite(real)
    hover = [  # one child's handful of measurements
        f"{name}: {v:g} {unit}<br>z = {zz:.2f}<br>{text['percentile']}: {pp:.1f}"
        if np.isfinite(zz) else f"{name}: {v:g} {unit}"
        for v, zz, pp in zip(y, z, p, strict=True)
    ]  # fmt: skip
    if early.any():
        months = x_display
        hover = [
            f"{h}<br>{text['corrected_age'].format(m=m)}" if e else h
            for h, m, e in zip(hover, months, early, strict=True)
        ]
        real_months = _display_x(code, real[early])
        joins_x = [v for a, c in zip(real_months, months[early], strict=True) for v in (a, c, None)]
        joins_y = [v for w in y[early] for v in (w, w, None)]
        figure.add_trace(go.Scatter(
            x=joins_x, y=joins_y, mode="lines", hoverinfo="skip", showlegend=False,
            name=text["at_actual_age"], line={"color": "#1f4e9c", "width": 1, "dash": "dot"},
        ))  # fmt: skip
        actual_hover = [
            f"{name}: {v:g} {unit}<br>{text['actual_age'].format(m=a)}<br>"
            f"{text['corrected_age'].format(m=c)}<br>{text['born_early']}"
            for v, a, c in zip(y[early], real_months, months[early], strict=True)
        ]
        figure.add_trace(go.Scatter(
            x=real_months, y=y[early], mode="markers", name=text["at_actual_age"],
            text=actual_hover, hovertemplate="%{text}<extra></extra>",
            marker={"size": 9, "symbol": "circle-open", "color": "#1f4e9c",
                    "line": {"width": 2, "color": "#1f4e9c"}},
        ))  # fmt: skip
    figure.add_trace(go.Scatter(
        x=x_display, y=y, mode="lines+markers", text=hover,
        name=text["child_corrected"] if early.any() else text["child"],
        hovertemplate="%{text}<extra></extra>",
        marker={"size": 9, "color": "#1f4e9c", "line": {"width": 1, "color": "white"}},
        line={"color": "#1f4e9c", "width": 1.5},
    ))  # fmt: skip
