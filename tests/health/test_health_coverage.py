"""The coverage indicators of coverage.md on hand-built children at every edge, on both databases.

Expected values are counted by hand from the definitions (period: calendar year 2024).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from health.coverage import CoverageRequestError, children_missing, coverage
from health.periods import Period
from health.stats import target_gap, wilson_interval
from tests.health.health_builders import add_child, build_geography

R = "routine"
NV = "newborn_visit"
Y2024 = Period.year(2024)


@pytest.fixture
def province(session: Session) -> dict:
    units = build_geography(session)
    # born 1 Jan: 3, 6, 8 m due in 2024 (12 m falls on 1 Jan 2025); two routine checks → not met;
    # newborn visit on day 28 counts
    add_child(
        session,
        "c01",
        "2024-01-01",
        checks=(("2024-01-29", NV), ("2024-04-01", R), ("2024-07-01", R)),
    )
    # born 31 Dec 2023: 3, 6, 8, 12 m all due in 2024 (the 12 m on 31 Dec); four checks → met
    add_child(
        session,
        "c02",
        "2023-12-31",
        checks=(("2024-03-31", R), ("2024-06-30", R), ("2024-08-31", R), ("2024-12-31", R)),
    )
    # born 31 Dec 2024: nothing due in 2024, counted 0-6; newborn visit on day 29 does not count
    add_child(session, "c03", "2024-12-31", checks=(("2025-01-29", NV),))
    # born 20 Dec 2024: newborn visit on day 28, in the next year, counts
    add_child(session, "c04", "2024-12-20", checks=(("2025-01-17", NV),))
    # non-resident with everything done: in no denominator
    add_child(
        session,
        "c05",
        "2024-03-01",
        resident=False,
        checks=(("2024-03-05", NV), ("2024-06-01", R), ("2024-09-01", R), ("2024-11-01", R)),
    )
    # turns 3 in 2024 (36 m due on 15 Jun); one routine check in the year → met
    add_child(session, "c06", "2021-06-15", checks=(("2024-07-15", R),))
    # turns 7 on 31 Dec 2024: not under 7 at the year's end → excluded
    add_child(session, "c07", "2017-12-31", checks=(("2024-05-01", R),))
    # born 1 Jan 2018: 6 years old on 31 Dec 2024 → counted, no check
    add_child(session, "c08", "2018-01-01")
    # four due in 2024, the fourth check on 1 Jan 2025 → not met (0-6: has a check → met)
    add_child(
        session,
        "c09",
        "2023-12-31",
        checks=(("2024-03-31", R), ("2024-06-30", R), ("2024-08-31", R), ("2025-01-01", R)),
    )
    # 5 years old: no routine check due under S, one check in 2024 → 0-6 met
    add_child(session, "c10", "2019-05-05", checks=(("2024-05-06", R),))
    # lives in T2, enrolled at F1 (linked to CL1): 24 and 30 m due, both done
    add_child(
        session,
        "c11",
        "2022-02-10",
        "T2",
        facility=units["F1"],
        checks=(("2024-02-12", R), ("2024-08-09", R)),
    )
    # lives in T2, not enrolled: 3 and 6 m due, nothing done
    add_child(session, "c12", "2024-05-05", "T2")
    session.commit()
    return units


def table(rows) -> dict:  # type: ignore[no-untyped-def]
    return {(r.unit_code, r.indicator): (r.numerator, r.denominator) for r in rows}


def test_province_level(session: Session, province: dict) -> None:
    rows = coverage(session, Y2024, level="province")
    assert table(rows) == {
        ("P", "infant_health_management"): (3, 6),
        ("P", "child_health_management_0_6"): (6, 10),
        ("P", "newborn_visit"): (2, 4),
    }
    infant = rows[0]
    assert infant.rate == pytest.approx(0.5)
    assert (infant.ci_low, infant.ci_high) == pytest.approx((0.187616, 0.812384), abs=1e-6)
    assert (infant.target, infant.meets_target, infant.gap) == (0.95, False, 3)


def test_township_and_county_levels(session: Session, province: dict) -> None:
    expected_t = {
        ("T1", "infant_health_management"): (2, 4),
        ("T1", "child_health_management_0_6"): (5, 8),
        ("T1", "newborn_visit"): (2, 3),
        ("T2", "infant_health_management"): (1, 2),
        ("T2", "child_health_management_0_6"): (1, 2),
        ("T2", "newborn_visit"): (0, 1),
    }
    assert table(coverage(session, Y2024, level="township")) == expected_t
    counties = table(coverage(session, Y2024, level="county"))
    assert counties == {("K" + k[0][1], k[1]): v for k, v in expected_t.items()}
    city = table(coverage(session, Y2024, level="city"))
    assert city[("C", "child_health_management_0_6")] == (6, 10)


def test_per_clinic_routes_enrolled_children_to_the_facility_clinic(
    session: Session, province: dict
) -> None:
    assert table(coverage(session, Y2024, by="clinic")) == {
        ("CL1", "infant_health_management"): (3, 5),
        ("CL1", "child_health_management_0_6"): (6, 9),
        ("CL1", "newborn_visit"): (2, 3),
        ("CL2", "infant_health_management"): (0, 1),
        ("CL2", "child_health_management_0_6"): (0, 1),
        ("CL2", "newborn_visit"): (0, 1),
    }
    facility = coverage(session, Y2024, by="facility")
    assert table(facility) == {
        ("F1", "infant_health_management"): (1, 1),
        ("F1", "child_health_management_0_6"): (1, 1),
        ("F1", "newborn_visit"): (0, 0),
    }
    empty = next(r for r in facility if r.denominator == 0)
    assert (empty.rate, empty.ci_low, empty.meets_target, empty.gap) == (None, None, None, 0)


def test_within_area_scope(session: Session, province: dict) -> None:
    rows = table(coverage(session, Y2024, level="township", within_area="K2"))
    assert rows == {
        ("T2", "infant_health_management"): (1, 2),
        ("T2", "child_health_management_0_6"): (1, 2),
        ("T2", "newborn_visit"): (0, 1),
    }


def test_quarter_uses_the_period_end(session: Session, province: dict) -> None:
    q1 = table(coverage(session, Period.quarter(2024, 1), level="province"))
    # due in Q1: c02 and c09 at 3 m (31 Mar), c06 none (36 m in June), c11 24 m (10 Feb)
    assert q1[("P", "infant_health_management")] == (3, 3)
    # newborn: c01 born in Q1, visited on day 28
    assert q1[("P", "newborn_visit")] == (1, 1)


def test_children_missing_for_a_clinic(session: Session, province: dict) -> None:
    cl1 = province["CL1"].id
    missing = children_missing(session, Y2024, cl1, "infant_health_management")
    assert [code for _, code in missing] == ["c01", "c09"]
    with pytest.raises(CoverageRequestError, match="indicator 'x'"):
        children_missing(session, Y2024, cl1, "x")


def test_bad_level_and_area(session: Session, province: dict) -> None:
    with pytest.raises(CoverageRequestError, match="level 'village'"):
        coverage(session, Y2024, level="village")
    with pytest.raises(CoverageRequestError, match="unknown area 'ZZ'"):
        coverage(session, Y2024, level="county", within_area="ZZ")


def test_wilson_and_gap_values() -> None:
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(19, 20)  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.7639, 0.9911)
    assert target_gap(18, 20, 0.95) == 1
    assert target_gap(19, 20, 0.95) == 0
    assert target_gap(95, 100, 0.95) == 0
    assert target_gap(0, 7, 0.95) == 7


def test_due_segments_for_a_year() -> None:
    from health.coverage import due_segments

    d = dt.date
    # 36 | 30+36 | 24+30 | 18+24 | 12+18 | 8+12+18 | 6+8+12 | 3+6+8+12 | 3+6+8 | 3+6 | 3 months,
    # equal neighbours merged
    assert due_segments(Y2024, (3, 6, 8, 12, 18, 24, 30, 36)) == [
        (d(2021, 1, 1), d(2021, 6, 30), 1),
        (d(2021, 7, 1), d(2023, 4, 30), 2),
        (d(2023, 5, 1), d(2023, 9, 30), 3),
        (d(2023, 10, 1), d(2023, 12, 31), 4),
        (d(2024, 1, 1), d(2024, 4, 30), 3),
        (d(2024, 5, 1), d(2024, 6, 30), 2),
        (d(2024, 7, 1), d(2024, 9, 30), 1),
    ]


def test_all_levels_in_one_aggregation(session: Session, province: dict) -> None:
    every = table(coverage(session, Y2024, level="all"))
    for level in ("province", "city", "county", "township"):
        for key, value in table(coverage(session, Y2024, level=level)).items():
            assert every[key] == value
    assert {code for code, _ in every} == {"P", "C", "K1", "K2", "T1", "T2"}


def test_newborn_by_month_adds_up_to_each_period(session: Session, province: dict) -> None:
    """The months of newborn_by_month are coverage's newborn figures of each month, and their
    sums those of each quarter and of the year (the relations suppression relies on)."""
    from health.coverage import newborn_by_month
    from health.periods import CalendarPeriod

    add_child(session, "c13", "2024-05-31", "T2", checks=(("2024-06-28", NV),))
    add_child(session, "c14", "2024-02-29", checks=(("2024-03-29", NV),))  # day 29: no
    session.commit()
    months = newborn_by_month(session, Y2024)
    assert months["P"][4] == (1, 2) and months["T2"][4] == (1, 2)  # May: c12 no visit, c13
    for period in CalendarPeriod(2024).calendar():
        found = table(coverage(session, period.whole, level="all"))
        first, last = period.whole.start.month, period.whole.end.month
        for code in ("P", "C", "K1", "K2", "T1", "T2"):
            pairs = months[code][first - 1 : last]
            summed = (sum(n for n, _ in pairs), sum(d for _, d in pairs))
            assert found[(code, "newborn_visit")] == summed, (period.label, code)
    with pytest.raises(CoverageRequestError):
        newborn_by_month(session, Period.parse("2024-12-01..2025-01-31"))


def test_the_bureau_release_of_the_hand_counted_province(session: Session, province: dict) -> None:
    """health.release on the figures above: 3 of 6 infants hides both counts' small parts,
    6 of 10 (gap 4) hides the numerator and the gap but shows the 10."""
    from health import release
    from health.periods import CalendarPeriod

    tree = release.area_tree(session)
    year = CalendarPeriod(2024)
    today = dt.date(2025, 3, 1)
    out = release.area_release(
        session, year, today, tree, release.newborn_year(session, 2024, today, tree)
    )
    infant, child, newborn = out.of("P")
    assert (infant.numerator, infant.denominator, infant.suppressed) == (None, 6, True)
    assert (child.numerator, child.denominator, child.gap, child.rate) == (None, 10, None, None)
    assert (newborn.numerator, newborn.denominator) == (None, None)  # 2 of 4
    assert out.rows[("P", "child_health_management_0_6")].numerator == 6  # the exact row kept


def test_target_gaps_are_target_gap_of_each_pair() -> None:
    import numpy as np

    from health.stats import target_gaps

    dens = np.arange(0, 400)
    for target in (0.95, 0.9, 0.85, 0.8, 0.333, 1.0, 0.0):
        for nums in (dens, dens // 2, np.zeros_like(dens), np.maximum(dens - 3, 0)):
            got = target_gaps(nums, dens, target).tolist()
            want = [target_gap(int(n), int(d), target) for n, d in zip(nums, dens, strict=True)]
            assert got == want, target


def test_make_rows_are_make_row_of_each_cell() -> None:
    from health.coverage import make_row, make_rows

    cells = [
        (f"U{d}", "unit", "infant_health_management", n, d, target)
        for target in (0.95, 0.9, 0.85)
        for d in range(0, 60)
        for n in sorted({0, d // 3, d // 2, max(d - 1, 0), d})
    ]
    assert make_rows(cells) == [make_row(*cell) for cell in cells]  # equal floats, bit for bit
