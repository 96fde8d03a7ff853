"""Kept area sums of the coverage figures, brought up to date area by area.

A bureau's figures are sums over every resident child of the province
(:func:`health.coverage.area_sums_select`): computed afresh they cost a scan of every child
and check of the period. Here they are kept instead (``tallies`` and ``tally_areas``,
:mod:`health.models.tallies`) per kind, counted period and rules, and the triggers of
migration 0012 note which areas changed (``tally_changes``; on SQLite also the ids above
``tally_state``'s). :func:`kept_sums` then, in one write transaction of its own:

1. takes the changes noted so far (and removes them);
2. computes again, for every kept tally, only the areas that changed (the same aggregation
   restricted to the children living in them, so the sums stay exactly those of a full scan),
   or the whole tally when more than :data:`WHOLE_SHARE` of the areas changed;
3. computes the asked tally in full if it is not kept yet;
4. reads its sums.

A tally is kept until it has not been read for :data:`KEEP_DAYS` days. The transactions
are serialised (PostgreSQL: a transaction-level advisory lock; SQLite: ``BEGIN IMMEDIATE``), so
a change noted is applied exactly once, and a change committed while the sums are brought up to
date stays noted for the next time. The sums are read in that transaction: never older than the
data a view read before them.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from health.coverage import KIND_COLUMNS, AreaSums, area_sums_select
from health.models import Area, Check, Child
from health.models.tallies import LOCK_KEY, Tally, TallyArea, TallyChange, TallyState
from health.periods import CalendarPeriod, Period, quarters_back
from health.schedule import CoverageParams

KEEP_DAYS = 3
"""A tally not read for this many days is dropped (e.g. a period counted to a past day)."""
WHOLE_SHARE = 0.2
"""When more than this share of the areas changed, a tally is computed again in full."""
READ_STEP = dt.timedelta(hours=1)
"""A tally's last reading is written again only when older than this (most views write none)."""

T = Tally.__table__  # type: ignore[attr-defined]
TA = TallyArea.__table__  # type: ignore[attr-defined]
TC = TallyChange.__table__  # type: ignore[attr-defined]
TS = TallyState.__table__  # type: ignore[attr-defined]


@functools.cache
def rules_of(params: CoverageParams) -> str:
    """A short hash of the coverage parameters the sums depend on."""
    return hashlib.sha256(repr(params).encode()).hexdigest()[:16]


def kept_sums(
    session: Session, kind: str, period: Period, params: CoverageParams
) -> AreaSums | None:
    """The kept :data:`health.coverage.AreaSums` of ``kind`` for ``period`` (see the module),
    or None when ``session`` is not bound to an engine of SQLite or PostgreSQL with the tallies'
    tables (then the caller aggregates itself)."""
    memo = session.info.get(MEMO)
    if memo is not None and (kind, period, rules_of(params)) in memo:
        return memo[(kind, period, rules_of(params))]  # type: ignore[no-any-return]
    bind = session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name not in ("sqlite", "postgresql"):
        return None
    try:
        return sums(bind, kind, period, params)
    except WriterBusyError:
        return None


class WriterBusyError(RuntimeError):
    """SQLite's write lock stayed taken for :data:`SQLITE_WAIT_MS` (a long import holds it):
    the caller aggregates itself, reading, instead of waiting."""


SQLITE_WAIT_MS = 2000
"""How long a view waits for SQLite's write lock before it aggregates without the kept sums."""


def _begin(engine: Engine) -> Connection:
    conn = engine.connect()
    if engine.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        old = raw.execute("PRAGMA busy_timeout").fetchone()[0]  # type: ignore[union-attr]
        raw.execute(f"PRAGMA busy_timeout = {SQLITE_WAIT_MS}")  # type: ignore[union-attr]
        restore = f"PRAGMA busy_timeout = {int(old)}"
        try:
            conn.execution_options(sqlite_begin="IMMEDIATE").begin()
        except OperationalError as error:
            raw.execute(restore)  # type: ignore[union-attr]
            conn.close()
            raise WriterBusyError(str(error.orig)) from error
        raw.execute(restore)  # type: ignore[union-attr]
        return conn
    conn.begin()
    if engine.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        conn.execute(text("SET LOCAL jit = off"))
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
    return conn


def _utc_now() -> dt.datetime:
    """Now in UTC: when a tally was made and read (the wall clock: housekeeping, not a
    figure)."""
    return dt.datetime.now(dt.UTC)


def sums(engine: Engine, kind: str, period: Period, params: CoverageParams) -> AreaSums:
    """The sums of ``kind`` for ``period`` by ``params``, kept and brought up to date (see the
    module)."""
    return sums_many(engine, [(kind, period)], params)[(kind, period)]


def sums_many(
    engine: Engine, asks: list[tuple[str, Period]], params: CoverageParams
) -> dict[tuple[str, Period], AreaSums]:
    """:func:`sums` of each ``(kind, period)`` of ``asks``, in one transaction."""
    for kind, _ in asks:
        if kind not in KIND_COLUMNS:
            raise ValueError(f"unknown kind of sums '{kind}'")
    now = _utc_now()
    rules = rules_of(params)
    conn = _begin(engine)
    try:
        _drop_unread(conn, now)
        kept, kept_used = {}, {}
        for row in conn.execute(
            select(T.c.id, T.c.kind, T.c.start, T.c.end, T.c.rules, T.c.used_at)
        ):
            kept[(row.kind, row.start, row.end, row.rules)] = row.id
            kept_used[row.id] = row.used_at
        changed = _take_changes(conn)
        if kept and changed:
            share = len(changed) / max(1, _area_count(conn))
            for (k, start, end, r), tally_id in list(kept.items()):
                if r == rules:
                    areas = None if share > WHOLE_SHARE else sorted(changed)
                    _compute(conn, tally_id, k, Period(start, end), params, areas)
                else:  # kept by other rules (another process's schedule): computed again there
                    conn.execute(delete(T).where(T.c.id == tally_id))
                    conn.execute(delete(TA).where(TA.c.tally_id == tally_id))
                    del kept[(k, start, end, r)]
        found: dict[tuple[str, Period], AreaSums] = {}
        for kind, period in dict.fromkeys(asks):
            tally_id = kept.get((kind, period.start, period.end, rules))
            if tally_id is None:
                tally_id = _new_tally(conn, kind, period, rules, now)
                _compute(conn, tally_id, kind, period, params, None)
                kept[(kind, period.start, period.end, rules)] = tally_id
            elif now - _aware(kept_used[tally_id]) > READ_STEP:
                conn.execute(update(T).where(T.c.id == tally_id).values(used_at=now))
            width = len(KIND_COLUMNS[kind])
            values = [TA.c[f"v{i}"] for i in range(width)]
            rows = conn.execute(
                select(TA.c.area_id, TA.c.part, *values).where(TA.c.tally_id == tally_id)
            )
            found[(kind, period)] = {(r[0], r[1]): tuple(r[2:]) for r in rows.all()}
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()
    return found


MEMO = "health.tally.sums"
"""``Session.info`` key of the sums :func:`prefetch` read for the session's later reads."""


def prefetch(session: Session, asks: list[tuple[str, Period]], params: CoverageParams) -> None:
    """Read the kept sums of ``asks`` in one transaction (:func:`sums_many`) for the later
    :func:`kept_sums` of ``session`` (one view: :func:`forget` at its end). Nothing when the
    session's engine keeps no sums or SQLite's write lock is held."""
    bind = session.get_bind()
    if not asks or not isinstance(bind, Engine):
        return
    if bind.dialect.name not in ("sqlite", "postgresql"):
        return
    try:
        found = sums_many(bind, asks, params)
    except WriterBusyError:
        return
    memo = session.info.setdefault(MEMO, {})
    rules = rules_of(params)
    for (kind, period), values in found.items():
        memo[(kind, period, rules)] = values


def forget(session: Session) -> None:
    """Drop what :func:`prefetch` kept for ``session``."""
    session.info.pop(MEMO, None)


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)


def drop_all(conn: Connection) -> None:
    """Drop every kept tally and noted change (a bulk load does, in its own transaction: the
    next view computes what it needs in full)."""
    conn.execute(delete(TA))
    conn.execute(delete(T))
    conn.execute(delete(TC))
    if conn.dialect.name == "sqlite":
        conn.execute(update(TS).values(checks_seen=0, children_seen=0))


def _drop_unread(conn: Connection, now: dt.datetime) -> None:
    old = select(T.c.id).where(T.c.used_at < now - dt.timedelta(days=KEEP_DAYS))
    ids = list(conn.execute(old).scalars())
    if ids:
        conn.execute(delete(TA).where(TA.c.tally_id.in_(ids)))
        conn.execute(delete(T).where(T.c.id.in_(ids)))


def _area_count(conn: Connection) -> int:
    return int(conn.execute(select(text("count(*)")).select_from(Area.__table__)).scalar() or 0)


def _take_changes(conn: Connection) -> set[int]:
    """The areas noted as changed since the last time (and the noted rows removed)."""
    changed = set(conn.execute(select(TC.c.area_id).distinct()).scalars())
    conn.execute(delete(TC))
    if conn.dialect.name != "sqlite":
        return changed
    checks, children = Check.__table__, Child.__table__  # type: ignore[attr-defined]
    seen = conn.execute(select(TS.c.checks_seen, TS.c.children_seen).where(TS.c.id == 1)).first()
    last_check = conn.execute(select(text("max(id)")).select_from(checks)).scalar() or 0
    last_child = conn.execute(select(text("max(id)")).select_from(children)).scalar() or 0
    if seen is None:
        conn.execute(insert(TS).values(id=1, checks_seen=last_check, children_seen=last_child))
        return changed
    checks_seen, children_seen = int(seen[0]), int(seen[1])
    if last_check > checks_seen:
        new_checks = select(checks.c.child_id).where(checks.c.id > checks_seen)
        changed |= set(
            conn.execute(
                select(children.c.area_id).where(children.c.id.in_(new_checks)).distinct()
            ).scalars()
        )
    if last_child > children_seen:
        changed |= set(
            conn.execute(
                select(children.c.area_id).where(children.c.id > children_seen).distinct()
            ).scalars()
        )
    if (last_check, last_child) != (checks_seen, children_seen):
        conn.execute(
            update(TS).where(TS.c.id == 1).values(checks_seen=last_check, children_seen=last_child)
        )
    return {int(a) for a in changed}


def _new_tally(conn: Connection, kind: str, period: Period, rules: str, now: dt.datetime) -> int:
    values = {"kind": kind, "start": period.start, "end": period.end, "rules": rules}
    result = conn.execute(insert(T).values(**values, made_at=now, used_at=now))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _compute(
    conn: Connection,
    tally_id: int,
    kind: str,
    period: Period,
    params: CoverageParams,
    areas: list[int] | None,
) -> None:
    """(Re)compute tally ``tally_id`` in the database: every area, or only ``areas``."""
    gone = delete(TA).where(TA.c.tally_id == tally_id)
    if areas is not None:
        gone = gone.where(TA.c.area_id.in_(areas))
    conn.execute(gone)
    width = len(KIND_COLUMNS[kind])
    sums = area_sums_select(kind, period, params, areas).subquery("sums")
    names = ["area_id", "part", *(f"v{i}" for i in range(width))]
    source = select(
        text(str(int(tally_id))), *(sums.c[n] for n in names)
    )  # the id as a literal: one statement, no parameters per row
    conn.execute(insert(TA).from_select(["tally_id", *names], source))


def prepare(engine: Engine, today: dt.date, params: CoverageParams) -> list[tuple[str, Period]]:
    """Bring up to date, or compute, the sums a bureau's default dashboard view asks for on the
    local ``today``: this year and the last four quarters counted on ``today`` (management
    rates), this year's screens, and the newborn visits by month of each year among them. A
    period counted to today is a new tally every day: run this after midnight (``childhealth
    tallies``) and the day's first view finds its sums kept. Returns what was prepared."""
    year = CalendarPeriod(today.year)
    periods = [year, *quarters_back(today)]
    asked = [("coverage", p.counted(today)) for p in periods]
    asked.append(("screens", year.counted(today)))
    asked += [("newborn_months", CalendarPeriod(y).counted(today))
              for y in sorted({p.year for p in periods})]  # fmt: skip
    unique = list(dict.fromkeys(asked))
    sums_many(engine, unique, params)
    return unique
