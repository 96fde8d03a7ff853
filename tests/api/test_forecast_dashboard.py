"""The year-end forecast on the bureau's dashboard and in ``GET /api/v1/coverage``: the same
figures as ``health.forecast``, hidden where the year's own row hides a count (suppression),
words in zh-CN and en, and no forecast for a quarter or a past year.

World: the crowded county P11 of ``test_suppression`` (four townships of 70 children), today
15 June 2026."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from health.db import make_engine
from health.forecast import forecast, release
from tests.api.api_world import TODAY, World
from tests.api.test_suppression import bureau, crowded  # noqa: F401  (fixtures)

HTML = {"accept": "text/html"}
FIELDS = ("projected_rate", "low", "high", "meets_target", "status", "extra_children_needed")


def _exact(world: World, **kwargs: Any) -> list[Any]:
    engine = make_engine(f"sqlite:///{world.db_file}")
    try:
        with Session(engine) as s:
            return forecast(s, TODAY.year, TODAY, **kwargs)
    finally:
        engine.dispose()


@pytest.mark.parametrize(("by", "level"), [("area", "township"), ("clinic", "county"),
                                           ("facility", "county")])  # fmt: skip
def test_the_api_gives_health_forecast_as_released(
    bureau: TestClient,  # noqa: F811
    crowded: World,  # noqa: F811
    by: str,
    level: str,
) -> None:
    view = bureau.get("/api/v1/coverage", params={"area": "P11", "by": by}).json()
    ahead = view["forecast"]
    assert ahead["made_on"] == TODAY.isoformat()
    hidden = {(r["unit_code"], r["indicator"]): r["suppressed"] for r in view["rows"]}
    expected = release(_exact(crowded, by=by, level=level, within_area="P11"), hidden)
    assert ahead["rows"] == [r.as_dict() for r in expected]
    totals = {(r["unit_code"], r["indicator"]): r["suppressed"] for r in view["totals"]}
    own = release(_exact(crowded, by="area", level="county", within_area="P11"), totals)
    assert ahead["totals"] == [r.as_dict() for r in own]
    for row in ahead["totals"] + ahead["rows"]:
        if row["suppressed"] or row["projected_rate"] is None:
            assert all(row[f] is None for f in FIELDS)
            continue
        assert row["low"] <= row["projected_rate"] <= row["high"]
        want = ("on_track" if row["low"] >= 0.95 else
                "will_miss" if row["high"] < 0.95 else "at_risk")  # fmt: skip
        assert row["status"] == want
        assert row["meets_target"] == (row["projected_rate"] >= 0.95)
        extra = row["extra_children_needed"]
        assert (extra is None) == row["extra_hidden"]  # the row has children
        assert extra is None or extra == 0 or extra >= 5  # never a count of 1–4 children
        assert "denominator" not in row and "counted" not in row


def test_a_unit_whose_year_hides_a_count_has_no_forecast(
    bureau: TestClient,  # noqa: F811
) -> None:
    view = bureau.get("/api/v1/coverage", params={"area": "P11", "by": "facility"}).json()
    year = {(r["unit_code"], r["indicator"]): r for r in view["rows"]}
    hidden = [
        r for r in view["forecast"]["rows"] if year[(r["unit_code"], r["indicator"])]["suppressed"]
    ]
    assert hidden, "the crowded county has a facility with small counts"
    for row in hidden:
        assert row["suppressed"] is True
        assert all(row[f] is None for f in FIELDS)


def test_no_forecast_for_a_quarter_or_a_past_year(bureau: TestClient) -> None:  # noqa: F811
    for period in ("2026-Q2", "2026-05", "2025"):
        view = bureau.get("/api/v1/coverage", params={"area": "P11", "period": period}).json()
        assert view["forecast"] is None, period
    page = bureau.get("/bureau", params={"period": "2026-Q2"}, headers=HTML).text
    assert 'id="forecast"' not in page


def _forecast_text(page: str) -> str:
    section = page[
        page.index('id="forecast"') : page.index("</section>", page.index('id="forecast"'))
    ]
    return re.sub(r"<[^>]+>", " ", section)


def test_the_page_in_chinese_and_english(bureau: TestClient) -> None:  # noqa: F811
    view = bureau.get("/api/v1/coverage", params={"area": "P11"}).json()
    statuses = {r["status"] for r in view["forecast"]["totals"] + view["forecast"]["rows"]}
    chinese = _forecast_text(bureau.get("/bureau", params={"area": "P11"}, headers=HTML).text)
    english = _forecast_text(
        bureau.get("/bureau", params={"area": "P11", "lang": "en"}, headers=HTML).text
    )
    assert "年底预计达到多少" in chinese and "预计年底率" in chinese and "80%区间" in chinese
    assert f"{TODAY.isoformat()}所作的12月31日预测" in chinese
    assert "Where the year will end" in english and "Projected rate" in english
    words = {"on_track": ("有望达标", "On track"), "at_risk": ("存在风险", "At risk"),
             "will_miss": ("将未达标", "Will miss")}  # fmt: skip
    for status in statuses - {None}:
        assert words[status][0] in chinese and words[status][1] in english
    for text in (chinese, english):
        for code in ("on_track", "at_risk", "will_miss", "projected_rate", "None"):
            assert code not in text
    # the totals' projected rate as the page writes it (one decimal)
    first = view["forecast"]["totals"][0]
    if first["projected_rate"] is not None:
        assert f"{100 * first['projected_rate']:.1f} %" in english
