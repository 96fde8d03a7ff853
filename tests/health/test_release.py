"""Coverage as released to bureaus (health.release) on a synthetic province with many small
cells: no count from 1 to 4 is shown, and no hidden count comes back by subtracting the shown
parts from a shown total, in the tree of areas, across a year's quarters and months (newborn
visits), and in each area's table of clinics or facilities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlmodel import Session

from health import release
from health.coverage import INDICATORS, coverage
from health.db import make_engine
from health.exchange import import_folder
from health.migrate import upgrade
from health.periods import CalendarPeriod
from health.release import ReleasedRow
from health.synthetic import Layout, generate, write_folder
from tests.health.suppression_checks import Cell, recovered, small_shown

TODAY = dt.date(2026, 6, 15)
PERIODS = [CalendarPeriod(2025), CalendarPeriod(2026), CalendarPeriod(2025, "quarter", 3),
           CalendarPeriod(2026, "quarter", 2), CalendarPeriod(2025, "month", 11),
           CalendarPeriod(2026, "month", 6)]  # fmt: skip
COUNTS = ("numerator", "denominator")


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """Two counties of four townships, 900 children: about one birth a month per township."""
    folder = tmp_path_factory.mktemp("release")
    layout = Layout(cities=1, counties_per_city=2, townships_per_county=4)
    write_folder(folder / "in", generate(900, TODAY, seed=7, layout=layout, measurements=False))
    engine = make_engine(f"sqlite:///{folder / 'r.db'}")
    upgrade(engine)
    import_folder(engine, folder / "in", today=TODAY)
    with Session(engine) as session:
        yield session
    engine.dispose()


def cell(row: ReleasedRow, exact: dict, count: str) -> Cell:  # type: ignore[type-arg]
    return Cell(getattr(exact[(row.unit_code, row.indicator)], count), getattr(row, count))


def released_areas(session: Session) -> tuple[release.AreaTree, dict]:  # type: ignore[type-arg]
    tree = release.area_tree(session)
    years = {y: release.newborn_year(session, y, TODAY, tree) for y in (2025, 2026)}
    return tree, {
        p: release.area_release(session, p, TODAY, tree, years[p.year]) for p in PERIODS
    } | {
        q: release.area_release(session, q, TODAY, tree, years[q.year])
        for y in (2025, 2026)
        for q in CalendarPeriod(y).calendar()
    }


def test_shown_counts_are_exact_and_none_is_small(province: Session) -> None:
    tree, releases = released_areas(province)
    hidden = 0
    for period in PERIODS:
        exact = {
            (r.unit_code, r.indicator): r
            for r in coverage(province, period.counted(TODAY), level="all")
        }
        for code in tree:
            for row in releases[period].of(code):
                truth = exact[(code, row.indicator)]
                for name in ("numerator", "denominator", "gap", "rate", "meets_target"):
                    value = getattr(row, name)
                    assert value is None or value == getattr(truth, name), (code, name)
                cells = [Cell(getattr(truth, n), getattr(row, n)) for n in (*COUNTS, "gap")]
                assert not small_shown(cells), (period.label, code, row)
                assert row.suppressed == any(c.hidden for c in cells)
                assert not row.suppressed or row.rate is None
                hidden += row.suppressed
    assert hidden > 20  # the fixture has small cells to hide


def test_no_hidden_area_count_comes_back_by_subtraction(province: Session) -> None:
    tree, releases = released_areas(province)
    below = release._children(tree)
    complements = 0
    for period, rel in releases.items():
        exact = rel.rows
        for up, subs in below.items():
            for indicator in INDICATORS:
                total = next(r for r in rel.of(up) if r.indicator == indicator)
                parts = [r for s in subs for r in rel.of(s) if r.indicator == indicator]
                for count in COUNTS:
                    leak = recovered(
                        cell(total, exact, count), [cell(p, exact, count) for p in parts]
                    )
                    assert not leak, (period.label, up, indicator, count, leak)
                    complements += sum(
                        1 for p in parts if getattr(p, count) is None
                        and getattr(exact[(p.unit_code, indicator)], count) >= 5
                    )  # fmt: skip
    assert complements > 0  # complementary suppression did happen


def test_newborn_quarters_and_months_do_not_give_a_hidden_one_back(province: Session) -> None:
    tree, releases = released_areas(province)
    for year in (2025, 2026):
        for whole in [CalendarPeriod(year), *CalendarPeriod(year).parts()]:
            for code in tree:
                top = releases[whole].of(code)[2]
                parts = [releases[p].of(code)[2] for p in whole.parts()]
                assert top.indicator == "newborn_visit"
                for count in COUNTS:
                    leak = recovered(
                        cell(top, releases[whole].rows, count),
                        [
                            cell(p, releases[q].rows, count)
                            for p, q in zip(parts, whole.parts(), strict=True)
                        ],
                    )
                    assert not leak, (whole.label, code, count, leak)


@pytest.mark.parametrize("by", ["clinic", "facility"])
def test_no_hidden_unit_count_comes_back_by_subtraction(province: Session, by: str) -> None:
    tree, releases = released_areas(province)
    for period in PERIODS:
        totals = releases[period]
        for code in tree:
            units = release.unit_release(province, code, by, period, TODAY, totals)  # type: ignore[arg-type]
            exact = {
                (r.unit_code, r.indicator): r
                for r in coverage(province, period.counted(TODAY), by=by, within_area=code)  # type: ignore[arg-type]
            }
            for indicator in INDICATORS:
                total = next(r for r in totals.of(code) if r.indicator == indicator)
                parts = [u for u in units if u.indicator == indicator]
                for count in COUNTS:
                    leak = recovered(
                        cell(total, totals.rows, count),
                        [cell(p, exact, count) for p in parts],
                        rest_known=False,
                    )
                    assert not leak, (period.label, code, by, indicator, count, leak)
                for unit in parts:
                    truth = exact[(unit.unit_code, indicator)]
                    shown = [Cell(getattr(truth, n), getattr(unit, n)) for n in (*COUNTS, "gap")]
                    assert not small_shown(shown)


def _reference_newborn_year(monthly, tree, year, today, target):  # type: ignore[no-untyped-def]
    """newborn_year as first written (keys (area, period), Relation objects, suppress())."""
    from health.release import _children
    from health.stats import target_gap
    from health.suppression import Counts, Relation, suppress

    whole = release.CalendarPeriod(year)
    spans = [
        (p.counted(today), p.whole.start.month, p.whole.end.month,
         tuple(part.counted(today) for part in p.parts()))
        for p in whole.calendar()
    ]  # fmt: skip
    counts, relations = {}, []
    for code in tree:
        months = monthly.get(code, [(0, 0)] * 12)
        for counted, first, last, parts in spans:
            n = sum(m[0] for m in months[first - 1 : last])
            d = sum(m[1] for m in months[first - 1 : last])
            counts[(code, counted)] = Counts(n, d, target_gap(n, d, target))
            if parts:
                relations.append(Relation((code, counted), tuple((code, p) for p in parts)))
    for counted, *_ in spans:
        relations += [Relation((up, counted), tuple((c, counted) for c in subs))
                      for up, subs in _children(tree).items()]  # fmt: skip
    return counts, suppress(counts, relations)


@pytest.mark.parametrize("today", [dt.date(2025, 1, 9), dt.date(2025, 5, 31),
                                   dt.date(2025, 12, 31), dt.date(2026, 3, 1)])  # fmt: skip
def test_newborn_year_decides_as_the_plain_suppression(
    today: dt.date, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random

    rng = random.Random(today.toordinal())
    tree: dict[str, str | None] = {"P": None}
    for c in range(3):
        tree[f"P{c}"] = "P"
        for t in range(4):
            tree[f"P{c}{t}"] = f"P{c}"
    monthly = {}
    for code in tree:
        if len(code) == 3:  # children live in townships; the rest are their sums
            pairs = []
            for _ in range(12):
                d = rng.choice([0, 0, 1, 2, 3, 6, 9, 20])
                pairs.append((rng.randint(0, d), d))
            monthly[code] = pairs
    for code in [c for c in tree if len(c) < 3]:
        subs = [c for c in monthly if c.startswith(code)]
        monthly[code] = [(sum(monthly[s][m][0] for s in subs), sum(monthly[s][m][1] for s in subs))
                         for m in range(12)]  # fmt: skip
    monkeypatch.setattr(release, "newborn_by_month", lambda *a, **k: monthly)
    got = release.newborn_year(None, 2025, today, tree)  # type: ignore[arg-type]
    counts, hidden = _reference_newborn_year(monthly, tree, 2025, today, 0.95)
    assert got.counts_by_key == counts
    assert got.hidden == hidden
    assert any(h.any for h in hidden.values()) and not all(h.any for h in hidden.values())
