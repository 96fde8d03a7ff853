"""The growth chart of a child: WHO reference curves (built once per indicator, sex and
language, cached as JSON) with the child's points, as an HTML fragment drawn by
``/static/figures.js`` with ``/static/plotly.min.js``."""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from plotly.io.json import to_json_plotly

from api.services.figures import PHONE_CONFIG, figure_block
from growth_charts import charts, value_at_z
from growth_charts.age import DAYS_PER_MONTH, LENGTH_HEIGHT_SWITCH_DAY
from growth_charts.charts import growth_chart
from growth_charts.ws423_charts import ws423_chart
from health.models import (
    Child,
    Measurement,
)
from health.models.enums import MeasurementStatus
from health.pipeline import ages_of

CHARTS = ("wfa", "lhfa", "wflh", "hcfa", "bmi")
REFERENCES = ("who", "ws423")
"""The growth references a chart can be drawn against (``health.growth_reference``)."""
WS423_CATEGORY_WORDS = {
    "severe_underweight": "Severely underweight", "underweight": "Underweight",
    "severe_stunting": "Severe stunting", "stunting": "Stunting",
    "severe_wasting": "Severe wasting", "wasting": "Wasting", "overweight": "Overweight",
    "obesity": "Obesity", "normal": "Within the usual range", "": "",
}  # fmt: skip
"""Catalogue ids (English) of the WS/T 423-2022 categories (``growth_charts.ws423``)."""
AGE_DAY_CHARTS = ("wfa", "lhfa", "hcfa", "bmi")
"""Charts whose axis is the age in days (shown in months)."""


def _points(
    child: Child, rows: list[Measurement], code: str
) -> tuple[str, list[float], list[float], list[float]]:
    """Chart code, (x, y) points of ``code`` for the accepted measurements (never a withdrawn
    one) and, for the age charts, each point's actual age in days where its x is a corrected
    age (NaN elsewhere: born at term, or past the correction's 24 months), both ages from
    ``ages_of``."""
    rows = [r for r in rows if r.status == MeasurementStatus.accepted and r.withdrawn_at is None]
    of = [ages_of(child, r.measured_on) for r in rows]
    ages = [float(a.used_days) for a in of]
    actual = [float(a.days) if a.corrected else float("nan") for a in of]
    if code == "wflh":
        chart = "wfl" if (ages and ages[-1] < LENGTH_HEIGHT_SWITCH_DAY) or not ages else "wfh"
        pts = [(r.length_cm, r.weight_kg) for r in rows if r.length_cm and r.weight_kg]
        return chart, [p[0] for p in pts], [p[1] for p in pts], []
    if code == "bmi":
        values = [
            r.weight_kg / (r.length_cm / 100) ** 2 if r.weight_kg and r.length_cm else None
            for r in rows
        ]
    else:
        column = {"wfa": "weight_kg", "lhfa": "length_cm", "hcfa": "head_cm"}[code]
        values = [getattr(r, column) or None for r in rows]
    kept = [i for i, v in enumerate(values) if v]
    xs, ys = [ages[i] for i in kept], [float(values[i]) for i in kept]  # type: ignore[arg-type]
    return code, xs, ys, [actual[i] for i in kept]


@lru_cache(maxsize=64)
def _reference_chart(code: str, sex: str, lang: str) -> tuple[str, str]:
    """JSON of the reference curves (traces without the closing bracket) and of the layout,
    built once per indicator, sex and language (the curves are ~200 kB and ~30 ms to build)."""
    figure = growth_chart(code, sex, lang=lang)  # type: ignore[arg-type]
    figure.update_layout(margin={"l": 40, "r": 36, "t": 40, "b": 40}, height=360)  # r: labels
    spec = figure.to_plotly_json()
    return to_json_plotly(spec["data"])[:-1], to_json_plotly(spec["layout"])


def _chart_html(
    code: str,
    sex: str,
    xs: list[float],
    ys: list[float],
    lang: str,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    actual: list[float] | None = None,
) -> str:
    """The reference curves (cached) plus the child's points, as a figure block (see
    :mod:`api.services.figures`); ``x_range`` and ``y_range`` (chart units) zoom on the child;
    ``actual`` are the points' actual ages of a baby born early (see :func:`_points`)."""
    data, layout = _reference_chart(code, sex, lang)
    if xs:
        points = go.Figure()
        real = np.array(actual, dtype=np.float64) if actual else None
        charts._add_points(points, code, sex, np.array(xs), np.array(ys), lang, real)
        for trace in points.to_plotly_json()["data"]:
            data = data + "," + to_json_plotly(trace)
    layout_spec = json.loads(layout)
    if x_range:
        layout_spec.setdefault("xaxis", {})["range"] = [round(x, 2) for x in x_range]
        # the lines' labels at the right end of what the chart shows, not of the whole table
        end = layout_spec["xaxis"]["range"][1] * (DAYS_PER_MONTH if code in AGE_DAY_CHARTS else 1)
        labels = charts.line_labels(code, sex, end, lang=lang)  # type: ignore[arg-type]
        others = layout_spec.get("annotations", [])
        kept = [a for a in others if a.get("name") != charts.LINE_LABEL]
        layout_spec["annotations"] = kept + labels
    if y_range:
        layout_spec.setdefault("yaxis", {})["range"] = [round(y, 2) for y in y_range]
    config = {"responsive": True, "displaylogo": False}
    return figure_block(data + "]", json.dumps(layout_spec), config, narrow=PHONE_CONFIG)


@lru_cache(maxsize=32)
def _ws423_reference_chart(code: str, sex: str, lang: str) -> tuple[str, str]:
    """JSON of the WS/T 423-2022 SD lines (traces without the closing bracket) and layout."""
    figure = ws423_chart(code, sex, lang=lang)  # type: ignore[arg-type]
    figure.update_layout(margin={"l": 40, "r": 20, "t": 40, "b": 40}, height=360)
    spec = figure.to_plotly_json()
    return to_json_plotly(spec["data"])[:-1], to_json_plotly(spec["layout"])


def _ws423_chart_html(child: Child, rows: list[Measurement], code: str, lang: str) -> str:
    """The WS/T 423-2022 chart of ``code`` with the child's points at the ages the service uses
    everywhere (``_points``: corrected for a baby born early, to 24 months); points outside the
    standard's tables (past 84 months, heads past 36 months) get no z on hover."""
    chart, xs, ys, _ = _points(child, rows, code)
    data, layout = _ws423_reference_chart(chart, str(child.sex), lang)
    if xs:
        points = ws423_chart(
            chart,
            str(child.sex),
            ages_or_lengths=xs,
            values=ys,
            lang=lang,  # type: ignore[arg-type]
        )
        data = data + "," + to_json_plotly(points.to_plotly_json()["data"][-1])
    config = {"responsive": True, "displaylogo": False}
    return figure_block(data + "]", layout, config, narrow=PHONE_CONFIG)


def chart_html(
    child: Child, rows: list[Measurement], code: str, lang: str, reference: str = "who"
) -> str:
    """The growth chart of ``code`` with the child's points, as an HTML fragment that needs
    ``/static/plotly.min.js`` and ``/static/figures.js`` loaded once on the page; ``reference``
    ``ws423`` draws it against China's WS/T 423-2022 instead of WHO's standards."""
    if code not in CHARTS:
        code = "wfa"
    if reference == "ws423":
        return _ws423_chart_html(child, rows, code, lang)
    chart, xs, ys, actual = _points(child, rows, code)
    x_range = y_range = None
    if chart in ("wfa", "lhfa", "hcfa", "bmi") and xs:
        # months on the chart: the child's ages and half as much again, at least a year; the
        # values between −3.5 and +3.5 SD over those ages, and the child's own
        oldest = max([*xs, *(a for a in actual if np.isfinite(a))])  # actual ages shown too
        months = min(61.0, max(12.0, 1.5 * oldest / DAYS_PER_MONTH))
        x_range = (0.0, months)
        days = np.linspace(0, months * DAYS_PER_MONTH, 25)
        low = value_at_z(chart, str(child.sex), days, np.full(days.size, -3.5))
        high = value_at_z(chart, str(child.sex), days, np.full(days.size, 3.5))
        y_range = (min(np.nanmin(low), min(ys)) * 0.97, max(np.nanmax(high), max(ys)) * 1.03)
    return _chart_html(chart, str(child.sex), xs, ys, lang, x_range, y_range, actual)


def warm_up() -> None:
    """Build the reference curves of every chart, sex and language (about a second or two)."""
    from api.i18n import LOCALES

    for code in ("wfa", "lhfa", "wfl", "wfh", "hcfa", "bmi"):
        for sex in ("M", "F"):
            for lang in LOCALES:
                _reference_chart(code, sex, lang)
