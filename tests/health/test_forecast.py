"""The year-end coverage forecast (health.forecast) on a tiny hand-built world, on SQLite and
PostgreSQL, and the ``childhealth forecast`` command's columns.

The world uses a two-check schedule (a newborn visit on days 0–28 and a routine 3-month check
from 15 days before to 1 month after, routine months {3}) so that every probability can be
worked out by hand from the method of ``health.forecast`` (steps 1–6). Forecast of 2024 made
on 30 June 2024; history: windows closed from 2 July 2023 to 30 June 2024.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from api.cli import app
from health.forecast import Children, forecast, with_births_to_come
from health.schedule import parse_schedule
from tests.health.health_builders import add_child, build_geography
from tests.health.test_health_cli import database  # noqa: F401  (fixture)
from tests.health.test_health_import import FOLDER, write

R, NV = "routine", "newborn_visit"
ON = dt.date(2024, 6, 30)
TINY = parse_schedule({
    "name": "tiny", "version": "1",
    "checks": [
        {"code": "newborn_visit", "kind": NV, "target": {"days": 7},
         "window": {"from_days": -7, "to_days": 21}},
        {"code": "m3", "kind": R, "target": {"months": 3},
         "window": {"from_days": -15, "to_months": 1}},
    ],
    "coverage": {"infant_health_management": {"routine_months": [3]}},
})  # fmt: skip
Z80 = 1.2815515655446004

# Step 1 by hand. m3 windows closed in the history: h1 (closes 2023-07-10, seen 06-15), h2
# (2023-08-10, not seen), h3 (2023-09-10, seen 08-01): n 3, s 2; scope rate (2 + ½)/(3 + 1).
Q3 = (2 + 20 * 2.5 / 4) / (3 + 20)  # 14.5 / 23
# late m3 visit: h2 alone was asked (its late stretch 2023-08-11..10-09 passed without one)
L3 = (0 + 20 * 0.5 / 2) / (1 + 20)  # 5 / 21
# newborn windows closed in the history: f1 only (closes 2024-06-17, visited 05-25)
QN = (1 + 20 * 1.5 / 2) / (1 + 20)  # 16 / 21
# late newborn visits: h2 and h3 were asked (late stretches ending 2023-07-07 and 08-06)
LN = (0 + 20 * 0.5 / 3) / (2 + 20)  # 5 / 33
# Step 2: a routine 3-month check wholly after 30 June and its late stretch inside the year
P3 = Q3 + (1 - Q3) * L3
# f2 (born 2024-06-20): newborn window 06-20..07-18 (29 days), 11 of them passed without a visit
PN = QN * 18 / 29 / (1 - QN * 11 / 29)
PN_ANY = PN + (1 - PN) * LN  # its late stretch 07-19..09-16 counts for the 0–6 rate
P_CHM_F2 = 1 - (1 - PN_ANY) * (1 - P3)


@pytest.fixture
def world(session: Session) -> Session:
    build_geography(session)
    add_child(session, "h1", "2023-03-10", checks=(("2023-06-15", R),))
    add_child(session, "h2", "2023-04-10")
    add_child(session, "h3", "2023-05-10", checks=(("2023-08-01", R),))
    add_child(session, "f1", "2024-05-20", checks=(("2024-05-25", NV),))
    add_child(session, "f2", "2024-06-20")
    add_child(session, "later", "2024-06-20", checks=(("2024-07-01", NV),))  # after the day
    return session


def _expect(d: int, mu: float, var: float, sure: int, lost: int) -> tuple[float, float, float]:
    sd = math.sqrt(var)
    return mu / d, max(sure, mu - Z80 * sd) / d, min(d - lost, mu + Z80 * sd) / d


def test_hand_computed_forecast(world: Session) -> None:
    rows = forecast(world, 2024, ON, by="area", level="county", schedule=TINY)
    got = {(r.unit_code, r.indicator): r for r in rows}
    assert [r.unit_code for r in rows] == ["K1"] * 3 + ["K2"] * 3
    # infant management: f1, f2 (3-month check due in Aug / Sep), each needs one: P3 each;
    # "later" counts too, its check still to come: three children
    infant = got[("K1", "infant_health_management")]
    rate, low, high = _expect(3, 3 * P3, 3 * P3 * (1 - P3), 0, 0)
    assert (infant.denominator, infant.counted) == (3, 0)
    assert infant.projected == pytest.approx(3 * P3)
    assert (infant.projected_rate, infant.low, infant.high) == pytest.approx((rate, low, high))
    assert high == 1.0  # 3 P3 + 1.28 σ is above 3: the whole cohort is still possible
    assert infant.meets_target is False and infant.status == "at_risk"
    assert infant.extra_children_needed == math.ceil(3 - 3 * P3)  # ⌈0.95 × 3⌉ = 3
    # 0–6: h1–h3 (nothing left in their schedule: lost), f1 counted, f2 and "later" P_CHM_F2
    child = got[("K1", "child_health_management_0_6")]
    mu = 1 + 2 * P_CHM_F2
    rate, low, high = _expect(6, mu, 2 * P_CHM_F2 * (1 - P_CHM_F2), 1, 3)
    assert (child.denominator, child.counted) == (6, 1)
    assert (child.projected_rate, child.low, child.high) == pytest.approx((rate, low, high))
    assert child.extra_children_needed == math.ceil(6 - mu)  # ⌈0.95 × 6⌉ = 6
    # newborn visits: f1 visited; f2 and "later" (its visit is after the day) PN each
    newborn = got[("K1", "newborn_visit")]
    rate, low, high = _expect(3, 1 + 2 * PN, 2 * PN * (1 - PN), 1, 0)
    assert (newborn.denominator, newborn.counted) == (3, 1)
    assert (newborn.projected_rate, newborn.low, newborn.high) == pytest.approx((rate, low, high))
    assert newborn.extra_children_needed == math.ceil(3 - (1 + 2 * PN))
    empty = got[("K2", "newborn_visit")]
    assert (empty.denominator, empty.projected_rate, empty.status) == (0, None, None)


def test_values_by_hand() -> None:
    """The hand-worked figures themselves, so that a change of method shows here first."""
    rates, probabilities = (Q3, L3, QN, LN), (P3, PN)
    assert rates == pytest.approx((14.5 / 23, 5 / 21, 16 / 21, 5 / 33))
    assert probabilities == pytest.approx((0.718427, 0.665127), abs=1e-6)


def test_on_track_when_even_the_low_end_reaches_the_target(session: Session) -> None:
    build_geography(session)
    for i in range(20):  # all counted already: low = high = 1
        add_child(session, f"c{i:02}", "2024-01-10", checks=(("2024-01-20", NV),))
    rows = forecast(session, 2024, ON, by="area", level="province", schedule=TINY)
    newborn = next(r for r in rows if r.indicator == "newborn_visit")
    assert (newborn.projected_rate, newborn.low, newborn.high) == (1.0, 1.0, 1.0)
    assert newborn.status == "on_track" and newborn.meets_target is True
    assert newborn.extra_children_needed == 0


def test_births_to_come_stand_in_for_last_years() -> None:
    births = np.array(["2023-06-30", "2023-07-01", "2023-12-31", "2024-02-29"], "datetime64[D]")
    kids = Children(births, np.array([0, 1, 0, 0]), np.zeros(0, np.int64),
                    np.zeros(0, "datetime64[D]"), np.zeros(0, object))  # fmt: skip
    more, added = with_births_to_come(kids, 2024, ON)
    assert added == 2  # born after 30 June 2023, by 31 December 2023
    assert more.birth[4:].tolist() == [dt.date(2024, 7, 1), dt.date(2024, 12, 31)]
    assert more.unit[4:].tolist() == [1, 0]
    assert with_births_to_come(kids, 2024, dt.date(2024, 12, 31))[1] == 0


def test_clinic_and_facility_units(world: Session) -> None:
    rows = forecast(world, 2024, ON, by="clinic", schedule=TINY)
    assert sorted({r.unit_code for r in rows}) == ["CL1", "CL2"]
    cl1 = next(r for r in rows if r.unit_code == "CL1" and r.indicator == "newborn_visit")
    assert cl1.denominator == 3
    assert forecast(world, 2024, ON, by="facility", schedule=TINY)[0].denominator == 0


def test_refusals(world: Session) -> None:
    from health.coverage import CoverageRequestError

    with pytest.raises(CoverageRequestError, match="not in 2023"):
        forecast(world, 2023, ON)
    with pytest.raises(CoverageRequestError, match="level 'village'"):
        forecast(world, 2024, ON, level="village")
    with pytest.raises(CoverageRequestError, match="unknown area"):
        forecast(world, 2024, ON, within_area="NOPE")


@pytest.mark.usefixtures("database")
def test_cli_columns(tmp_path: Path) -> None:
    runner = CliRunner()
    loaded = runner.invoke(app, ["import", str(write(tmp_path / "in", FOLDER))])
    assert loaded.exit_code == 0, loaded.output
    out = runner.invoke(app, ["forecast", "--year", "2024", "--on", "2024-06-30",
                              "--level", "province"])  # fmt: skip
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == (
        "unit_code,unit_name,indicator,denominator,counted,projected,projected_rate,low,high,"
        "target,meets_target,status,extra_children_needed"
    )
    assert [line.split(",")[:3] for line in lines[1:]] == [
        ["P", "Province", i] for i in
        ("infant_health_management", "child_health_management_0_6", "newborn_visit")
    ]  # fmt: skip
    js = runner.invoke(app, ["forecast", "--year", "2024", "--on", "2024-09-30", "--by",
                             "clinic", "--format", "json"])  # fmt: skip
    rows = json.loads(js.output)
    assert {"projected_rate", "low", "high", "meets_target", "extra_children_needed"} <= set(
        rows[0]
    )
    for row in rows:
        if row["denominator"]:
            assert row["low"] <= row["projected_rate"] <= row["high"]
            assert row["status"] in ("on_track", "at_risk", "will_miss")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--on", "2023-06-30"], "--on 2023-06-30 is not in --year 2024"),
        (["--on", "30/06/2024"], "--on must be a date YYYY-MM-DD"),
        (["--on", "2024-06-30", "--level", "village"], "--level must be one of"),
        (["--on", "2024-06-30", "--by", "ward"], "--by must be one of"),
    ],
)
@pytest.mark.usefixtures("database")
def test_cli_refusals(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["forecast", "--year", "2024", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_made_on_31_december_it_is_the_years_figure(session: Session) -> None:
    """Nothing is left to happen in the year for the infant and 0–6 rates: the forecast is the
    coverage of the year (the hand-counted world of test_health_coverage, leap year 2024,
    checks in 2025 that do not count, a non-resident child, a child turning 7 on 31 December)."""
    from health.coverage import coverage
    from health.periods import Period
    from tests.health.test_health_coverage import province

    province.__wrapped__(session)  # type: ignore[attr-defined]
    year_end = dt.date(2024, 12, 31)
    exact = {(r.unit_code, r.indicator): r for r in coverage(session, Period.year(2024),
                                                             level="county")}  # fmt: skip
    rows = forecast(session, 2024, year_end, level="county")
    for r in rows:
        if r.indicator == "newborn_visit":
            continue  # a visit on day 28 may still come in January
        e = exact[(r.unit_code, r.indicator)]
        assert (r.denominator, r.counted) == (e.denominator, e.numerator)
        assert r.projected == e.numerator
        if e.denominator:
            assert r.low == r.high == r.projected_rate == pytest.approx(e.rate)
            assert r.extra_children_needed == e.gap


def test_a_leap_day_birth_stands_in_on_28_february() -> None:
    births = np.array(["2023-08-01", "2024-02-29"], "datetime64[D]")
    kids = Children(births, np.array([0, 0]), np.zeros(0, np.int64),
                    np.zeros(0, "datetime64[D]"), np.zeros(0, object))  # fmt: skip
    more, added = with_births_to_come(kids, 2025, dt.date(2025, 2, 27))
    assert added == 1 and more.birth[2] == np.datetime64("2025-02-28")


def test_release_hides_what_the_year_hides_and_small_counts() -> None:
    from health.forecast import ForecastRow, release

    def row(code: str, d: int, extra: int) -> ForecastRow:
        return ForecastRow(code, code, "newborn_visit", d, 0, 0.9 * d, 0.9, 0.85, 0.95, 0.95,
                           False, "at_risk", extra)  # fmt: skip

    rows = [row("A", 40, 3), row("B", 40, 5), row("C", 40, 0), row("D", 4, 1), row("E", 40, 2),
            row("F", 0, 0)]  # fmt: skip
    hidden = {(c, "newborn_visit"): c == "E" for c in "ABCDEF"}  # the year hides E
    out = {r.unit_code: r for r in release(rows, hidden)}
    assert (out["A"].extra_children_needed, out["A"].extra_hidden) == (None, True)
    assert out["A"].projected_rate == 0.9 and out["A"].status == "at_risk"
    assert out["B"].extra_children_needed == 5 and out["C"].extra_children_needed == 0
    for code in "DE":  # a denominator of 4; the year's row hides a count
        assert out[code].suppressed and out[code].projected_rate is None
        assert out[code].status is None and out[code].extra_children_needed is None
    assert not out["F"].suppressed and out["F"].extra_children_needed is None
    assert release([row("G", 40, 0)], {})[0].suppressed  # a unit the year does not show
