"""Issue 11: the child's growth chart as the page sends it (the figure JSON that
``/static/figures.js`` draws): labelled centile lines at the right end of what the chart shows,
no mode bar on a phone, and for a baby born before 37 weeks both ages of each measurement."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any

import numpy as np
import pytest

from api.services import charts
from growth_charts import value_at_z, z_from_percentile
from growth_charts.age import DAYS_PER_MONTH
from health.models import Child, Measurement
from health.models.enums import MeasurementStatus

BORN = dt.date(2025, 6, 1)


def _figure(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="figure-[0-9a-f]+">(.*?)</script>', html)
    assert found, html[:300]
    return json.loads(found.group(1))


def _child(weeks: float | None = None) -> Child:
    return Child(id=1, code="K", sex="F", birth_date=BORN, area_id=1, gestational_weeks=weeks)


def _weights(*points: tuple[int, float]) -> list[Measurement]:
    return [
        Measurement(
            child_id=1, measured_on=BORN + dt.timedelta(days=age), source="home", weight_kg=kg,
            status=MeasurementStatus.accepted, rule_set="who-anthro",
        )
        for age, kg in points
    ]  # fmt: skip


def test_centile_lines_are_labelled_at_the_right_end_of_the_zoomed_chart() -> None:
    figure = _figure(charts.chart_html(_child(), _weights((100, 5.6), (300, 8.1)), "wfa", "en"))
    layout = figure["layout"]
    right = layout["xaxis"]["range"][1]  # months shown: 12 (at least a year)
    labels = [a for a in layout["annotations"] if a.get("name") == "line-label"]
    assert [a["text"] for a in labels] == ["3rd", "15th", "50th", "85th", "97th"]
    day = int(np.floor(right * DAYS_PER_MONTH))
    for label, centile in zip(labels, (3, 15, 50, 85, 97), strict=True):
        assert label["x"] == pytest.approx(day / DAYS_PER_MONTH) and label["x"] <= right
        z = float(z_from_percentile(centile))
        assert label["y"] == pytest.approx(value_at_z("wfa", "F", day, z)[0])
        assert layout["yaxis"]["range"][0] < label["y"] < layout["yaxis"]["range"][1]
    names = {trace.get("name") for trace in figure["data"]}
    assert {"3rd", "15th", "Median", "85th", "97th"} <= names


def test_the_phone_gets_no_mode_bar_and_the_title_stays_clear() -> None:
    figure = _figure(charts.chart_html(_child(), _weights((100, 5.6)), "wfa", "zh-CN"))
    assert figure["config"]["displaylogo"] is False
    assert figure["narrow"]["config"]["displayModeBar"] is False
    assert 360 <= figure["narrow"]["max_width"] <= 768  # phones, not desktops
    title = figure["layout"]["title"]
    assert title["x"] == 0 and title["xanchor"] == "left"  # away from the mode bar (top right)


# ---- issue 11 (3): a baby born before 37 weeks, under 24 months of corrected age


def _named(figure: dict[str, Any], name: str) -> dict[str, Any]:
    """The trace ``name`` that has markers, with its x and y as lists (Plotly sends arrays
    base64-encoded)."""
    trace = dict(
        next(t for t in figure["data"] if t.get("name") == name and "markers" in t["mode"])
    )
    for key in ("x", "y"):
        value = trace.get(key)
        if isinstance(value, dict) and "bdata" in value:
            raw = base64.b64decode(value["bdata"])
            trace[key] = np.frombuffer(raw, dtype=np.dtype(value["dtype"])).tolist()
    return trace


def test_a_preterm_baby_is_drawn_at_both_ages_joined_by_a_line() -> None:
    from health.pipeline import ages_of

    child = _child(weeks=30.0)
    rows = _weights((150, 5.0), (300, 7.2))
    figure = _figure(charts.chart_html(child, rows, "wfa", "en"))
    ages = [ages_of(child, r.measured_on) for r in rows]
    assert all(a.corrected for a in ages)
    corrected = _named(figure, "Child's measurements (corrected age)")
    assert corrected["x"] == pytest.approx([a.used_days / DAYS_PER_MONTH for a in ages])
    actual = _named(figure, "At actual age")
    assert actual["mode"] == "markers"
    assert actual["x"] == pytest.approx([a.days / DAYS_PER_MONTH for a in ages])
    assert actual["y"] == corrected["y"] == [5.0, 7.2]
    assert "Actual age: 4.9 months" in actual["text"][0]
    assert "Corrected age: 2.6 months" in actual["text"][0]
    assert "Born early" in actual["text"][0] and "Corrected age" in corrected["text"][0]
    joins = next(t for t in figure["data"] if t.get("mode") == "lines" and t.get("y") == [
        5.0, 5.0, None, 7.2, 7.2, None])  # fmt: skip
    assert joins["x"][:2] == pytest.approx([actual["x"][0], corrected["x"][0]])
    assert figure["layout"]["xaxis"]["range"][1] >= max(actual["x"])


def test_the_preterm_words_are_in_chinese() -> None:
    figure = _figure(charts.chart_html(_child(weeks=32.0), _weights((120, 4.8)), "wfa", "zh-CN"))
    actual = _named(figure, "按实际月龄")
    assert "实际月龄" in actual["text"][0] and "矫正月龄" in actual["text"][0]
    assert _named(figure, "孩子的测量值（矫正月龄）")["x"][0] < actual["x"][0]


@pytest.mark.parametrize("weeks", [None, 38.0])
def test_a_baby_born_at_term_has_one_point_per_measurement(weeks: float | None) -> None:
    figure = _figure(charts.chart_html(_child(weeks), _weights((150, 6.4)), "wfa", "en"))
    assert _named(figure, "Child's measurements")["x"] == pytest.approx([150 / DAYS_PER_MONTH])
    assert all(t.get("name") != "At actual age" for t in figure["data"])


def test_past_24_months_corrected_the_actual_age_alone_is_plotted() -> None:
    figure = _figure(charts.chart_html(_child(30.0), _weights((900, 12.0)), "wfa", "en"))
    assert _named(figure, "Child's measurements")["x"] == pytest.approx([900 / DAYS_PER_MONTH])
    assert all(t.get("name") != "At actual age" for t in figure["data"])
