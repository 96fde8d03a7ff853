"""`import_folder`: the exchange format of coverage.md, all-or-nothing, idempotent, on both
databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel

from health.coverage import coverage
from health.exchange import ExchangeError, import_folder
from health.periods import Period

TODAY = dt.date(2025, 6, 30)

FOLDER = {
    "areas.csv": """code,name,level,parent_code
P,Province,province,
C,City,city,P
K1,County one,county,C
K2,County two,county,C
T1,Town one,township,K1
T2,Town two,township,K2
""",
    "clinics.csv": """code,name,area_code
CL1,Clinic one,T1
CL2,"Clinic two, east",T2
""",
    "facilities.csv": """code,name,area_code,clinic_code
F1,Nursery,T2,CL1
""",
    "children.csv": """child_id,sex,birth_date,area_code,resident,facility_code,gestational_weeks
c01,F,2024-01-01,T1,1,,39
c02,M,2023-12-31,T1,1,,
c03,F,2024-12-31,T1,1,,34.5
c05,M,2024-03-01,T1,0,,
c11,F,2022-02-10,T2,1,F1,
c12,M,2024-05-05,T2,1,,
""",
    "checks.csv": """child_id,date,kind,clinic_code,weight_kg,length_cm,measure,head_cm,hb_g_l
c01,2024-01-29,newborn_visit,CL1,4.1,53.0,L,37.0,
c01,2024-04-01,routine,CL1,6.2,60.5,L,40.1,
c01,2024-07-01,routine,CL1,,,,,
c02,2024-03-31,routine,CL1,,,,,
c02,2024-06-30,routine,,,,,,
c02,2024-08-31,routine,CL1,,,,,
c02,2024-12-31,routine,CL1,9.8,76.0,L,46.0,112
c03,2025-01-29,newborn_visit,CL1,,,,,
c05,2024-06-01,routine,CL1,,,,,
c11,2024-02-12,routine,CL1,,,,,
c11,2024-08-09,routine,CL1,12.0,88.0,H,,
""",
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (folder / name).write_text(body, encoding="utf-8")
    return folder


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every table's rows, sorted: the database's whole content."""
    out = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(text(f'SELECT * FROM "{table.name}"')).all()
            out[table.name] = sorted(tuple(map(str, r)) for r in rows)
    return out


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write(tmp_path / "x", FOLDER)


def test_import_then_coverage(engine: Engine, folder: Path) -> None:
    summary = import_folder(engine, folder, today=TODAY)
    assert summary.read == {
        "areas.csv": 6,
        "clinics.csv": 2,
        "facilities.csv": 1,
        "children.csv": 6,
        "checks.csv": 11,
    }
    assert summary.changed["checks.csv"] == 11
    assert summary.changed["children.csv"] == 6 + 1  # six children and one enrolment
    with Session(engine) as session:
        rows = {
            (r.unit_code, r.indicator): (r.numerator, r.denominator)
            for r in coverage(session, Period.year(2024), by="clinic")
        }
        c02 = session.execute(
            text("SELECT weight_kg, hb_g_l, measure FROM checks WHERE check_date = '2024-12-31'")
        ).one()
        weeks = session.execute(text("SELECT gestational_weeks FROM children WHERE code='c03'"))
    assert rows[("CL1", "infant_health_management")] == (2, 3)  # c01 no, c02 yes, c11 yes
    assert rows[("CL1", "newborn_visit")] == (1, 2)  # c01 day 28 yes, c03 day 29 no
    assert rows[("CL2", "child_health_management_0_6")] == (0, 1)
    assert tuple(c02) == (9.8, 112.0, "L")
    assert weeks.scalar() == 34.5


def test_second_import_changes_nothing(engine: Engine, folder: Path) -> None:
    import_folder(engine, folder, today=TODAY)
    before = dump(engine)
    again = import_folder(engine, folder, today=TODAY)
    assert set(again.changed.values()) == {0}
    assert dump(engine) == before


def test_reimport_updates_changed_values(engine: Engine, folder: Path, tmp_path: Path) -> None:
    import_folder(engine, folder, today=TODAY)
    changed = write(
        tmp_path / "y",
        {
            "children.csv": FOLDER["children.csv"].replace(
                "c11,F,2022-02-10,T2,1,F1,", "c11,F,2022-02-10,T2,1,,"
            ),
            "checks.csv": FOLDER["checks.csv"].replace(
                "c11,2024-08-09,routine,CL1,12.0", "c11,2024-08-09,routine,CL1,12.5"
            ),
        },
    )
    summary = import_folder(engine, changed, today=TODAY)
    assert summary.changed == {"children.csv": 1, "checks.csv": 1}  # enrolment dropped, one check
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM enrolments")).scalar() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM checks")).scalar() == 11
        assert conn.execute(text("SELECT MAX(weight_kg) FROM checks")).scalar() == 12.5


BAD = [
    (
        "children.csv",
        "c02,M,2023-12-31,T1",
        "c02,M,2023-13-31,T1",
        "children.csv, line 3, column 'birth_date': '2023-13-31' is not a date (YYYY-MM-DD)",
    ),
    (
        "children.csv",
        "c02,M,2023-12-31,T1",
        "c02,M,31/12/2023,T1",
        "children.csv, line 3, column 'birth_date': '31/12/2023' is not a date (YYYY-MM-DD)",
    ),
    (
        "children.csv",
        "c12,M,2024-05-05,T2",
        "c12,M,2024-05-05,T9",
        "children.csv, line 7, column 'area_code': unknown area 'T9'",
    ),
    (
        "children.csv",
        "c12,M,2024-05-05",
        "c01,M,2024-05-05",
        "children.csv, line 7, column 'child_id': duplicate child_id 'c01' (first on line 2)",
    ),
    (
        "children.csv",
        "child_id,sex,birth_date,area_code,resident,",
        "child_id,sex,birth_date,area_code,",
        "children.csv, line 1, column 'resident': required column is missing",
    ),
    (
        "children.csv",
        "c05,M,2024-03-01,T1,0",
        "c05,X,2024-03-01,T1,0",
        "children.csv, line 5, column 'sex': 'X' is not one of M, F",
    ),
    (
        "children.csv",
        "c03,F,2024-12-31,T1,1,,34.5",
        "c03,F,2024-12-31,T1,1,,3x",
        "children.csv, line 4, column 'gestational_weeks': '3x' is not a number",
    ),
    (
        "children.csv",
        "c03,F,2024-12-31,T1,1,,34.5",
        "c03,F,2024-12-31,T1,1,,34.5,9",
        "children.csv, line 4: expected 7 fields, found 8",
    ),
    (
        "children.csv",
        "c12,M,2024-05-05",
        "c12,M,2026-05-05",
        "children.csv, line 7, column 'birth_date': 2026-05-05 is in the future",
    ),
    (
        "checks.csv",
        "c11,2024-08-09,routine",
        "c99,2024-08-09,routine",
        "checks.csv, line 12, column 'child_id': unknown child_id 'c99'",
    ),
    (
        "checks.csv",
        "c01,2024-01-29,newborn_visit",
        "c01,2023-12-29,newborn_visit",
        "checks.csv, line 2, column 'date': check dated 2023-12-29 before the child's birth date",
    ),
    (
        "checks.csv",
        "c01,2024-07-01,routine,CL1",
        "c01,2024-07-01,routine,CL7",
        "checks.csv, line 4, column 'clinic_code': unknown clinic 'CL7'",
    ),
    (
        "checks.csv",
        "c01,2024-07-01,routine",
        "c01,2024-07-01,visit",
        "checks.csv, line 4, column 'kind': 'visit' is not one of newborn_visit, full_month,"
        " routine",
    ),
    (
        "checks.csv",
        "c01,2024-04-01,routine,CL1,6.2",
        "c01,2024-04-01,routine,CL1,620",
        "checks.csv, line 3, column 'weight_kg': 620 is outside 0.2–150",
    ),
    (
        "areas.csv",
        "T2,Town two,township,K2",
        "T2,Town two,township,P",
        "areas.csv, line 7, column 'parent_code': a township cannot sit directly under a"
        " province ('P')",
    ),
    (
        "clinics.csv",
        "CL1,Clinic one,T1",
        "CL1,Clinic one,K1",
        "clinics.csv, line 2, column 'area_code': area 'K1' is a county, not a township",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), BAD, ids=[b[3][:40] for b in BAD])
def test_bad_row_names_file_line_column_and_imports_nothing(
    engine: Engine, tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    # a first good load, then a folder with one bad row plus new rows elsewhere
    import_folder(engine, write(tmp_path / "good", FOLDER), today=TODAY)
    before = dump(engine)
    files = dict(FOLDER)
    assert old in files[file]
    files[file] = files[file].replace(old, new, 1)
    files["children.csv"] += "c20,F,2024-02-02,T1,1,,\n"
    files["checks.csv"] += "c02,2025-01-05,routine,CL1,,,,,\n"
    with pytest.raises(ExchangeError) as caught:
        import_folder(engine, write(tmp_path / "bad", files), today=TODAY)
    assert str(caught.value) == message
    assert dump(engine) == before


def test_empty_and_missing_folder(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ExchangeError, match="no exchange file found"):
        import_folder(engine, tmp_path, today=TODAY)
    with pytest.raises(ExchangeError, match="not a folder"):
        import_folder(engine, tmp_path / "nope", today=TODAY)


def test_byte_order_mark_and_duplicate_check_rows(engine: Engine, tmp_path: Path) -> None:
    files = dict(FOLDER)
    files["areas.csv"] = "\ufeff" + files["areas.csv"]
    files["checks.csv"] += "c01,2024-07-01,routine,CL1,7.5,,,,\n"  # same child, date, kind
    import_folder(engine, write(tmp_path / "bom", files), today=TODAY)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT weight_kg FROM checks WHERE check_date = '2024-07-01'")
        ).all()
    assert [r[0] for r in rows] == [7.5]  # the later row wins


def test_big_file_path_restores_indexes_and_foreign_keys(
    engine: Engine, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big files load without secondary indexes (and, on PostgreSQL, foreign keys): they must
    come back, and a failed load must leave them in place."""
    from health.exchange import loader

    monkeypatch.setattr(loader, "FK_SUSPEND_BYTES", 0)
    count = "SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f'"

    def foreign_keys() -> int | None:
        if engine.dialect.name != "postgresql":
            return None
        with engine.connect() as conn:
            return conn.execute(text(count + " AND connamespace = (SELECT oid FROM pg_namespace"
                                     " WHERE nspname = current_schema())")).scalar()  # fmt: skip

    def indexes() -> list[str]:
        return sorted(ix["name"] for ix in inspect(engine).get_indexes("checks"))

    before, before_ix = foreign_keys(), indexes()
    assert "ix_checks_date_child_kind" in before_ix
    import_folder(engine, folder, today=TODAY)
    assert (foreign_keys(), indexes()) == (before, before_ix)
    bad = dict(FOLDER)
    bad["checks.csv"] = bad["checks.csv"].replace("c11,2024-08-09", "c99,2024-08-09")
    with pytest.raises(ExchangeError, match="unknown child_id 'c99'"):
        import_folder(engine, write(folder.parent / "bad", bad), today=TODAY)
    assert (foreign_keys(), indexes()) == (before, before_ix)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM checks")).scalar() == 11


def test_checks_split_over_batches(
    engine: Engine, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tiny batches: a child's checks in several batches, new and old children mixed."""
    from health.exchange import reader

    monkeypatch.setattr(reader, "BLOCK_SIZE", 120)
    import_folder(engine, folder, today=TODAY)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM checks")).scalar() == 11
    again = import_folder(engine, folder, today=TODAY)
    assert again.changed["checks.csv"] == 0


def test_a_cells_fault_in_a_later_batch_comes_before_a_rows_fault(
    engine: Engine, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several batches: an unknown child (a row's fault) early and a bad weight (a cell's
    fault) late in checks.csv: the cell's is told, as when the whole file was checked first."""
    from health.exchange import reader

    monkeypatch.setattr(reader, "BLOCK_SIZE", 120)
    files = dict(FOLDER)
    lines = files["checks.csv"].splitlines(keepends=True)
    lines[1] = lines[1].replace("c01,", "c99,", 1)  # line 2: unknown child
    lines[-1] = lines[-1].replace("12.0", "heavy")  # line 12: not a number
    files["checks.csv"] = "".join(lines)
    with pytest.raises(ExchangeError) as caught:
        import_folder(engine, write(folder.parent / "two", files), today=TODAY)
    assert (caught.value.line, caught.value.column) == (12, "weight_kg")
    lines[-1] = lines[-1].replace("heavy", "12.0")  # only the row's fault is left
    files["checks.csv"] = "".join(lines)
    with pytest.raises(ExchangeError, match="unknown child_id 'c99'") as caught:
        import_folder(engine, write(folder.parent / "one", files), today=TODAY)
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ("c02,2024-06-30", "c02,2024-02-30", 6, "'2024-02-30' is not a date"),  # no such day
        ("c02,2024-06-30", "c\x0102,2024-06-30", 6, "contains a control character"),
        ("c02,2024-06-30,routine,,", "c02,2024-06-30,routine,", 6, "expected 9 fields"),
    ],
)
def test_faults_the_repeat_scan_cannot_read_are_located(
    engine: Engine,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    old: str,
    new: str,
    line: int,
    reason: str,
) -> None:
    """Several batches: the repeat scan reads the key columns unchecked; what it cannot read
    (a date that does not exist, a control character, a short record) is still located, and
    nothing is stored."""
    from health.exchange import reader

    monkeypatch.setattr(reader, "BLOCK_SIZE", 120)
    import_folder(engine, folder, today=TODAY)
    before = dump(engine)
    files = dict(FOLDER)
    assert old in files["checks.csv"]
    files["checks.csv"] = files["checks.csv"].replace(old, new, 1)
    with pytest.raises(ExchangeError, match=reason) as caught:
        import_folder(engine, write(folder.parent / "bad", files), today=TODAY)
    assert (caught.value.file, caught.value.line) == ("checks.csv", line)
    assert dump(engine) == before
