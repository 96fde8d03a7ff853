"""A cheap stamp of the data the coverage figures are made of: every committed change to
``checks``, ``children``, ``enrolments``, ``areas``, ``clinics`` or ``facilities`` moves it, on
every write path (the pipeline, the imports' COPY and ``executemany``, an administrator's SQL),
because database triggers move it (migration 0011). ``api.services.dashboard`` keys its shared
figures by it, so a cached figure is never older than the data.

- **PostgreSQL**: one statement-level trigger per table (after ``INSERT``, ``UPDATE``,
  ``DELETE`` or ``TRUNCATE``; a COPY is one statement, an upsert two) adds 1 to one of
  :data:`SLOTS` counter rows, the one of the writing backend (``pg_backend_pid() % SLOTS``),
  so concurrent writers seldom wait on the same row. The stamp is the sum of the counters:
  each committed write statement adds to it, a rolled-back one does not (the counter moves in
  the writer's transaction).
- **SQLite** (one writer at a time): a row trigger per row costs as much as the row itself in a
  bulk load, so appends move the stamp through the tables' largest ``id`` (an ``INTEGER PRIMARY
  KEY``: SQLite gives a new row the largest id + 1, and writers commit one after the other), and
  row triggers count only updates and deletes of the three big tables, and every change of the
  small ones (areas, clinics, facilities). A row inserted with an explicit id below the largest
  is not seen: no write path gives ids.

``area_ancestors`` is rebuilt from ``areas`` in the same transaction as any change of areas.
"""

from __future__ import annotations

from sqlalchemy import DDL, BigInteger, event, text
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

SLOTS = 16
BIG_TABLES = ("checks", "children", "enrolments")
"""Tables with many rows: on SQLite their appends are seen through ``max(id)``."""
SMALL_TABLES = ("areas", "clinics", "facilities")
TABLES = BIG_TABLES + SMALL_TABLES


class DataChange(SQLModel, table=True):
    """One counter of committed changes (see the module); the stamp is the sum of all slots."""

    __tablename__ = "data_changes"

    slot: int = Field(primary_key=True, description="0 to SLOTS - 1 (PostgreSQL), 0 (SQLite)")
    changes: int = Field(default=0, sa_type=BigInteger, description="Changes counted so far")


def _sqlite_triggers() -> list[str]:
    bump = "BEGIN UPDATE data_changes SET changes = changes + 1 WHERE slot = 0; END"
    out = []
    for table in TABLES:
        verbs = ("UPDATE", "DELETE") if table in BIG_TABLES else ("INSERT", "UPDATE", "DELETE")
        for verb in verbs:
            out.append(
                f"CREATE TRIGGER IF NOT EXISTS data_change_{table}_{verb.lower()} "
                f"AFTER {verb} ON {table} FOR EACH ROW {bump}"
            )
    return out


SQLITE_DDL = (
    "INSERT OR IGNORE INTO data_changes (slot, changes) VALUES (0, 0)",
    *_sqlite_triggers(),
)
SQLITE_DROP = tuple(
    f"DROP TRIGGER IF EXISTS data_change_{table}_{verb}"
    for table in TABLES
    for verb in ("insert", "update", "delete")
)
POSTGRES_DDL = (
    "INSERT INTO data_changes (slot, changes) "
    f"SELECT s, 0 FROM generate_series(0, {SLOTS - 1}) s ON CONFLICT DO NOTHING",
    "CREATE OR REPLACE FUNCTION note_data_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN UPDATE data_changes SET changes = changes + 1 "
    f"WHERE slot = pg_backend_pid() % {SLOTS}; RETURN NULL; END $$",
    *(
        "CREATE OR REPLACE TRIGGER data_change "
        f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} FOR EACH STATEMENT "
        " EXECUTE FUNCTION note_data_change()"
        for table in TABLES
    ),
)
POSTGRES_DROP = (
    *(f"DROP TRIGGER IF EXISTS data_change ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS note_data_change()",
)

# a schema made by ``create_all`` (some tests) gets the same rows and triggers as the migration
for _sql in SQLITE_DDL:
    event.listen(SQLModel.metadata, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in POSTGRES_DDL:
    event.listen(SQLModel.metadata, "after_create", DDL(_sql).execute_if(dialect="postgresql"))


def data_stamp(session: Session) -> str:
    """The stamp of the figures' data as ``session`` sees it, in one cheap query (16 counter
    rows on PostgreSQL; three primary-key maxima and one counter row on SQLite): equal stamps,
    equal data. Read it before the figures it keys (a later figure is then never older)."""
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(text("SELECT sum(changes) FROM data_changes")).one()
    else:
        maxima = ", ".join(f"(SELECT max(id) FROM {t})" for t in BIG_TABLES)
        row = session.execute(
            text(f"SELECT {maxima}, (SELECT changes FROM data_changes WHERE slot = 0)")
        ).one()
    return ".".join("-" if v is None else str(v) for v in row)
