"""The attacks on the bureau's coverage figures, on a crowded county (five townships, about one
birth a month each): single-day periods are refused, out-of-range periods are 4xx on the API,
the CSV and the page, counts under 5 are hidden everywhere, and no hidden count comes back by
subtracting the shown siblings from a shown total (sub-areas, clinics, facilities, a year's
quarters and a quarter's months, asked in one answer or in several)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from health.coverage import INDICATORS, coverage
from health.db import make_engine
from health.models import AreaCreate, Check, ChildCreate, ClinicCreate, FacilityCreate
from health.periods import CalendarPeriod, add_months
from health.registry import create_area, create_child, create_clinic, create_facility, enrol
from tests.api.api_world import TODAY, World, copy_of, login, serve
from tests.health.suppression_checks import Cell, recovered, small_shown

COUNTS = ("numerator", "denominator")
HTML = {"accept": "text/html"}
ROUTINE = (3, 6, 8, 12, 18, 24, 30, 36)


def _populate(world: World) -> None:
    """Townships T3–T5 beside T1 in county P11, a clinic each, a nursery in T3; 70 children a
    township born over six years, most of them visited and checked on time."""
    engine = make_engine(f"sqlite:///{world.db_file}")
    rng = random.Random(12)
    with Session(engine) as s:
        for n in (3, 4, 5):
            create_area(s, AreaCreate(code=f"T{n}", name=f"Town {n}", level="township",
                                      parent_code="P11"))  # fmt: skip
            clinic = create_clinic(s, ClinicCreate(code=f"C{n}", name=f"Clinic {n}",
                                                   area_code=f"T{n}"))  # fmt: skip
        nursery = create_facility(
            s, FacilityCreate(code="F3", name="Nursery 3", area_code="T3", clinic_code="C3")
        )
        for town in ("T1", "T3", "T4", "T5"):
            for i in range(70):
                born = TODAY - dt.timedelta(days=rng.randrange(10, 6 * 365))
                child = create_child(s, ChildCreate(code=f"X-{town}-{i}", sex="MF"[i % 2],
                                                    birth_date=born, area_code=town))  # fmt: skip
                if rng.random() < 0.85:
                    visit = born + dt.timedelta(days=rng.randrange(3, 27))
                    s.add(Check(child_id=child.id, kind="newborn_visit", check_date=visit))
                for months in ROUTINE:
                    due = add_months(born, months)
                    if due < TODAY and rng.random() < 0.8:
                        s.add(Check(child_id=child.id, kind="routine", check_date=due))
                if town == "T3" and i % 3 == 0 and (TODAY - born).days > 365:
                    enrol(s, child, nursery, None)
        del clinic
        s.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def crowded(template_world: World, tmp_path_factory: pytest.TempPathFactory) -> World:
    world = copy_of(template_world, tmp_path_factory.mktemp("crowded") / "crowded.db")
    _populate(world)
    return world


@pytest.fixture
def bureau(crowded: World) -> Iterator[TestClient]:
    with serve(f"sqlite:///{crowded.db_file}") as client:
        yield login(client, "bureau_a")  # county P11


def _exact(world: World, period: CalendarPeriod, by: str, area: str) -> dict[Any, Any]:
    """The unsuppressed rows of a view, straight from health.coverage."""
    engine = make_engine(f"sqlite:///{world.db_file}")
    try:
        with Session(engine) as s:
            counted = period.counted(TODAY)
            rows = coverage(s, counted, level="all") if by == "area" else []
            if by != "area":
                rows = coverage(s, counted, by=by, within_area=area)  # type: ignore[arg-type]
                rows += [r for r in coverage(s, counted, level="all") if r.unit_code == area]
            return {(r.unit_code, r.indicator): r for r in rows}
    finally:
        engine.dispose()


def _cells(rows: list[dict[str, Any]], exact: dict[Any, Any], count: str) -> list[Cell]:
    return [Cell(getattr(exact[(r["unit_code"], r["indicator"])], count), r[count]) for r in rows]


PERIODS = [CalendarPeriod(2025), CalendarPeriod(2026),
           *CalendarPeriod(2025).parts(), *CalendarPeriod(2026).parts()[:2],
           *(CalendarPeriod(2026, "month", m) for m in range(1, 7)),
           CalendarPeriod(2025, "month", 8)]  # fmt: skip
VIEWS = [("P11", "area"), ("P11", "clinic"), ("P11", "facility"), ("T3", "facility"),
         ("T1", "clinic")]  # fmt: skip


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.label)
def test_no_hidden_count_comes_back_by_subtraction_in_any_table(
    bureau: TestClient, crowded: World, period: CalendarPeriod
) -> None:
    """For each hidden sibling: the shown total minus the shown siblings is not its count;
    no count from 1 to 4 is shown; a shown count is the exact one."""
    for area, by in VIEWS:
        view = bureau.get("/api/v1/coverage", params={"area": area, "by": by,
                                                      "period": period.label}).json()  # fmt: skip
        assert view["period"] == period.label and view["by"] == by
        exact = _exact(crowded, period, by, area)
        for indicator in INDICATORS:
            total = [r for r in view["totals"] if r["indicator"] == indicator]
            parts = [r for r in view["rows"] if r["indicator"] == indicator]
            for count in COUNTS:
                (top,) = _cells(total, exact, count)
                siblings = _cells(parts, exact, count)
                leak = recovered(top, siblings, rest_known=by == "area")
                assert not leak, (period.label, area, by, indicator, count, leak)
                assert not small_shown([top, *siblings])
                assert all(c.shown in (None, c.true) for c in (top, *siblings))
            for row in total + parts:
                assert row["suppressed"] == any(row[c] is None for c in (*COUNTS, "gap"))
                if row["suppressed"]:
                    assert row["rate"] is row["ci_low"] is row["meets_target"] is None


def test_a_year_its_quarters_and_its_months_do_not_give_a_hidden_one_back(
    bureau: TestClient, crowded: World
) -> None:
    """Newborns are counted by birth date, so a year is the sum of its quarters and a quarter
    the sum of its months: asked one by one, no hidden quarter or month (nor total) follows."""

    def newborns(area: str, period: CalendarPeriod) -> dict[str, Any]:
        view = bureau.get("/api/v1/coverage", params={"area": area, "period": period.label})
        return next(r for r in view.json()["totals"] if r["indicator"] == "newborn_visit")

    hidden_parts = 0
    for year in (2025, 2026):
        for whole in (CalendarPeriod(year), *CalendarPeriod(year).parts()):
            for area in ("P11", "T1", "T3", "T4", "T5"):
                top, parts = newborns(area, whole), [newborns(area, p) for p in whole.parts()]
                truth = [_exact(crowded, p, "area", area)[(area, "newborn_visit")]
                         for p in (whole, *whole.parts())]  # fmt: skip
                for count in COUNTS:
                    cells = [Cell(getattr(t, count), r[count])
                             for t, r in zip(truth, [top, *parts], strict=True)]  # fmt: skip
                    assert not recovered(cells[0], cells[1:]), (whole.label, area, count)
                    hidden_parts += sum(c.hidden for c in cells[1:])
    assert hidden_parts > 10


def test_the_trend_and_the_year_agree(bureau: TestClient) -> None:
    """The quarters of the trend are the quarters asked alone, hidden or shown alike."""
    view = bureau.get("/api/v1/coverage", params={"period": "2026"}).json()
    assert list(view["trend"]) == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    for label, rows in view["trend"].items():
        alone = bureau.get("/api/v1/coverage", params={"period": label}).json()
        assert rows == alone["totals"], label


def test_an_area_shows_the_same_figures_in_every_view(bureau: TestClient) -> None:
    """A sub-area hidden as a complement in its county's table is hidden in its own view too
    (else its own view would give the county's small cell back)."""
    for period in ("2025", "2025-Q3", "2026-03"):
        county = bureau.get("/api/v1/coverage", params={"period": period}).json()
        for town in ("T1", "T3", "T4", "T5"):
            own = bureau.get("/api/v1/coverage", params={"area": town, "period": period}).json()
            assert [r for r in county["rows"] if r["unit_code"] == town] == own["totals"]


def test_counts_under_5_are_hidden_on_the_api_the_csv_and_the_page(
    bureau: TestClient, crowded: World
) -> None:
    period = CalendarPeriod(2026, "month", 3)
    exact = _exact(crowded, period, "area", "P11")
    view = bureau.get("/api/v1/coverage", params={"period": "2026-03"}).json()
    small = [r for r in view["rows"] if 0 < exact[(r["unit_code"], r["indicator"])].denominator < 5]
    assert small, "the fixture has a township with 1–4 newborns in March 2026"
    for row in small:
        assert row["denominator"] is None and row["numerator"] is None and row["gap"] is None
        assert row["suppressed"] is True and row["rate"] is None
    table = list(csv.DictReader(io.StringIO(bureau.get(
        "/api/v1/coverage.csv", params={"period": "2026-03", "lang": "en"}
    ).content.decode("utf-8-sig"))))  # fmt: skip
    names = {"infant_health_management": "Infant and toddler health-management rate",
             "child_health_management_0_6": "0-6 y child health-management rate",
             "newborn_visit": "Newborn visit rate"}  # fmt: skip
    counts = ("Numerator (children)", "Denominator (children)", "Gap to target (children)")
    for row in small:
        line = next(t for t in table if (t["Unit code"], t["Indicator"])
                    == (row["unit_code"], names[row["indicator"]]))  # fmt: skip
        assert tuple(line[name] for name in counts) == ("<5", "<5", "<5")
        assert line["Rate (%)"] == line["95% interval, low (%)"] == line["Target met"] == ""
        assert line["Counts hidden"] == "yes"
    for line in table:
        for name in counts:
            assert line[name] == "<5" or line[name] == "0" or int(line[name]) >= 5
    page = bureau.get("/bureau", params={"period": "2026-03"}, headers=HTML).text
    assert '<span class="hidden-count">&lt;5</span>' in page
    assert 'id="suppression-note"' in page and "少于 5 名儿童" in page
    english = bureau.get("/bureau", params={"period": "2026-03", "lang": "en"}, headers=HTML)
    assert "fewer than 5 children" in english.text


def test_the_single_day_scan_is_refused(bureau: TestClient) -> None:
    """The attack of issue 12: one day at a time, a newborn's birth date and visit."""
    for day in ("2025-11-17", "2026-03-02", "2026-06-14"):
        period = f"{day}..{day}"
        for path in ("/api/v1/coverage", "/api/v1/coverage.csv"):
            answer = bureau.get(path, params={"by": "area", "period": period})
            assert answer.status_code == 400, (path, answer.text)
            problem = answer.json()
            assert problem["type"] == "urn:childhealth:problem:bad-period"
            assert "a year (YYYY), a quarter (YYYY-Qn) or a month (YYYY-MM)" in problem["detail"]
        page = bureau.get("/bureau", params={"period": period}, headers=HTML)
        assert page.status_code == 200 and 'role="alert"' in page.text
        assert "2026-01-01 – 2026-06-15" in page.text  # the current year's figures instead


@pytest.mark.parametrize(
    "period",
    ["0000", "0001-01-01..2025-01-01", "9999", "2025-01-01..9999-12-31", "1999", "2028",
     "2026-13", "2026-Q0", "2026-01..2026-03", "2026-06-01..2026-06-30", "x" * 300],
)  # fmt: skip
def test_other_periods_are_a_4xx_everywhere_never_a_5xx(bureau: TestClient, period: str) -> None:
    for path in ("/api/v1/coverage", "/api/v1/coverage.csv"):
        answer = bureau.get(path, params={"period": period})
        assert answer.status_code == 400, (path, answer.status_code, answer.text[:200])
        assert answer.json()["type"] == "urn:childhealth:problem:bad-period"
    page = bureau.get("/bureau", params={"period": period}, headers=HTML)
    assert page.status_code == 200
    assert 'role="alert"' in page.text and "统计期" in page.text
    assert '<div class="kpis">' in page.text  # the page keeps working
    english = bureau.get("/bureau", params={"period": period, "lang": "en"}, headers=HTML)
    assert "a year (YYYY), a quarter (YYYY-Qn) or a month (YYYY-MM)" in english.text


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [("2026", "2026-01-01", "2026-06-15"), ("2025", "2025-01-01", "2025-12-31"),
     ("2026-Q2", "2026-04-01", "2026-06-15"), ("2026-Q1", "2026-01-01", "2026-03-31"),
     ("2026-02", "2026-02-01", "2026-02-28"), ("2000-12", "2000-12-01", "2000-12-31"),
     ("2027", "2027-01-01", "2027-12-31"), ("2026-q3", "2026-07-01", "2026-09-30")],
)  # fmt: skip
def test_whole_years_quarters_and_months_are_allowed(
    bureau: TestClient, period: str, start: str, end: str
) -> None:
    view = bureau.get("/api/v1/coverage", params={"period": period})
    assert view.status_code == 200, view.text
    assert (view.json()["period_start"], view.json()["period_end"]) == (start, end)
    csv_answer = bureau.get("/api/v1/coverage.csv", params={"period": period, "by": "clinic"})
    assert csv_answer.status_code == 200 and f"{start},{end}" in csv_answer.text
    page = bureau.get("/bureau", params={"period": period}, headers=HTML)
    assert page.status_code == 200 and 'role="alert"' not in page.text
    assert f"{start} – {end}" in page.text


def test_the_openapi_says_how_hidden_counts_look(bureau: TestClient) -> None:
    schema = bureau.get("/schema/openapi.json").json()
    row = schema["components"]["schemas"]["CoverageRowOut"]["properties"]
    for name in ("numerator", "denominator", "gap"):
        assert "null when hidden" in row[name]["description"]
        assert {"type": "integer"} in row[name]["oneOf" if "oneOf" in row[name] else "anyOf"]
    assert row["suppressed"]["type"] == "boolean"
    params = schema["paths"]["/api/v1/coverage"]["get"]["parameters"]
    period = next(p for p in params if p["name"] == "period")
    assert "YYYY-Qn" in period["description"] and "YYYY-MM" in period["description"]
