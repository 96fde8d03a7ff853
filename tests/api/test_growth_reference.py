"""The growth reference, per deployment (``CHILDHEALTH_GROWTH_REFERENCE``) and per chart (the
selector on the child's page): WHO by default, China's WS/T 423-2022 when chosen."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from api.services import charts
from api.settings import Settings
from health.growth_reference import GrowthReferenceSettingError
from health.models import Child, Measurement
from health.models.enums import MeasurementStatus
from tests.api.api_world import World, login, serve

BORN = dt.date(2025, 6, 1)
CHINA_WORDS = "中国WS/T 423-2022（7岁以下儿童生长标准）"


def _figure(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="figure-[0-9a-f]+">(.*?)</script>', html)
    assert found, html[:300]
    return json.loads(found.group(1))


def _weights(*points: tuple[int, float]) -> list[Measurement]:
    return [
        Measurement(
            child_id=1, measured_on=BORN + dt.timedelta(days=age), source="home", weight_kg=kg,
            status=MeasurementStatus.accepted, rule_set="who-anthro",
        )
        for age, kg in points
    ]  # fmt: skip


def test_the_ws423_chart_draws_the_seven_sd_lines_and_the_childs_z() -> None:
    """A girl of 3.3 kg at birth is on the WS/T median (girls' 0-month row: 2.3 … 3.3 … 4.6),
    one of 7.7 kg at 365 days (11.99 months) just above the 12-month −2 SD value 7.7 … (11-month
    −2 SD 7.5): z = −2 + (7.7 − 7.6984)/(8.4984 − 7.6984) = −2.00 to two decimals."""
    child = Child(id=1, code="K", sex="F", birth_date=BORN, area_id=1)
    figure = _figure(charts.chart_html(child, _weights((0, 3.3), (365, 7.7)), "wfa", "en", "ws423"))
    names = [trace.get("name") for trace in figure["data"]]
    assert names[:7] == ["-3 SD", "-2 SD", "-1 SD", "Median (WS/T 423)", "+1 SD", "+2 SD", "+3 SD"]
    median = figure["data"][3]
    assert median["x"][:3] == [0.0, 1.0, 2.0] and median["y"][:3] == [3.3, 4.3, 5.4]
    points = figure["data"][-1]
    assert points["text"][0].endswith("z (WS/T 423) = 0.00")
    assert points["text"][1].endswith("z (WS/T 423) = -2.00")
    assert "WS/T 423-2022" in figure["layout"]["title"]["text"]


def test_length_for_age_breaks_at_24_months_where_height_begins() -> None:
    child = Child(id=1, code="K", sex="M", birth_date=BORN, area_id=1)
    figure = _figure(charts.chart_html(child, [], "lhfa", "zh-CN", "ws423"))
    median = figure["data"][3]
    at = median["x"].index(None)
    assert median["x"][at - 1 : at + 2] == [23.0, None, 24.0]
    assert median["y"][at - 1 : at + 2] == [88.0, None, 88.2]  # length 88.0, then height 88.2


def _measured(client, child_id: int) -> None:
    response = client.post(
        f"/api/v1/children/{child_id}/measurements",
        json={"measured_on": "2026-06-01", "source": "home", "weight_kg": 6.9, "length_cm": 64.5,
              "measure": "L"},
    )  # fmt: skip
    assert response.status_code == 201, response.text


def test_the_selector_on_the_page_switches_the_chart_and_keeps_the_indicator(
    world: World,
) -> None:
    with serve(f"sqlite:///{world.db_file}") as client:
        login(client, "parent1")
        _measured(client, world.own_child)
        page = client.get(f"/children/{world.own_child}/?chart=wfa").text
        selector = re.search(r'<nav class="tabs" id="growth-reference".*?</nav>', page, re.S)
        assert selector, "the reference selector is on the child's page"
        links = re.findall(r'<a href="([^"]+)" ?(aria-current="page")?>([^<]+)</a>', selector[0])
        assert [(href, bool(current), words) for href, current, words in links] == [
            ("?chart=wfa&amp;reference=who#chart", True, "WHO儿童生长标准"),
            ("?chart=wfa&amp;reference=ws423#chart", False, CHINA_WORDS),
        ]
        assert "WS/T 423-2022" not in _figure(page)["layout"]["title"]["text"]
        page = client.get(f"/children/{world.own_child}/?chart=lhfa&reference=ws423").text
        assert "WS/T 423-2022" in _figure(page)["layout"]["title"]["text"]
        assert '?chart=wfa&amp;reference=ws423#chart"' in page  # indicator tabs keep it
        assert '?chart=lhfa&amp;reference=who#chart"' in page
        # the latest result against the standard, hand-computed: 182 days = 5.9795 months,
        # boys' rows 5 and 6 months; weight 6.9 kg between −2 SD 6.7938 and −1 SD 7.5918,
        # length 64.5 cm between −2 SD 63.9651 and −1 SD 66.2651
        listed = re.search(r'<ul class="indicators" id="ws423-results">(.*?)</ul>', page, re.S)
        assert listed, "the WS/T results are listed with the WS/T chart"
        items = re.findall(r"<li>(.*?)</li>", listed[1])
        assert [item.split(": ", 1)[1] for item in items[:2]] == [
            "z = -1.87 · 正常范围",
            "z = -1.77 · 正常范围",
        ]
        assert "按WS/T 423-2022评价" in page
        # an unknown reference falls back to the deployment's, never an error
        page = client.get(f"/children/{world.own_child}/?reference=cdc")
        assert page.status_code == 200
        assert "WS/T 423-2022" not in _figure(page.text)["layout"]["title"]["text"]
        assert "ws423-results" not in page.text


def test_a_deployment_on_ws423_opens_its_charts_on_ws423(world: World) -> None:
    url = f"sqlite:///{world.db_file}"
    with serve(url, growth_reference="ws423", default_locale="en") as client:
        login(client, "parent1")
        _measured(client, world.own_child)
        page = client.get(f"/children/{world.own_child}/").text
        assert "WS/T 423-2022" in _figure(page)["layout"]["title"]["text"]
        page = client.get(f"/children/{world.own_child}/?reference=who").text
        assert "WS/T 423-2022" not in _figure(page)["layout"]["title"]["text"]


def test_a_bad_reference_setting_stops_start_up_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(GrowthReferenceSettingError, match="CHILDHEALTH_GROWTH_REFERENCE"):
        Settings(growth_reference="cdc2000")
    monkeypatch.setenv("CHILDHEALTH_GROWTH_REFERENCE", "WS423")  # case does not matter
    assert Settings.from_env().growth_reference == "ws423"
    monkeypatch.setenv("CHILDHEALTH_GROWTH_REFERENCE", "cdc2000")
    result = CliRunner().invoke(cli, ["serve", "--port", "8766"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "CHILDHEALTH_GROWTH_REFERENCE" in lines[0], result.output
    assert "Traceback" not in result.output
