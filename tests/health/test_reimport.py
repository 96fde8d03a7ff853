"""Importing an unchanged exchange folder again changes nothing: no row counted, no row
written, the data stamp (SQLite) and the kept tallies where they were; a changed folder merges
only its changes. On a province with enrolments, through the small and the big-file paths."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import Session, SQLModel

from health import tally
from health.db import make_engine
from health.exchange import import_folder, loader
from health.models.changes import data_stamp
from health.periods import Period
from health.schedule import load_schedule
from health.synthetic import Layout, generate, write_folder

TODAY = dt.date(2025, 3, 1)
NOT_COMPARED = {"data_changes"}  # PostgreSQL: its statement triggers count every statement


def province(folder: Path, children: int = 600) -> Path:
    layout = Layout(cities=2, counties_per_city=2, townships_per_county=3,
                    facilities_per_township=2)  # fmt: skip
    write_folder(folder, generate(children, TODAY, seed=3, layout=layout))
    return folder


def dump(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every table's rows, sorted (PostgreSQL's statement counters left out)."""
    skip = NOT_COMPARED if engine.dialect.name == "postgresql" else set()
    out = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in skip:
                rows = conn.execute(text(f'SELECT * FROM "{table.name}"')).all()
                out[table.name] = sorted(tuple(map(str, r)) for r in rows)
    return out


def stamp(engine: Engine) -> str:
    with Session(engine) as s:
        return data_stamp(s)


@pytest.fixture(params=["small", "big"])
def big(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Every file loaded as a small one (the default size limit) or as a big one (limit 0)."""
    if request.param == "big":
        monkeypatch.setattr(loader, "FK_SUSPEND_BYTES", 0)
    return request.param == "big"


def test_unchanged_reimport_changes_nothing(engine: Engine, tmp_path: Path, big: bool) -> None:
    folder = province(tmp_path / "x")
    first = import_folder(engine, folder, today=TODAY)
    assert first.changed["children.csv"] > first.read["children.csv"]  # enrolments too
    tally.sums(engine, "coverage", Period.year(2024), load_schedule().coverage)  # one kept
    before, stamped = dump(engine), stamp(engine)
    assert before["tallies"] and before["enrolments"]
    again = import_folder(engine, folder, today=TODAY)
    assert again.read == first.read
    assert set(again.changed.values()) == {0}
    after = dump(engine)
    if big:  # a big file drops the kept tallies (health.exchange.writer), changed or not
        assert after["tallies"] == after["tally_areas"] == after["tally_changes"] == []
        for name in ("tallies", "tally_areas", "tally_changes", "tally_state"):
            before.pop(name), after.pop(name)
    assert after == before
    if engine.dialect.name == "sqlite":  # no row written: the stamp has not moved
        assert stamp(engine) == stamped


def test_changed_reimport_merges_only_the_changes(
    engine: Engine, tmp_path: Path, big: bool
) -> None:
    folder = province(tmp_path / "x")
    import_folder(engine, folder, today=TODAY)
    children = (folder / "children.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    checks = (folder / "checks.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header = children[0].rstrip("\n").replace('"', "").split(",")
    at = header.index("facility_code")
    moved = enrolled = None
    for i, line in enumerate(children[1:], 1):  # one child to another facility, one out
        cells = line.rstrip("\n").split(",")
        if cells[at] and moved is None:
            others = {c.rstrip("\n").split(",")[at] for c in children[1:]} - {cells[at], ""}
            cells[at], moved = min(others), cells[0]
        elif cells[at] and enrolled is None:
            cells[at], enrolled = "", cells[0]
        else:
            continue
        children[i] = ",".join(cells) + "\n"
    assert moved and enrolled
    weight = checks[0].rstrip("\n").replace('"', "").split(",").index("weight_kg")
    row = next(i for i, c in enumerate(checks[1:], 1) if c.split(",")[weight])
    cells = checks[row].rstrip("\n").split(",")
    cells[weight] = f"{float(cells[weight]) + 0.5:.2f}"
    checks[row] = ",".join(cells) + "\n"
    changed = tmp_path / "y"
    changed.mkdir()
    (changed / "children.csv").write_text("".join(children), encoding="utf-8")
    (changed / "checks.csv").write_text("".join(checks), encoding="utf-8")
    summary = import_folder(engine, changed, today=TODAY)
    # moved: its enrolment dropped and a new one added; out: its enrolment dropped
    assert summary.changed == {"children.csv": 3, "checks.csv": 1}
    with engine.connect() as conn:
        facility = conn.execute(
            text(
                "SELECT f.code FROM enrolments e JOIN children c ON c.id = e.child_id "
                "JOIN facilities f ON f.id = e.facility_id WHERE c.code = :c"
            ),
            {"c": moved},
        ).scalars()
        assert list(facility) == [min(others)]
        out = conn.execute(
            text(
                "SELECT COUNT(*) FROM enrolments e JOIN children c ON c.id = e.child_id "
                "WHERE c.code = :c"
            ),
            {"c": enrolled},
        ).scalar()
        assert out == 0
    assert set(import_folder(engine, changed, today=TODAY).changed.values()) == {0}


def test_sqlite_enrolment_merge_looks_staged_children_up_by_index(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """The enrolment merge finds a staged child through an index, not a scan of the staging
    table per enrolment (quadratic: minutes for a re-import of 100,000 children). SQLite's
    query plans; on PostgreSQL the import's ANALYZE of ``enrolments`` steers the plan."""
    path = tmp_path / "plan.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    folder = province(tmp_path / "x", children=100)
    import_folder(engine, folder, today=TODAY)
    plans: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _plan(conn, cursor, statement, parameters, context, many) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("DELETE FROM enrolments") and "stage_children" in statement:
            rows = cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.extend(str(r[3]) for r in rows)

    import_folder(engine, folder, today=TODAY)
    event.remove(engine, "before_cursor_execute", _plan)
    assert plans
    assert "SEARCH s USING INDEX stage_children_code (code=?)" in plans, plans
    assert not [p for p in plans if p.startswith("SCAN s")], plans
    engine.dispose()
