"""The bureau's journey on a crowded county (issue 11): the CSV a spreadsheet in Chinese opens
(UTF-8 with a byte-order mark, names in words, rates in percent with one decimal, hidden counts
as <5) in both languages, the trend, the period selector and empty rows in words."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from health.coverage import INDICATORS
from tests.api.api_world import World, copy_of, login, serve
from tests.api.test_suppression import _populate

HTML = {"accept": "text/html"}
ZH_INDICATORS = {"婴幼儿健康管理率", "0～6岁儿童健康管理率", "新生儿访视率"}


@pytest.fixture(scope="module")
def county(template_world: World, tmp_path_factory: pytest.TempPathFactory) -> World:
    world = copy_of(template_world, tmp_path_factory.mktemp("journey") / "journey.db")
    _populate(world)
    return world


@pytest.fixture
def bureau(county: World) -> Iterator[TestClient]:
    with serve(f"sqlite:///{county.db_file}") as client:
        yield login(client, "bureau_a")  # county P11


def _table(client: TestClient, **params: str) -> list[dict[str, str]]:
    answer = client.get("/api/v1/coverage.csv", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith(codecs.BOM_UTF8)
    assert "charset=utf-8" in answer.headers["content-type"]
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def _rate_ok(text: str) -> bool:
    whole, _, decimal = text.partition(".")
    return whole.isdigit() and len(decimal) == 1 and decimal.isdigit() and 0 <= float(text) <= 100


def test_the_csv_reads_back_in_chinese_with_words_rounded_rates_and_hidden_counts(
    bureau: TestClient,
) -> None:
    json_view = bureau.get("/api/v1/coverage", params={"period": "2026-03"}).json()
    table = _table(bureau, period="2026-03")
    assert list(table[0]) == [
        "地区", "统计期", "统计起始日", "统计截止日", "表", "单位代码", "单位", "指标",
        "分子（人）", "分母（人）", "率（%）", "95% 置信区间下限（%）", "95% 置信区间上限（%）",
        "目标（%）", "是否达标", "距目标还差（人）", "是否隐藏了小数字",
    ]  # fmt: skip
    assert len(table) == len(json_view["totals"]) + len(json_view["rows"])
    assert {r["指标"] for r in table} == ZH_INDICATORS
    assert {r["表"] for r in table} == {"本地区合计", "下级地区"}
    assert {r["统计期"] for r in table} == {"2026年3月"}
    for code in INDICATORS:  # no code of an indicator, grouping or boolean anywhere
        assert all(code not in value for r in table for value in r.values())
    hidden = [r for r in table if r["是否隐藏了小数字"] == "是"]
    assert hidden, "the county has townships with 1–4 newborns in March 2026"
    for r in hidden:
        assert "<5" in (r["分子（人）"], r["分母（人）"], r["距目标还差（人）"])
        assert r["率（%）"] == r["95% 置信区间下限（%）"] == r["是否达标"] == ""
    shown = [r for r in table if r["率（%）"]]
    assert shown
    for r in shown:
        assert all(_rate_ok(r[k]) for k in ("率（%）", "95% 置信区间下限（%）", "目标（%）"))
        assert r["是否达标"] in {"是", "否"}
        assert r["目标（%）"] == "95.0"
    by_unit = {(r["unit_code"], r["indicator"]): r for r in json_view["rows"]}
    names = {"婴幼儿健康管理率": INDICATORS[0], "0～6岁儿童健康管理率": INDICATORS[1],
             "新生儿访视率": INDICATORS[2]}  # fmt: skip
    for r in table:
        if r["表"] != "下级地区":
            continue
        row = by_unit[(r["单位代码"], names[r["指标"]])]
        expected = "" if row["rate"] is None else f"{100 * row['rate']:.1f}"
        assert r["率（%）"] == expected


def test_the_csv_in_english_by_lang_en(bureau: TestClient) -> None:
    table = _table(bureau, period="2026-Q1", by="clinic", lang="en")
    assert list(table[0])[:8] == [
        "Area", "Period", "First day counted", "Last day counted", "Table", "Unit code", "Unit",
        "Indicator",
    ]  # fmt: skip
    assert {r["Period"] for r in table} == {"2026 Q1"}
    assert {r["Table"] for r in table} == {"Area total", "Clinics"}
    assert {r["Indicator"] for r in table} == {
        "Infant and toddler health-management rate",
        "0-6 y child health-management rate",
        "Newborn visit rate",
    }
    assert {r["Counts hidden"] for r in table} <= {"yes", "no"}
    for r in table:
        assert r["Rate (%)"] == "" or _rate_ok(r["Rate (%)"])
        for name in ("Numerator (children)", "Denominator (children)", "Gap to target (children)"):
            assert r[name] == "<5" or r[name] == "0" or int(r[name]) >= 5


def _figure(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="figure-[0-9a-f]+">(.*?)</script>', page)
    assert found, "the page draws the trend"
    return json.loads(found[1])  # type: ignore[no-any-return]


def test_the_trend_says_what_a_quarter_counts_and_marks_the_quarter_under_way(
    bureau: TestClient,
) -> None:
    page = bureau.get("/bureau", headers=HTML).text
    assert 'id="trend-definition"' in page
    assert "季度最后一天未满7岁、本季度内做过体检的儿童" in page
    assert "95% 的目标针对全年" in page
    assert "最后一个季度尚未结束：统计到 2026-06-15" in page
    figure = _figure(page)
    for trace in figure["data"]:
        assert trace["text"][-1] == "2026年第2季度（截至6月15日，未完）"  # on hover
        assert trace["text"][0] == "2025年第3季度"
        assert trace["x"] == [
            "2025年<br>第3季度",
            "2025年<br>第4季度",
            "2026年<br>第1季度",
            "2026年<br>第2季度<br>至6月15日",
        ]  # short: four fit a phone
        assert trace["marker"]["symbol"][-1] == "circle-open"
        assert set(trace["marker"]["symbol"][:-1]) == {"circle"}
    (label,) = figure["layout"]["annotations"]
    assert label["text"] == "95 %"
    # in the right margin, beside the line: no point of the plot lies under it
    assert (label["xref"], label["x"], label["xanchor"]) == ("paper", 1, "left")
    assert figure["layout"]["margin"]["r"] >= 48
    english = bureau.get("/bureau", params={"lang": "en"}, headers=HTML).text
    assert "A child needs one check a year" in english
    assert _figure(english)["data"][0]["text"][-1] == "2026 Q2 (so far, to 6/15)"
    assert _figure(english)["data"][0]["x"][-1] == "2026<br>Q2<br>to 6/15"
    past = _figure(bureau.get("/bureau", params={"lang": "en", "period": "2025"},
                              headers=HTML).text)  # fmt: skip
    assert past["data"][0]["text"][-1] == "2026 Q2 (so far, to 6/15)"  # the trend ends today


@pytest.mark.parametrize(
    ("year", "part", "start", "end"),
    [("2026", "Q1", "2026-01-01", "2026-03-31"), ("2025", "", "2025-01-01", "2025-12-31"),
     ("2026", "05", "2026-05-01", "2026-05-31"), ("2026", "", "2026-01-01", "2026-06-15")],
)  # fmt: skip
def test_the_period_is_chosen_from_a_selector_of_years_quarters_and_months(
    bureau: TestClient, year: str, part: str, start: str, end: str
) -> None:
    page = bureau.get("/bureau", params={"year": year, "part": part}, headers=HTML).text
    assert 'role="alert"' not in page and f"{start} – {end}" in page
    assert '<select name="year">' in page and '<select name="part">' in page
    assert 'name="period"' not in page  # no free text to mistype
    assert f'<option value="{year}" selected>' in page
    assert f'<option value="{part}" selected>' in page
    assert '<option value="2027">' in page and '<option value="2000">' in page
    assert '<option value="2028">' not in page and '<option value="1999">' not in page
    for words in ("全年", "第1季度", "第4季度", "1月", "12月"):
        assert f">{words}</option>" in page
    english = bureau.get("/bureau", params={"year": year, "part": part, "lang": "en"},
                         headers=HTML).text  # fmt: skip
    for words in ("Whole year", "Quarter 2", "Month 12"):
        assert f">{words}</option>" in english


def test_a_part_that_is_not_a_quarter_or_month_is_explained(bureau: TestClient) -> None:
    page = bureau.get("/bureau", params={"year": "2026", "part": "Q9"}, headers=HTML)
    assert page.status_code == 200 and 'role="alert"' in page.text
    assert "2026-01-01 – 2026-06-15" in page.text


def test_an_empty_row_is_said_in_words(bureau: TestClient) -> None:
    view = bureau.get("/api/v1/coverage", params={"by": "facility"}).json()
    empty = [r for r in view["rows"] if r["indicator"] == "newborn_visit"
             and r["denominator"] == 0]  # fmt: skip
    assert empty, "the county's nurseries have no newborns this year"
    page = bureau.get("/bureau", params={"by": "facility"}, headers=HTML).text
    assert page.count('<td colspan="4" class="empty-row">本期无新生儿</td>') == len(empty)
    assert "0/0" not in page and "–––" not in page
    english = bureau.get("/bureau", params={"by": "facility", "lang": "en"}, headers=HTML).text
    assert "no newborns in the period".capitalize() in english and "0/0" not in english
