"""Screening-test coverage (children screened / children due), hand-counted, and its release
to bureaus with small counts hidden (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from health.coverage import SCREENS, screening_coverage
from health.models import Check
from health.periods import CalendarPeriod, Period
from health.release import area_tree, screen_release
from tests.health.health_builders import add_child, build_geography


def check(session: Session, child, on: str, **results) -> None:
    session.add(Check(child_id=child.id, check_date=dt.date.fromisoformat(on), kind="routine",
                      **results))  # fmt: skip


@pytest.fixture
def counted(session: Session) -> Session:
    """Due in 2025 and screened (see each child):

    a (T1, born 2024-07-15): due at 6 and 12 months (2025-01-15, 2025-07-15) and 8 months:
       hearing 2, eyes 3, haemoglobin 1, teeth 3, vitamin D 3; two checks with hearing, one
       with hb, one with teeth → hearing and hb screened, the others not.
    b (T1, born 2020-03-10): 60 months on 2025-03-10: eyes, acuity, hb, teeth 1 each; one check
       with acuity → acuity and eyes screened.
    c (T2, born 2025-02-01): 3, 6, 8 months in 2025: hearing 1, eyes 3, hb 1, teeth 2,
       vitamin D 3; three checks → all but teeth screened.
    d (T2, not resident) and e (T2, 7 years before the end of 2025) are not counted.
    """
    build_geography(session)
    a = add_child(session, "a", "2024-07-15", "T1")
    check(session, a, "2025-01-20", hearing_left="pass", hb_g_l=120)
    check(session, a, "2025-07-20", hearing_left="pass", hearing_right="pass", caries_teeth=0)
    b = add_child(session, "b", "2020-03-10", "T1")
    check(session, b, "2025-03-12", acuity_left=4.9, acuity_right=4.8)
    c = add_child(session, "c", "2025-02-01", "T2")
    check(session, c, "2025-05-02", vitamin_d_given=True, red_reflex="normal")
    check(session, c, "2025-08-03", vitamin_d_given=True, red_reflex="normal",
          hearing_right="refer", hb_g_l=115)  # fmt: skip
    check(session, c, "2025-10-02", vitamin_d_given=False, visual_behaviour="normal",
          caries_teeth=0)  # fmt: skip
    d = add_child(session, "d", "2024-07-15", "T2", resident=False)
    check(session, d, "2025-01-20", hearing_left="pass")
    e = add_child(session, "e", "2018-12-31", "T2")
    check(session, e, "2025-03-01", acuity_left=5.0)
    session.flush()
    return session


def test_screened_over_due_by_area(counted: Session) -> None:
    rows = {
        (r.unit_code, r.indicator.removeprefix("screen_")): (r.numerator, r.denominator)
        for r in screening_coverage(counted, Period.year(2025))
    }
    expected = {
        "T1": {"hearing": (1, 1), "eyes": (1, 2), "acuity": (1, 1), "haemoglobin": (1, 2),
               "teeth": (0, 2), "vitamin_d": (0, 1)},
        "T2": {"hearing": (1, 1), "eyes": (1, 1), "acuity": (0, 0), "haemoglobin": (1, 1),
               "teeth": (0, 1), "vitamin_d": (1, 1)},
        "P": {"hearing": (2, 2), "eyes": (2, 3), "acuity": (1, 1), "haemoglobin": (2, 3),
              "teeth": (0, 3), "vitamin_d": (1, 2)},
    }  # fmt: skip
    for area, screens in expected.items():
        assert {s: rows[(area, s)] for s in SCREENS} == screens, area
    assert rows[("K2", "eyes")] == rows[("T2", "eyes")]


def test_a_quarter_counts_only_its_own_due_screens(counted: Session) -> None:
    rows = {
        (r.unit_code, r.indicator): (r.numerator, r.denominator)
        for r in screening_coverage(counted, Period.quarter(2025, 1), level="township")
    }
    # Q1: a due at 6 and 8 months (hearing 1: screened on 2025-01-20), b at 60 months
    assert rows[("T1", "screen_hearing")] == (1, 1)
    assert rows[("T1", "screen_eyes")] == (1, 2)
    assert rows[("T2", "screen_eyes")] == (0, 0)  # c's first screen is in May


def test_bureaus_get_small_counts_hidden_and_not_recoverable(counted: Session) -> None:
    tree = area_tree(counted)
    release = screen_release(counted, CalendarPeriod(2025), dt.date(2026, 1, 10), tree)
    for code in tree:
        for row in release.of(code):
            if row.denominator is not None and row.denominator > 0:
                assert row.denominator >= 5 and (row.numerator == 0 or row.numerator >= 5)
    hearing = release.of("P")[0]
    assert hearing.indicator == "screen_hearing"
    assert hearing.suppressed and hearing.numerator is None and hearing.rate is None


def test_released_screens_show_large_counts_and_never_give_a_hidden_one_back(
    session: Session,
) -> None:
    """Six children of T1 and two of T2, each with its 36-month hearing screen due (born
    2022-06-15: due 2025-06-15) and done: T1 6/6 is shown, T2 2/2 hidden, and in every sum
    of the tree (area = its sub-areas) either nothing or at least two parts are hidden."""
    build_geography(session)
    for i, area in enumerate(["T1"] * 6 + ["T2"] * 2):
        child = add_child(session, f"h{i}", "2022-06-15", area)
        check(session, child, "2025-06-20", hearing_left="pass", hearing_right="pass")
    session.flush()
    tree = area_tree(session)
    release = screen_release(session, CalendarPeriod(2025), dt.date(2026, 1, 10), tree)
    hearing = {code: release.of(code)[0] for code in tree}
    rows = {code: release.rows[(code, "screen_hearing")] for code in tree}
    exact = {code: (row.numerator, row.denominator) for code, row in rows.items()}
    assert exact["T1"] == (6, 6) and exact["T2"] == (2, 2) and exact["P"] == (8, 8)
    assert hearing["T2"].numerator is None and hearing["T2"].denominator is None
    for up in {p for p in tree.values() if p is not None}:
        parts = [up, *(c for c, p in tree.items() if p == up)]
        hidden = sum(1 for c in parts if hearing[c].denominator is None)
        assert hidden != 1, (up, hidden)
    shown = [c for c in tree if hearing[c].denominator is not None]
    assert all(hearing[c].denominator == exact[c][1] for c in shown)
