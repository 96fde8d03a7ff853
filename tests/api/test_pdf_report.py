"""The bureau's coverage report as a PDF (issue 15, item 3): the three indicators of the area,
its sub-areas, clinics and facilities as the dashboard releases them (small counts ``<5``,
never a count of 1–4), the quarterly trend as a vector chart, the year-end forecast for the
current year, in zh-CN and en; no child's name or code; bureaus and admins only; audited as an
export."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from health.models import AuditEntry
from tests.api.api_world import World, copy_of, login, serve, world_db
from tests.api.pdf_reading import fonts_embedded, has_raster, reader, squeeze, text_of
from tests.api.test_suppression import _populate


@pytest.fixture(scope="module")
def crowded(template_world: World, tmp_path_factory: pytest.TempPathFactory) -> World:
    world = copy_of(template_world, tmp_path_factory.mktemp("report") / "report.db")
    _populate(world)
    return world


@pytest.fixture
def client(crowded: World) -> Iterator[TestClient]:
    with serve(f"sqlite:///{crowded.db_file}") as test_client:
        yield test_client


def _cell(value: int | None) -> str:
    return "<5" if value is None else str(value)


def test_the_report_shows_the_released_figures_of_every_table(client: TestClient) -> None:
    bureau = login(client, "bureau_a")  # county P11
    answer = bureau.get("/bureau/report.pdf?period=2026-Q2")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = text_of(answer.content)
    assert fonts_embedded(answer.content) and not has_raster(answer.content)
    for words in ("儿童健康管理覆盖情况报告", "CountyA", "2026年第2季度", "本地区合计",
                  "季度趋势", "社区卫生服务中心/乡镇卫生院", "婴幼儿健康管理率",
                  "新生儿访视率"):  # fmt: skip
        assert words in text, words
    for by in ("clinic", "facility"):
        released = bureau.get(f"/api/v1/coverage?period=2026-Q2&by={by}").json()
        assert released["rows"]
        for row in released["rows"]:
            if row["denominator"] == 0:
                continue
            shown = f"{_cell(row['numerator'])}/{_cell(row['denominator'])}{_cell(row['gap'])}"
            assert squeeze(f"{row['unit_name']}") in text
            assert shown in text, (row, shown)
    # no n/N pair in the report shows a count of 1 to 4 children (page numbers left out)
    pages = [
        re.sub(r"\d+\s*/\s*\d+\s*$", "", p.extract_text()) for p in reader(answer.content).pages
    ]
    for numerator, denominator in re.findall(r"(\d+|<5)\s*/\s*(\d+|<5)", " ".join(pages)):
        for count in (numerator, denominator):
            assert count == "<5" or not 1 <= int(count) <= 4, (numerator, denominator)
    assert "X-T" not in text and "Xiaoming" not in text and "Other" not in text


def test_the_report_of_the_current_year_has_the_forecast_in_english(client: TestClient) -> None:
    bureau = login(client, "bureau_a")
    bureau.cookies.set("lang", "en", domain="testserver.local")
    text = text_of(bureau.get("/bureau/report.pdf?period=2026").content)
    for words in ("Coverage report", "Year 2026", "Area total", "Quarterly trend", "Clinics",
                  "Facilities", "Where the year will end", "Projected rate", "Town 3"):  # fmt: skip
        assert squeeze(words) in text, words
    past = text_of(bureau.get("/bureau/report.pdf?period=2025").content)
    assert squeeze("Where the year will end") not in past  # a past year has no forecast


def test_who_gets_the_report_and_its_audit(client: TestClient, crowded: World) -> None:
    for name in ("parent1", "doctor1", "facility1"):
        assert login(client, name).get("/bureau/report.pdf").status_code == 403, name
    bureau = login(client, "bureau_a")
    bad = bureau.get("/bureau/report.pdf?period=2026-06-01")
    assert bad.status_code == 400 and bad.json()["type"].endswith("bad-period")
    assert bureau.get("/bureau/report.pdf?area=P12").status_code == 404  # not their area
    assert bureau.get("/bureau/report.pdf?period=2026-Q2&area=T3").status_code == 200
    page = bureau.get("/bureau?period=2026-Q2", headers={"accept": "text/html"})
    assert 'href="/bureau/report.pdf?area=P11&period=2026-Q2"' in page.text
    with world_db(crowded) as db:
        refs = db.execute(
            select(AuditEntry.object_ref).where(AuditEntry.action == "export.coverage")
        ).scalars()
        assert "T3" in list(refs)
