"""Bad-input corpus for ``childhealth import DIR`` (exchange format, coverage.md §4).

Each generated folder carries new areas and clinics besides children and checks, so a load that
failed half-way would leave traces. Properties: a valid folder loads (exit 0) and loading it
again changes nothing; a folder with one defect gives exactly one
``error: FILE, line N[, column 'C']: reason`` line naming the defect's file, line and column, a
non-zero exit, no traceback, and leaves every table exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, text

from health import db
from health.db import make_engine
from health.exchange import reader
from tests.reliability.cli_outcomes import invoke, line_breaks, one_error, quote, run_script

pytestmark = pytest.mark.slow  # hypothesis corpora of bad input files: seconds per test
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
AREAS = "code,name,level,parent_code\nP,Province,province,\nC,City,city,P\nK,County,county,C\n"
BASE = {
    "areas.csv": AREAS + "T1,Town one,township,K\nT2,Town two,township,K\n",
    "clinics.csv": 'code,name,area_code\nCL1,"Clinic one, north",T1\nCL2,Clinic two,T2\n',
    "facilities.csv": "code,name,area_code,clinic_code\nF1,Nursery,T1,CL1\n",
    "children.csv": "child_id,sex,birth_date,area_code,resident,facility_code,gestational_weeks\n"
    "b1,F,2021-03-04,T1,1,F1,38\nb2,M,2022-07-08,T2,0,,\n",
    "checks.csv": "child_id,date,kind,clinic_code,weight_kg,length_cm,measure,head_cm,hb_g_l\n"
    "b1,2021-04-02,full_month,CL1,4.2,54.5,L,37.5,\nb2,2022-09-01,routine,,,,,,\n",
}
# every generated folder also adds a township and a clinic: a failed load must not keep them
NEW_PLACES = {
    "areas.csv": BASE["areas.csv"] + "T3,Town three,township,K\n",
    "clinics.csv": BASE["clinics.csv"] + "CL3,Clinic three,T3\n",
    "facilities.csv": BASE["facilities.csv"],
}
CHILD_COLUMNS = (
    "child_id", "sex", "birth_date", "area_code", "resident", "facility_code", "gestational_weeks",
)  # fmt: skip
CHECK_COLUMNS = (
    "child_id", "date", "kind", "clinic_code", "weight_kg", "length_cm", "measure", "head_cm",
    "hb_g_l",
)  # fmt: skip
# junk per column: (value, words the reason must hold)
JUNK = {
    "children.csv": {
        "child_id": [("", "missing"), ("x" * 65, "longer than 64"), ("a\x00b", "control")],
        "sex": [("X", "not one of M, F"), ("m", "not one of"), ("男", "not one of")],
        "birth_date": [
            ("2024-02-30", "not a date"),
            ("2024/01/01", "not a date"),
            ("01-02-2024", "not a date"),
            ("", "missing"),
            ("2999-01-01", "in the future"),
        ],
        "area_code": [("NOPE", "unknown area 'NOPE'"), ("", "missing")],
        "resident": [("yes", "not one of 1, 0"), ("2", "not one of")],
        "facility_code": [("F9", "unknown facility 'F9'")],
        "gestational_weeks": [
            ("abc", "not a number"),
            ("50", "outside 22–45"),
            ("-1", "not a number"),
            ("39,5", "not a number"),
        ],
    },
    "checks.csv": {
        "child_id": [("zz", "unknown child_id 'zz'"), ("", "missing")],
        "date": [("2019-01-01", "before the child's birth date"), ("2024-13-01", "not a date")],
        "kind": [("visit", "not one of newborn_visit")],
        "clinic_code": [("CL9", "unknown clinic 'CL9'")],
        "weight_kg": [("0.1", "outside 0.2–150"), ("abc", "not a number"), ("1e2", "number")],
        "measure": [("X", "not one of L, H")],
        "head_cm": [("99", "outside 15–70")],
        "hb_g_l": [("1.2.3", "not a number")],
    },
}

# ---- the database ------------------------------------------------------------------------------


def content(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every table's rows as sorted text tuples: the whole database."""
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        return {
            name: sorted(tuple(map(str, r)) for r in conn.execute(text(f'SELECT * FROM "{name}"')))
            for name in names
        }


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An SQLite database loaded with ``BASE``; ``childhealth`` uses it for this module."""
    folder = tmp_path_factory.mktemp("import")
    with pytest.MonkeyPatch.context() as patch:
        url = f"sqlite:///{folder / 'live.db'}"
        patch.setenv(db.ENV_VAR, url)
        db.get_engine.cache_clear()
        loaded = invoke("import", str(write(folder / "base", BASE)))
        assert loaded.code == 0, loaded.stderr
        engine = make_engine(url)
        yield engine
        engine.dispose()
        db.get_engine().dispose()
        db.get_engine.cache_clear()


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, body in files.items():
        (folder / name).write_bytes(body if isinstance(body, bytes) else body.encode())
    return folder


# ---- generating folders ------------------------------------------------------------------------


@dataclass
class Table:
    """One generated exchange file: header, records (one line each) and line ends."""

    columns: list[str]
    records: list[list[str]]
    ends: list[str] = field(default_factory=list)
    header_end: str = "\n"
    bom: bool = False

    def encode(self, raw_cell: tuple[int, int, bytes] | None = None) -> bytes:
        """The file's bytes; ``raw_cell`` = (record, column index, bytes) puts raw bytes in."""
        out = [b"\xef\xbb\xbf" if self.bom else b"", ",".join(self.columns).encode()]
        out.append(self.header_end.encode())
        for index, (record, end) in enumerate(zip(self.records, self.ends, strict=True)):
            cells = [quote(value).encode() for value in record]
            if raw_cell is not None and raw_cell[0] == index:
                cells[raw_cell[1]] = raw_cell[2]
            out += [b",".join(cells), end.encode()]
        return b"".join(out)


def decimal_text(low: str, high: str) -> st.SearchStrategy[str]:
    return st.decimals(min_value=low, max_value=high, places=1).map(str)


@st.composite
def folders(draw: st.DrawFn) -> dict[str, Table]:
    """A valid folder: children k0…kn (some re-sent ones from earlier examples) and their checks."""
    n = draw(st.integers(1, 5))
    ids = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n, unique=True))
    children, births = [], {}
    for i in ids:
        born = draw(st.dates(dt.date(2020, 1, 1), dt.date(2024, 12, 31)))
        births[f"k{i}"] = born
        children.append([
            f"k{i}",
            draw(st.sampled_from(["M", "F"])),
            born.isoformat(),
            draw(st.sampled_from(["T1", "T2", "T3", " T3 "])),
            draw(st.sampled_from(["1", "0"])),
            draw(st.sampled_from(["", "F1"])),
            draw(st.one_of(st.just(""), decimal_text("22", "45"))),
        ])  # fmt: skip
    checks = []
    for _ in range(draw(st.integers(1, 6))):
        child = draw(st.sampled_from(sorted(births)))
        day = births[child] + dt.timedelta(days=draw(st.integers(0, 400)))
        checks.append([
            child,
            day.isoformat(),
            draw(st.sampled_from(["newborn_visit", "full_month", "routine"])),
            draw(st.sampled_from(["", "CL1", "CL3"])),
            draw(st.one_of(st.just(""), decimal_text("0.2", "150"))),
            draw(st.one_of(st.just(""), decimal_text("20", "230"))),
            draw(st.sampled_from(["", "L", "H"])),
            draw(st.one_of(st.just(""), decimal_text("15", "70"))),
            draw(st.one_of(st.just(""), st.integers(20, 250).map(str))),
        ])  # fmt: skip
    tables = {
        "children.csv": Table(list(CHILD_COLUMNS), children),
        "checks.csv": Table(list(CHECK_COLUMNS), checks),
    }
    for table in tables.values():
        if draw(st.booleans()):  # an extra column the loader does not read
            table.columns.append("remark")
            for record in table.records:
                record.append(draw(st.text(st.sampled_from('ab ,"中é'), max_size=4)))
        table.ends = draw(
            st.lists(
                st.sampled_from(["\n", "\r\n", "\r"]),
                min_size=len(table.records),
                max_size=len(table.records),
            )
        )
        table.header_end = draw(st.sampled_from(["\n", "\r\n"]))
        table.bom = draw(st.booleans())
    return tables


# the reader's batch size in bytes: the small one spreads a file over many batches
blocks = st.sampled_from([reader.BLOCK_SIZE, 160])


def load(tmp_path: Path, tables: dict[str, Table], block: int, **raw: bytes):
    """Write the folder (``raw`` replaces a generated file's bytes) and import it, reading
    ``block`` bytes per batch."""
    files: dict[str, str | bytes] = dict(NEW_PLACES)
    files.update({name: table.encode() for name, table in tables.items()})
    files.update({name.replace("_", "."): body for name, body in raw.items()})
    for name, body in files.items():
        note(f"{name}: {body!r}")
    folder = write(tmp_path / "folder", files)
    note(f"batch size {block}")
    with mock.patch.object(reader, "BLOCK_SIZE", block):
        return invoke("import", str(folder))


def assert_refused(database: Engine, before, outcome, file: str, line, column=None, reason=""):
    """One located error, and the database exactly as before."""
    reported = one_error(outcome)
    assert reported.file == file
    if isinstance(line, tuple):
        assert line[0] <= reported.line <= line[1], (reported, line)
    else:
        assert reported.line == line, reported
    if column is not None:
        assert reported.column == column, reported
    assert reason in reported.reason, reported
    assert content(database) == before


def pick_record(data: st.DataObject, tables: dict[str, Table]) -> tuple[str, Table, int]:
    """One of the folder's record files (children or checks) and the index of one record."""
    name = data.draw(st.sampled_from(["children.csv", "checks.csv"]))
    table = tables[name]
    return name, table, data.draw(st.integers(0, len(table.records) - 1))


# ---- properties --------------------------------------------------------------------------------


@SETTINGS
@given(tables=folders(), block=blocks)
def test_valid_folder_loads_and_reloads_unchanged(
    database: Engine, tmp_path: Path, tables: dict[str, Table], block: int
) -> None:
    outcome = load(tmp_path, tables, block)
    assert outcome.crashed is None and outcome.code == 0, outcome.stderr
    children = {r[0] for r in tables["children.csv"].records}
    with database.connect() as conn:
        stored = set(conn.execute(text("SELECT code FROM children")).scalars())
    assert children <= stored
    after = content(database)
    again = load(tmp_path, tables, block)
    assert again.code == 0, again.stderr
    assert all(line.endswith(" 0 added or changed") for line in again.stdout.splitlines())
    assert content(database) == after


def test_repeated_check_across_batches_reloads_unchanged(database: Engine, tmp_path: Path) -> None:
    checks = (
        "child_id,date,kind,clinic_code,weight_kg,length_cm,measure,head_cm,hb_g_l,remark\n"
        "b1,2021-05-01,full_month,,,,,,,a\n"
        "b1,2021-05-01,full_month,CL1,5.0,58.0,L,39.0,112,a\n"  # same check, next batch: it wins
    )
    folder = write(tmp_path / "f", {"checks.csv": checks})
    with mock.patch.object(reader, "BLOCK_SIZE", 160):  # the rows fall in two batches
        assert invoke("import", str(folder)).code == 0
        again = invoke("import", str(folder))
    assert again.stdout == "checks.csv: 2 rows read, 0 added or changed\n"


@SETTINGS
@given(tables=folders(), data=st.data(), block=blocks)
def test_junk_value_is_located_and_nothing_is_kept(
    database: Engine, tmp_path: Path, tables: dict[str, Table], data: st.DataObject, block: int
) -> None:
    name, table, row = pick_record(data, tables)
    column = data.draw(st.sampled_from(sorted(JUNK[name])))
    value, reason = data.draw(st.sampled_from(JUNK[name][column]))
    table.records[row][table.columns.index(column)] = value
    before = content(database)
    outcome = load(tmp_path, tables, block)
    assert_refused(database, before, outcome, name, row + 2, column, reason)


@SETTINGS
@given(tables=folders(), data=st.data(), block=blocks)
def test_broken_record_is_located_and_nothing_is_kept(
    database: Engine, tmp_path: Path, tables: dict[str, Table], data: st.DataObject, block: int
) -> None:
    """A record with a field too many or too few, foreign-encoded bytes or a NUL byte."""
    name, table, row = pick_record(data, tables)
    record = table.records[row]
    at = data.draw(st.integers(0, len(record) - 1))
    kind = data.draw(st.sampled_from(["fewer", "more", "latin-1", "gbk", "nul"]))
    raw = {}
    column, reason = None, ""
    if kind == "fewer":
        record.pop(at)
        reason = f"expected {len(table.columns)} fields, found {len(record)}"
    elif kind == "more":
        record.insert(at, "9")
        reason = f"expected {len(table.columns)} fields, found {len(record)}"
    elif kind == "nul":
        record[at] = record[at][:1] + "\x00" + record[at][1:]
        column = table.columns[at]
    else:
        foreign = {"latin-1": "é", "gbk": "中文"}[kind].encode(kind)  # no ASCII bytes in them
        raw[name.replace(".", "_")] = table.encode((row, at, foreign))
        reason = "not valid UTF-8"
    before = content(database)
    outcome = load(tmp_path, tables, block, **raw)
    if kind == "nul" and table.columns[at] == "remark":
        # a column the loader does not read is not checked for control characters: it loads
        assert outcome.code == 0, outcome.stderr
        return
    assert_refused(database, before, outcome, name, row + 2, column, reason)


@SETTINGS
@given(tables=folders(), data=st.data(), block=blocks)
def test_duplicate_child_id_is_located(
    database: Engine, tmp_path: Path, tables: dict[str, Table], data: st.DataObject, block: int
) -> None:
    records = tables["children.csv"].records
    copy = list(data.draw(st.sampled_from(records)))
    copy[1] = "F" if copy[1] == "M" else "M"
    first = records.index(copy_of := next(r for r in records if r[0] == copy[0]))
    assert copy_of[0] == copy[0]
    at = data.draw(st.integers(first + 1, len(records)))
    records.insert(at, copy)
    tables["children.csv"].ends.insert(at, "\n")
    before = content(database)
    outcome = load(tmp_path, tables, block)
    assert_refused(
        database,
        before,
        outcome,
        "children.csv",
        at + 2,
        "child_id",
        f"duplicate child_id '{copy[0]}' (first on line {first + 2})",
    )


@SETTINGS
@given(tables=folders(), data=st.data(), block=blocks)
def test_file_cut_short_is_refused_or_whole(
    database: Engine, tmp_path: Path, tables: dict[str, Table], data: st.DataObject, block: int
) -> None:
    """A file cut inside its last record (mid-line, possibly mid-character): refused on that
    line with the database untouched, or (when the cut left whole fields) loaded."""
    name = data.draw(st.sampled_from(["children.csv", "checks.csv"]))
    table = tables[name]
    if name == "children.csv":  # the checks would name a child the cut changed
        del tables["checks.csv"]
    table.records[-1][table.columns.index("child_id")] += "中"  # a multi-byte character to cut
    table.ends[-1] = ""
    full = table.encode()
    last = b",".join(quote(v).encode() for v in table.records[-1])
    cut = data.draw(st.integers(len(full) - len(last) + 1, len(full) - 1))
    before = content(database)
    outcome = load(tmp_path, tables, block, **{name.replace(".", "_"): full[:cut]})
    if outcome.code == 0:
        assert outcome.crashed is None
        return
    line = len(table.records) + 1
    assert_refused(database, before, outcome, name, (line, line + line_breaks(last)))


@pytest.mark.parametrize(
    ("body", "line", "column", "reason"),
    [
        (b"", 1, None, "the file is empty"),
        (b"\r\n\r\n", 1, None, "the file is empty"),
        ("child_id,sex\nk1,M\n".encode("utf-16"), 1, None, "not valid UTF-8"),
        (b"child_id,sex,birth_date,area_code,resident\n", 1, "facility_code", "column is missing"),
        (
            b"child_id,sex,birth_date,area_code,resident,facility_code,gestational_weeks,sex\n",
            1,
            "sex",
            "appears twice",
        ),
        (
            b"child_id,sex,birth_date,area_code,resident,facility_code,gestational_weeks\n"
            b"k1,F,2022-01-01,T1,1,,\n\nk2,M,2022-01-01,T1,1,,\n",
            3,
            "child_id",
            "value is missing",
        ),
        (
            b"child_id,sex,birth_date,area_code,resident,facility_code,gestational_weeks\n"
            b'"k\n1",F,2022-01-01,T1,1,,\n',
            2,
            "child_id",
            "control character",
        ),
        (
            b"child_id,sex,birth_date,area_code,resident,facility_code,gestational_weeks\n"
            b'k1,F,2022-01-01,T1,1,,\n"k2,M,2022-01-01,T1,1,,\nk3,F,2022-01-01,T1,1,,\n',
            3,
            None,
            "fields",
        ),
    ],
    ids=[
        "empty",
        "blank-lines",
        "utf-16",
        "missing-column",
        "twice",
        "blank-row",
        "newline",
        "quote",
    ],
)
def test_fixed_bad_children_files(
    database: Engine, tmp_path: Path, body: bytes, line: int, column: str | None, reason: str
) -> None:
    before = content(database)
    folder = write(tmp_path / "f", {**NEW_PLACES, "children.csv": body})
    outcome = invoke("import", str(folder))
    assert_refused(database, before, outcome, "children.csv", line, column, reason)


def test_header_only_and_trimmed_header_names(database: Engine, tmp_path: Path) -> None:
    """A header with spaces around the names and no rows is a valid, empty file."""
    header = " child_id , sex,birth_date,area_code,resident,facility_code,gestational_weeks\r\n"
    folder = write(tmp_path / "f", {"children.csv": header})
    outcome = invoke("import", str(folder))
    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout == "children.csv: 0 rows read, 0 added or changed\n"


def test_console_script_refuses_and_keeps_the_database(database: Engine, tmp_path: Path) -> None:
    """The installed script in a child process: a GBK file is refused on its line."""
    before = content(database)
    body = BASE["children.csv"] + "k9,M,2023-01-01,T1,1,,\nk中,F,2023-01-01,T1,1,,\n"
    folder = write(tmp_path / "f", {**NEW_PLACES, "children.csv": body.encode("gbk")})
    env = {**os.environ, db.ENV_VAR: str(database.url)}
    done = run_script("import", str(folder), env=env)
    assert done.code == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: children.csv, line 5: not valid UTF-8 (")
    assert content(database) == before


@pytest.mark.parametrize("block", [reader.BLOCK_SIZE, 4096])
def test_big_file_fault_deep_in_the_file(database: Engine, tmp_path: Path, block: int) -> None:
    """4,000 children over many batches: a bad date on line 3,210, then (that fixed) a
    multi-byte character broken in the last line; each is named, nothing is kept."""
    rows = [f"m{i},{'MF'[i % 2]},2023-01-{1 + i % 28:02d},T3,1,," for i in range(4000)]
    rows[3208] = rows[3208].replace("2023-01-", "2023-13-")
    rows[-1] = rows[-1].replace("m3999", "m3999中")
    body = (BASE["children.csv"].splitlines()[0] + "\n" + "\n".join(rows)).encode()
    before = content(database)
    with mock.patch.object(reader, "BLOCK_SIZE", block):
        folder = write(tmp_path / "f", {**NEW_PLACES, "children.csv": body})
        outcome = invoke("import", str(folder))
        assert_refused(database, before, outcome, "children.csv", 3210, "birth_date", "not a date")
        cut = body.replace(b"2023-13-", b"2023-01-")
        cut = cut[: cut.index("中".encode()) + 1] + b",F,2023-01-01,T3,1,,"
        folder = write(tmp_path / "f", {**NEW_PLACES, "children.csv": cut})
        outcome = invoke("import", str(folder))
        assert_refused(database, before, outcome, "children.csv", 4001, None, "not valid UTF-8")


def _postgres_reason() -> str | None:
    """None when PostgreSQL answers on 127.0.0.1:5432 (database ``test``), else why not."""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            pass
    except OSError as exc:
        return f"PostgreSQL not reachable on 127.0.0.1:5432 ({exc.strerror or exc})"
    return None


@pytest.mark.postgres
def test_postgres_refusals_keep_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL (COPY into staging tables): a fault in children.csv, then one in checks.csv
    after the children were staged, leave a private schema of database ``test`` as it was."""
    if reason := _postgres_reason():
        pytest.skip(reason)
    schema = f"ch_corpus_{uuid.uuid4().hex[:10]}"
    admin = make_engine("postgresql://postgres@127.0.0.1:5432/test")
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = f"postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    monkeypatch.setenv(db.ENV_VAR, url)
    db.get_engine.cache_clear()
    engine = make_engine(url)
    try:
        assert invoke("import", str(write(tmp_path / "base", BASE))).code == 0
        before = content(engine)
        children = BASE["children.csv"] + "k1,F,2022-01-01,T3,1,,\nk2,M,2022-02-30,T3,1,,\n"
        folder = write(tmp_path / "a", {**NEW_PLACES, "children.csv": children})
        outcome = invoke("import", str(folder))
        assert_refused(engine, before, outcome, "children.csv", 5, "birth_date", "not a date")
        checks = (
            BASE["checks.csv"] + "k1,2022-03-01,routine,CL3,9.0,,,,\nk1,2022-04-01,visit,,,,,,\n"
        )
        files = {**NEW_PLACES, "checks.csv": checks}
        files["children.csv"] = children.replace("02-30", "02-28")
        outcome = invoke("import", str(write(tmp_path / "b", files)))
        assert_refused(engine, before, outcome, "checks.csv", 5, "kind", "not one of")
    finally:
        engine.dispose()
        db.get_engine().dispose()
        db.get_engine.cache_clear()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
