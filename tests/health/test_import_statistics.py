"""After an import on PostgreSQL the planner has statistics for every table the import wrote:
for ``checks`` (the partitioned table and its partitions) the columns of its joins, filters and
groupings (``postgres_writer.ANALYZED``), for the other tables every column.

PostgreSQL tests skip with the reason when 127.0.0.1:5432 is unreachable.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from health.exchange import import_folder, loader
from health.exchange.postgres_writer import ANALYZED
from tests.health.conftest import PG_SKIP_REASON
from tests.health.test_health_import import FOLDER, TODAY, write

pg_only = pytest.mark.skipif(PG_SKIP_REASON is not None, reason=PG_SKIP_REASON or "")


def _analysed(engine: Engine, table: str, inherited: bool) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT attname FROM pg_stats WHERE schemaname = current_schema() "
                    "AND tablename = :t AND inherited = :i"
                ),
                {"t": table, "i": inherited},
            ).scalars()
        )


@pg_only
@pytest.mark.parametrize("limit", [0, 1 << 40], ids=["big", "small"])
def test_import_leaves_statistics(
    pg_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    with pg_engine.begin() as conn:
        names = ", ".join(
            f'"{t}"' for t in ("checks", "enrolments", "children", "facilities", "clinics", "areas")
        )
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    monkeypatch.setattr(loader, "FK_SUSPEND_BYTES", limit)
    import_folder(pg_engine, write(tmp_path / "x", FOLDER), today=TODAY)
    assert set(ANALYZED["checks"]) <= _analysed(pg_engine, "checks", inherited=True)
    with pg_engine.connect() as conn:
        partition = conn.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = CAST('checks' AS regclass) AND c.reltuples > 0 LIMIT 1"
            )
        ).scalar_one()
    assert set(ANALYZED["checks"]) <= _analysed(pg_engine, partition, inherited=False)
    for table in ("children", "enrolments"):
        assert {"id", "child_id" if table == "enrolments" else "code"} <= _analysed(
            pg_engine, table, inherited=False
        )
