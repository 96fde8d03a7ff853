"""Kept area sums of the coverage figures (``health.tally``): per counted period and kind, the
sums of every area's resident children's per-child flags, and which areas changed since.

- ``tallies``: one row per kept aggregation (kind, counted period, rules).
- ``tally_areas``: its sums, per area the children live in directly and ``part`` (the birth
  month for the newborn visits by month, else 0).
- ``tally_changes``: the areas whose children or checks changed since the sums were last
  brought up to date. Database triggers add to it (migration 0012), on every write path, and
  and every reading of the sums empties it:

  - **PostgreSQL**: statement-level triggers with transition tables on ``checks`` and
    ``children`` (one row per area a statement touched; a COPY is one statement), always (a
    writer's test "is a tally kept?" could miss one being computed meanwhile). A big import
    drops every tally instead, and drops these triggers for its load and creates them again
    at its end (``health.exchange.postgres_writer``).
  - **SQLite** (one writer at a time, so no such race): row triggers on updates and deletes,
    while a tally is kept; appends are found through the ids above those ``tally_state`` has
    seen (SQLite gives a new row the largest id + 1, as :mod:`health.models.changes` relies on
    too).

A TRUNCATE of either table drops every tally.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DDL, BigInteger, Column, ForeignKey, Index, Integer, event
from sqlmodel import Field, SQLModel

from health.models.ids import BIG_ID

VALUES = 12
"""Value columns ``v0`` … ``v11`` of ``tally_areas`` (a kind uses the first few)."""


class Tally(SQLModel, table=True):
    """One kept aggregation: ``kind`` over the counted period ``start``–``end`` by the rules
    ``rules`` (a hash of the schedule's coverage parameters)."""

    __tablename__ = "tallies"
    __table_args__ = (
        Index("uq_tallies_kind_period", "kind", "start", "end", "rules", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, description="coverage, screens or newborn_months")
    start: dt.date
    end: dt.date
    rules: str = Field(max_length=16)
    made_at: dt.datetime = Field(description="UTC instant the sums were first computed")
    used_at: dt.datetime = Field(description="UTC instant the sums were last read")


class TallyArea(SQLModel, table=True):
    """The sums of one tally for the children living directly in one area (and one part)."""

    __tablename__ = "tally_areas"

    tally_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tallies.id", ondelete="CASCADE"), primary_key=True)
    )
    area_id: int = Field(primary_key=True)
    part: int = Field(default=0, primary_key=True, description="Birth month, or 0")
    v0: int = Field(default=0, sa_type=BigInteger)
    v1: int = Field(default=0, sa_type=BigInteger)
    v2: int = Field(default=0, sa_type=BigInteger)
    v3: int = Field(default=0, sa_type=BigInteger)
    v4: int = Field(default=0, sa_type=BigInteger)
    v5: int = Field(default=0, sa_type=BigInteger)
    v6: int = Field(default=0, sa_type=BigInteger)
    v7: int = Field(default=0, sa_type=BigInteger)
    v8: int = Field(default=0, sa_type=BigInteger)
    v9: int = Field(default=0, sa_type=BigInteger)
    v10: int = Field(default=0, sa_type=BigInteger)
    v11: int = Field(default=0, sa_type=BigInteger)


class TallyChange(SQLModel, table=True):
    """An area whose sums are to be computed again (written by the triggers)."""

    __tablename__ = "tally_changes"

    id: int | None = Field(default=None, sa_type=BIG_ID, primary_key=True)
    area_id: int


class TallyState(SQLModel, table=True):
    """SQLite only in use: the largest check and child ids the kept sums have seen."""

    __tablename__ = "tally_state"

    id: int = Field(default=1, primary_key=True)
    checks_seen: int = Field(default=0, sa_type=BigInteger)
    children_seen: int = Field(default=0, sa_type=BigInteger)


_WHEN = "WHEN EXISTS (SELECT 1 FROM tallies)"
_NOTE = "INSERT INTO tally_changes (area_id)"
SQLITE_DDL = (
    "INSERT OR IGNORE INTO tally_state (id, checks_seen, children_seen) VALUES (1, 0, 0)",
    f"CREATE TRIGGER IF NOT EXISTS tally_checks_update AFTER UPDATE ON checks FOR EACH ROW {_WHEN} "
    f"BEGIN {_NOTE} SELECT area_id FROM children WHERE id IN (OLD.child_id, NEW.child_id); END",
    f"CREATE TRIGGER IF NOT EXISTS tally_checks_delete AFTER DELETE ON checks FOR EACH ROW {_WHEN} "
    f"BEGIN {_NOTE} SELECT area_id FROM children WHERE id = OLD.child_id; END",
    "CREATE TRIGGER IF NOT EXISTS tally_children_update AFTER UPDATE ON children FOR EACH ROW "
    f"{_WHEN} BEGIN {_NOTE} VALUES (OLD.area_id), (NEW.area_id); END",
    "CREATE TRIGGER IF NOT EXISTS tally_children_delete AFTER DELETE ON children FOR EACH ROW "
    f"{_WHEN} BEGIN {_NOTE} VALUES (OLD.area_id); END",
)
SQLITE_DROP = tuple(
    f"DROP TRIGGER IF EXISTS tally_{table}_{verb}"
    for table in ("checks", "children")
    for verb in ("update", "delete")
)


def _pg_function(name: str, rows: str) -> str:
    # always noted: a "while a tally is kept" test would read the tallies as committed before
    # the writer's commit, and miss a tally being computed meanwhile
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {_NOTE} {rows}; RETURN NULL; END $$"
    )


_CHECK_AREAS = "SELECT DISTINCT c.area_id FROM children c WHERE c.id IN (SELECT child_id FROM {t})"
POSTGRES_FUNCTIONS = {
    "note_tally_checks": _CHECK_AREAS.format(t="changed_rows"),
    "note_tally_checks_update": _CHECK_AREAS.format(
        t="(SELECT child_id FROM old_rows UNION SELECT child_id FROM changed_rows) AS both_rows"
    ),
    "note_tally_children": "SELECT DISTINCT area_id FROM changed_rows",
    "note_tally_children_update": (
        "SELECT area_id FROM old_rows UNION SELECT area_id FROM changed_rows"
    ),
}
_PG_TRIGGERS = (  # (trigger, table, event, REFERENCING, function)
    ("tally_checks_insert", "checks", "INSERT", "NEW TABLE AS changed_rows", "note_tally_checks"),
    ("tally_checks_delete", "checks", "DELETE", "OLD TABLE AS changed_rows", "note_tally_checks"),
    ("tally_checks_update", "checks", "UPDATE",
     "OLD TABLE AS old_rows NEW TABLE AS changed_rows", "note_tally_checks_update"),
    ("tally_children_insert", "children", "INSERT", "NEW TABLE AS changed_rows",
     "note_tally_children"),
    ("tally_children_delete", "children", "DELETE", "OLD TABLE AS changed_rows",
     "note_tally_children"),
    ("tally_children_update", "children", "UPDATE",
     "OLD TABLE AS old_rows NEW TABLE AS changed_rows", "note_tally_children_update"),
)  # fmt: skip
TALLY_TRIGGERS = {
    table: tuple(name for name, on, *_ in _PG_TRIGGERS if on == table)
    for table in ("checks", "children")
}
"""The triggers a big PostgreSQL import switches off for its load (it drops the tallies)."""
LOCK_KEY = 7_411_502
"""The PostgreSQL advisory lock that serialises the tallies' transactions (``health.tally``)."""
POSTGRES_DDL = (
    *(_pg_function(name, rows) for name, rows in POSTGRES_FUNCTIONS.items()),
    "CREATE OR REPLACE FUNCTION drop_tallies() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN DELETE FROM tallies; DELETE FROM tally_changes; RETURN NULL; END $$",
    *(
        f"CREATE OR REPLACE TRIGGER {name} AFTER {verb} ON {table} REFERENCING {refs} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        for name, table, verb, refs, function in _PG_TRIGGERS
    ),
    *(
        f"CREATE OR REPLACE TRIGGER tally_{table}_truncate AFTER TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION drop_tallies()"
        for table in ("checks", "children")
    ),
)
POSTGRES_DROP = (
    *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table, *_ in _PG_TRIGGERS),
    *(f"DROP TRIGGER IF EXISTS tally_{t}_truncate ON {t}" for t in ("checks", "children")),
    *(f"DROP FUNCTION IF EXISTS {name}()" for name in (*POSTGRES_FUNCTIONS, "drop_tallies")),
)

# a schema made by ``create_all`` (some tests) gets the same rows and triggers as the migration
for _sql in SQLITE_DDL:
    event.listen(SQLModel.metadata, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in POSTGRES_DDL:
    event.listen(SQLModel.metadata, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
