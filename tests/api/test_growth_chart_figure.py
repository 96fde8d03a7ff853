"""Issue 11: the child's growth chart as the page sends it (the figure JSON that
``/static/figures.js`` draws): labelled centile lines at the right end of what the chart shows,
no mode bar on a phone, and for a baby born before 37 weeks both ages of each measurement."""

from __future__ import annotations

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
