"""The vectorised due/missed lists agree with ``health.schedule.child_schedule`` child by
child, on random birth dates (month ends, leap days) and random checks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from api.services.due import OverlappingWindowsError, due_entries
from health.schedule import Schedule, child_schedule, load_schedule, parse_schedule

KINDS = ("newborn_visit", "full_month", "routine")


def expected(births, checks_by_child, today, statuses):
    out = set()
    for index, birth in enumerate(births):
        seen = set()
        for item in child_schedule(birth, checks_by_child.get(index, []), today):
            recent = item.status != "missed" or 0 < (today - item.closes).days <= 365
            if item.status in statuses and item.status not in seen and recent:
                seen.add(item.status)
                out.add((index, item.code, item.status, item.opens, item.closes))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_answers_as_the_schedule_of_each_child(seed: int) -> None:
    rng = np.random.default_rng(seed)
    today = dt.date(2024, 3, 1)  # a leap year: 29 February births and windows
    n = 400
    births = [today - dt.timedelta(days=int(d)) for d in rng.integers(0, 7 * 365, n)]
    births[:3] = [dt.date(2023, 1, 31), dt.date(2020, 2, 29), dt.date(2023, 8, 31)]
    rows, dates, kinds = [], [], []
    checks_by_child: dict[int, list[tuple[dt.date, str]]] = {}
    for index, birth in enumerate(births):
        for _ in range(int(rng.integers(0, 8))):
            day = birth + dt.timedelta(days=int(rng.integers(0, (today - birth).days + 1)))
            kind = KINDS[int(rng.choice(3, p=[0.15, 0.1, 0.75]))]
            rows.append(index)
            dates.append(day)
            kinds.append(kind)
            checks_by_child.setdefault(index, []).append((day, kind))
    for statuses in [("due", "missed"), ("missed",), ("due",)]:
        got = due_entries(
            np.array(births, dtype="datetime64[D]"),
            np.array(rows, dtype=np.int64),
            np.array(dates, dtype="datetime64[D]"),
            np.array(kinds, dtype=object),
            today,
            statuses,
        )
        found = {(e.index, e.code, e.status, e.opens, e.closes) for e in got}
        assert found == expected(births, checks_by_child, today, statuses)


def test_overlapping_windows_of_one_kind_are_refused() -> None:
    base = load_schedule()
    overlapping = parse_schedule({
        "checks": [
            {"code": "a", "kind": "routine", "target": {"months": 3},
             "window": {"from_days": -15, "to_months": 2}},
            {"code": "b", "kind": "routine", "target": {"months": 4},
             "window": {"from_days": -15, "to_months": 1}},
        ],
    })  # fmt: skip
    assert isinstance(base, Schedule)
    with pytest.raises(OverlappingWindowsError):
        due_entries(np.array(["2024-01-01"], dtype="datetime64[D]"), np.array([], dtype=np.int64),
                    np.array([], dtype="datetime64[D]"), np.array([], dtype=object),
                    dt.date(2024, 6, 1), schedule=overlapping)  # fmt: skip
