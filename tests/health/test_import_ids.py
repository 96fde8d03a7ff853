"""A big checks load on PostgreSQL sends the ids of its copied checks itself, taken from the
sequence of ``checks.id`` (no ``nextval`` per row): the same ids, in the same order, and the
sequence left where the small-file path (``nextval`` per row) leaves it, over a first load and a
load mixing new children (copied) with known ones (merged), in several batches, from a
sequence that does not start at 1.

PostgreSQL tests skip with the reason when 127.0.0.1:5432 is unreachable.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from health.exchange import import_folder, loader, reader
from health.migrate import upgrade
from tests.health.conftest import PG_SKIP_REASON, private_schema
from tests.health.test_health_import import FOLDER, TODAY, write

pg_only = pytest.mark.skipif(PG_SKIP_REASON is not None, reason=PG_SKIP_REASON or "")

# a second folder: a new child (its checks copied) and known children with a changed and a new
# check (merged through the staging table)
LATER = {
    "children.csv": FOLDER["children.csv"] + "c20,F,2024-09-09,T2,1,F1,38\n",
    "checks.csv": FOLDER["checks.csv"].replace("4.1,53.0", "4.2,53.0")
    + "c20,2024-10-10,newborn_visit,CL2,3.9,51.0,L,35.0,\n"
    + "c20,2024-11-11,routine,CL2,,,,,\n"
    + "c05,2024-09-01,routine,CL1,8.0,70.0,L,,\n",
}


def _load(engine: Engine, folders: list[Path]) -> tuple[list[tuple], tuple, list[dict]]:
    """Import ``folders`` one after the other into a fresh schema whose ``checks.id``
    sequence has given 40 values; every check with its id, the sequence's state after, and
    the changed counts of each import."""
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("SELECT setval(pg_get_serial_sequence('checks', 'id'), 40)"))
    changed = [import_folder(engine, f, today=TODAY).changed for f in folders]
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT k.id, c.code, k.check_date, k.kind, k.weight_kg, k.clinic_id "
                "FROM checks k JOIN children c ON c.id = k.child_id ORDER BY k.id"
            )
        ).all()
        state = conn.execute(text("SELECT last_value, is_called FROM checks_id_seq")).one()
    return [tuple(r) for r in rows], tuple(state), changed


@pg_only
def test_big_load_ids_are_the_sequences(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folders = [write(tmp_path / "first", FOLDER), write(tmp_path / "later", LATER)]
    monkeypatch.setattr(reader, "BLOCK_SIZE", 150)  # several batches, the COPY reopened
    results = {}
    for path, limit in (("small", 1 << 40), ("big", 0)):
        monkeypatch.setattr(loader, "FK_SUSPEND_BYTES", limit)
        with private_schema(f"ch_ids_{path}") as engine:
            results[path] = _load(engine, folders)
    small, big = results["small"], results["big"]
    assert big == small
    rows, state, changed = big
    assert changed[0]["checks.csv"] == 11 and changed[1]["checks.csv"] == 4
    assert [r[0] for r in rows[:11]] == list(range(41, 52))  # the first load, in file order
    assert [r[1] for r in rows[:3]] == ["c01", "c01", "c01"]
    assert state[1] is True and state[0] >= rows[-1][0]
