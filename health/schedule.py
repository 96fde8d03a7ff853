"""The check schedule of a child (due, missed, done, upcoming; next due date), read from the
configurable data file ``reference_data/schedule/china_0_6.yaml``.

Windows are closed date intervals ``[opens, closes]``. Status on ``today``: *done* when a check of
the right kind is dated inside the window (each recorded check satisfies at most one scheduled
check, earliest first); else *before registration* when the window closed before the day the
child was registered here (``closes < registered_on``: the service could not have seen the child
in time, so the check is not counted as missed); else *missed* once ``today > closes``; *due*
while ``opens <= today <= closes``; *upcoming* before that. A window still open on the day of
registration (it closes on that day or later) is the service's to keep: due, then missed. A
child without a registration date (``None``: known since birth, e.g. imported records) has no
check before registration. The coverage indicators (``health.coverage``) do not use this.

Window dates come from one computation, :meth:`ScheduledCheck.windows` (numpy over an array of
birth dates, calendar months by :func:`screening.vocabulary.add_months_array`): the schedule of one
child (:func:`child_schedule`) and the due/missed lists of a whole scope (:func:`due_entries`)
both call it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import yaml
from numpy.typing import ArrayLike, NDArray

import reference_data
from health.models.enums import CheckState
from screening.vocabulary import add_months_array

DEFAULT_SCHEDULE = "schedule/china_0_6.yaml"
KINDS = ("newborn_visit", "full_month", "routine")
RECENT_MISSED_DAYS = 365  # due lists show a missed check up to this many days after it closed
Dates = NDArray[np.datetime64]


class ScheduleConfigError(ValueError):
    """The schedule file is malformed (names the entry and the field)."""


@dataclass(frozen=True)
class Offset:
    """A calendar offset from the birth date: whole months first, then days."""

    months: int = 0
    days: int = 0

    def __add__(self, other: Offset) -> Offset:
        return Offset(self.months + other.months, self.days + other.days)

    def from_births(self, births: ArrayLike) -> Dates:
        """``birth + months + days`` for each birth date (``datetime64[D]``), months first and
        clamped to the month's end (31 January + 1 month = 28/29 February)."""
        return add_months_array(births, self.months) + np.timedelta64(self.days, "D")


@dataclass(frozen=True)
class ScheduledCheck:
    """One check of the schedule: target age and window (window offsets relative to target)."""

    code: str
    kind: str
    target: Offset
    window_from: Offset
    window_to: Offset

    def windows(self, births: ArrayLike) -> tuple[Dates, Dates, Dates]:
        """``(target, opens, closes)`` for each birth date (``datetime64[D]`` arrays): the
        window is ``target + window_from`` to ``target + window_to``, both days included."""
        births = np.asarray(births, dtype="datetime64[D]")
        return (
            self.target.from_births(births),
            (self.target + self.window_from).from_births(births),
            (self.target + self.window_to).from_births(births),
        )

    def dates(self, birth: dt.date) -> tuple[dt.date, dt.date, dt.date]:
        """``(target, opens, closes)`` for a child born on ``birth`` (:meth:`windows` of one)."""
        target, opens, closes = self.windows(np.array([birth], dtype="datetime64[D]"))
        return target[0].item(), opens[0].item(), closes[0].item()


@dataclass(frozen=True)
class CoverageParams:
    """Parameters of the three coverage indicators (defaults from coverage.md)."""

    routine_months: tuple[int, ...] = (3, 6, 8, 12, 18, 24, 30, 36)
    infant_target: float = 0.95
    under_years: int = 7
    child_target: float = 0.95
    newborn_within_days: int = 28
    newborn_target: float = 0.95


@dataclass(frozen=True)
class Schedule:
    """A named, versioned schedule with its coverage parameters."""

    name: str
    version: str
    checks: tuple[ScheduledCheck, ...]
    coverage: CoverageParams


def _offset(entry: dict[str, Any], prefix: str, where: str) -> Offset:
    months = entry.get(f"{prefix}months", 0)
    days = entry.get(f"{prefix}days", 0)
    if not isinstance(months, int) or not isinstance(days, int):
        raise ScheduleConfigError(f"{where}: months and days must be whole numbers")
    return Offset(months, days)


def parse_schedule(data: dict[str, Any]) -> Schedule:
    """Build a :class:`Schedule` from the parsed YAML mapping, validating every entry."""
    checks = []
    for i, entry in enumerate(data.get("checks") or []):
        where = f"checks[{i}]"
        try:
            code, kind = str(entry["code"]), str(entry["kind"])
            target = _offset(entry["target"], "", where + ".target")
            window = entry["window"]
        except (KeyError, TypeError) as exc:
            raise ScheduleConfigError(f"{where}: missing field {exc}") from None
        if kind not in KINDS:
            raise ScheduleConfigError(f"{where}: kind '{kind}' is not one of {', '.join(KINDS)}")
        start = _offset(window, "from_", where + ".window")
        stop = _offset(window, "to_", where + ".window")
        checks.append(ScheduledCheck(code, kind, target, start, stop))
    if not checks:
        raise ScheduleConfigError("the schedule lists no checks")
    cov = data.get("coverage") or {}
    infant = cov.get("infant_health_management", {})
    child = cov.get("child_health_management_0_6", {})
    newborn = cov.get("newborn_visit", {})
    base = CoverageParams()
    params = CoverageParams(
        routine_months=tuple(int(m) for m in infant.get("routine_months", base.routine_months)),
        infant_target=float(infant.get("target", base.infant_target)),
        under_years=int(child.get("under_years", base.under_years)),
        child_target=float(child.get("target", base.child_target)),
        newborn_within_days=int(newborn.get("within_days", base.newborn_within_days)),
        newborn_target=float(newborn.get("target", base.newborn_target)),
    )
    for value in (params.infant_target, params.child_target, params.newborn_target):
        if not 0 < value <= 1:
            raise ScheduleConfigError(f"coverage target {value} is not in (0, 1]")
    return Schedule(str(data.get("name", "")), str(data.get("version", "")), tuple(checks), params)


@cache
def load_schedule(relative_path: str = DEFAULT_SCHEDULE) -> Schedule:
    """The schedule stored at ``reference_data/<relative_path>`` (cached)."""
    return parse_schedule(yaml.safe_load(reference_data.read_bytes(relative_path)))


@dataclass(frozen=True)
class CheckStatus:
    """Where one scheduled check stands for one child on a given day."""

    code: str
    kind: str
    target: dt.date
    opens: dt.date
    closes: dt.date
    status: CheckState
    done_on: dt.date | None = None


def child_schedule(
    birth: dt.date,
    checks_done: Iterable[tuple[dt.date, str]],
    today: dt.date,
    schedule: Schedule | None = None,
    registered_on: dt.date | None = None,
) -> list[CheckStatus]:
    """Status of every scheduled check for a child born on ``birth`` and registered here on
    ``registered_on`` (None: known since birth), given the recorded checks ``(date, kind)`` and
    ``today``. Each recorded check satisfies at most one scheduled check; a check not done whose
    window closed before ``registered_on`` is *before registration*, not *missed*."""
    schedule = schedule or load_schedule()
    unused = sorted(checks_done)
    result = []
    for item in schedule.checks:
        target, opens, closes = item.dates(birth)
        match = next((c for c in unused if c[1] == item.kind and opens <= c[0] <= closes), None)
        if match is not None:
            unused.remove(match)
            status, done_on = CheckState.done, match[0]
        elif registered_on is not None and closes < registered_on:
            status, done_on = CheckState.before_registration, None
        elif today > closes:
            status, done_on = CheckState.missed, None
        elif today >= opens:
            status, done_on = CheckState.due, None
        else:
            status, done_on = CheckState.upcoming, None
        result.append(CheckStatus(item.code, item.kind, target, opens, closes, status, done_on))
    return result


def next_due(statuses: Iterable[CheckStatus]) -> CheckStatus | None:
    """The first scheduled check still to do (due or upcoming), or None when none is left."""
    return next((s for s in statuses if s.status in (CheckState.due, CheckState.upcoming)), None)


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


def due_entries(
    birth: ArrayLike,
    check_index: ArrayLike,
    check_date: ArrayLike,
    check_kind: ArrayLike,
    today: dt.date,
    statuses: tuple[str, ...] = ("due", "missed"),
    schedule: Schedule | None = None,
    registered: ArrayLike | None = None,
) -> list[DueEntry]:
    """Due and missed checks of many children at once (numpy, no loop over children).

    Children have birth dates ``birth`` and registration dates ``registered`` (parallel to
    ``birth``, ``NaT`` or None: known since birth; no array: all known since birth); recorded
    checks are given as parallel arrays (row index of the child in ``birth``, date, kind).
    Returns, per child and status in ``statuses``, the first scheduled check in that status on
    ``today``; *missed* only while its window closed at most :data:`RECENT_MISSED_DAYS` days
    before ``today`` and not before the child was registered (such a check is *before
    registration* and never listed).

    Same statuses as :func:`child_schedule`, which lets each recorded check satisfy at most one
    scheduled check: when the windows of one kind never overlap (the shipped schedule) that is
    "a check of the kind inside the window", computed here. A schedule whose windows of one kind
    overlap for some child raises :class:`OverlappingWindowsError`.
    """
    schedule = schedule or load_schedule()
    births = np.asarray(birth, dtype="datetime64[D]")
    dates = np.asarray(check_date, dtype="datetime64[D]")
    rows_all = np.asarray(check_index, dtype=np.int64)
    kinds = np.asarray(check_kind, dtype=object)
    day = np.datetime64(today, "D")
    n = births.size
    since = (
        np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        if registered is None
        else np.asarray(registered, dtype="datetime64[D]")
    )
    known = ~np.isnat(since)
    first = {status: np.full(n, -1, dtype=np.int64) for status in statuses}
    spans: dict[str, list[tuple[Dates, Dates]]] = {}
    found: list[tuple[str, Dates, Dates]] = []
    for position, item in enumerate(schedule.checks):
        _, opens, closes = item.windows(births)
        for before_opens, before_closes in spans.get(item.kind, []):
            if np.any((opens <= before_closes) & (before_opens <= closes)):
                raise OverlappingWindowsError(f"windows of kind {item.kind} overlap")
        spans.setdefault(item.kind, []).append((opens, closes))
        mine = kinds == item.kind
        rows = rows_all[mine]
        inside = (dates[mine] >= opens[rows]) & (dates[mine] <= closes[rows])
        done = np.zeros(n, dtype=bool)
        done[rows[inside]] = True
        state = {
            "due": ~done & (opens <= day) & (day <= closes),
            "missed": ~done
            & (day > closes)
            & ((day - closes).astype(np.int64) <= RECENT_MISSED_DAYS)
            & ~(known & (closes < since)),
        }
        for status in statuses:
            take = state[status] & (first[status] < 0)
            first[status][take] = position
        found.append((item.code, opens, closes))
    out = []
    for status in statuses:
        for index in np.flatnonzero(first[status] >= 0):
            code, opens, closes = found[int(first[status][index])]
            out.append(
                DueEntry(int(index), code, status, opens[index].item(), closes[index].item())
            )
    return out
