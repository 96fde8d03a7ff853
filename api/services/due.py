"""Which children in a scope have a scheduled check due now or recently missed, for many
children at once (numpy over the whole scope, no loop over children).

Same statuses as :func:`health.schedule.child_schedule`: a scheduled check is *done* when a
check of its kind is dated inside its window, *missed* once the window has closed without one,
*due* while it is open. ``child_schedule`` lets each recorded check satisfy at most one
scheduled check; when the windows of one kind never overlap (the shipped schedule) that is the
same as "a check of the kind inside the window", which is what is computed here. A schedule
whose windows of one kind overlap is refused (:class:`OverlappingWindowsError`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from health.schedule import Schedule, ScheduledCheck, load_schedule
from health.synthetic import add_months_np

RECENT_MISSED_DAYS = 365


class OverlappingWindowsError(ValueError):
    """Two scheduled checks of one kind have overlapping windows for some child."""


@dataclass(frozen=True)
class DueEntry:
    """Row ``index`` of the input arrays has scheduled check ``code`` in ``status``."""

    index: int
    code: str
    status: str
    opens: dt.date
    closes: dt.date


def windows(birth: np.ndarray, item: ScheduledCheck) -> tuple[np.ndarray, np.ndarray]:
    """``(opens, closes)`` of ``item`` for each birth date (``datetime64[D]``), as
    :meth:`ScheduledCheck.dates` computes them: whole months first, then days."""

    def at(months: int, days: int) -> np.ndarray:
        return add_months_np(birth, months) + np.timedelta64(days, "D")

    start, stop, target = item.window_from, item.window_to, item.target
    return (
        at(target.months + start.months, target.days + start.days),
        at(target.months + stop.months, target.days + stop.days),
    )


def due_entries(
    birth: np.ndarray,
    check_index: np.ndarray,
    check_date: np.ndarray,
    check_kind: np.ndarray,
    today: dt.date,
    statuses: tuple[str, ...] = ("due", "missed"),
    schedule: Schedule | None = None,
) -> list[DueEntry]:
    """For children with birth dates ``birth`` and recorded checks (row index of the child,
    date, kind), the first scheduled check per child and status in ``statuses`` (missed only
    when its window closed at most :data:`RECENT_MISSED_DAYS` before ``today``)."""
    schedule = schedule or load_schedule()
    birth = np.asarray(birth, dtype="datetime64[D]")
    check_date = np.asarray(check_date, dtype="datetime64[D]")
    check_index = np.asarray(check_index, dtype=np.int64)
    check_kind = np.asarray(check_kind, dtype=object)
    day = np.datetime64(today, "D")
    n = birth.size
    first = {status: np.full(n, -1, dtype=np.int64) for status in statuses}
    spans: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    found: list[tuple[str, np.ndarray, np.ndarray]] = []
    for position, item in enumerate(schedule.checks):
        opens, closes = windows(birth, item)
        for before_opens, before_closes in spans.get(item.kind, []):
            if np.any((opens <= before_closes) & (before_opens <= closes)):
                raise OverlappingWindowsError(f"windows of kind {item.kind} overlap")
        spans.setdefault(item.kind, []).append((opens, closes))
        mine = check_kind == item.kind
        rows = check_index[mine]
        inside = (check_date[mine] >= opens[rows]) & (check_date[mine] <= closes[rows])
        done = np.zeros(n, dtype=bool)
        done[rows[inside]] = True
        state = {
            "due": ~done & (opens <= day) & (day <= closes),
            "missed": ~done
            & (day > closes)
            & ((day - closes).astype(np.int64) <= RECENT_MISSED_DAYS),
        }
        for status in statuses:
            take = state[status] & (first[status] < 0)
            first[status][take] = position
        found.append((item.code, opens, closes))
    out = []
    for status in statuses:
        for index in np.nonzero(first[status] >= 0)[0]:
            code, opens, closes = found[int(first[status][index])]
            out.append(
                DueEntry(int(index), code, status, opens[index].item(), closes[index].item())
            )
    return out
