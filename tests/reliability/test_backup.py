"""``childhealth backup`` / ``childhealth restore``: a restored database serves exactly the rows
it held at backup time; a backup taken while another thread writes is consistent; a file that
is no childhealth backup is refused with a reason and leaves the database untouched.

SQLite always; PostgreSQL in a scratch database ``childhealth_backup_test`` when 127.0.0.1:5432
and ``pg_dump`` are available (skipped with the reason otherwise).
"""

from __future__ import annotations

import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, TextClause, inspect, text

from health import db
from health.backup import BackupError, backup
from health.db import make_engine
from health.migrate import alembic_config, downgrade
from tests.reliability.cli_outcomes import invoke, run_script

TODAY = "2025-06-30"
PG_HOST, PG_PORT, PG_DB = "127.0.0.1", 5432, "childhealth_backup_test"
PG_ADMIN_URL = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/test"
PG_URL = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{PG_DB}"
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def use_database(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Point ``childhealth`` (and ``health.db.get_engine``) at ``url``."""
    monkeypatch.setenv(db.ENV_VAR, url)
    db.get_engine.cache_clear()


def release_engine() -> None:
    """Close the process-wide engine's connections (so files and databases can go)."""
    db.get_engine().dispose()
    db.get_engine.cache_clear()


def seed(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Fill the database at ``url`` with the project's own demo generator (60 children)."""
    use_database(monkeypatch, url)
    outcome = invoke("seed-demo", "--children", "60", "--today", TODAY)
    assert outcome.code == 0, outcome.stderr
    release_engine()


def content(
    url: str, columns: dict[str, list[str]] | None = None
) -> dict[str, list[tuple[str, ...]]]:
    """Every table's rows (as text, sorted): the whole content of the database at ``url``;
    with ``columns``, only those tables and columns (a later schema read as an older one)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = sorted(inspect(conn).get_table_names())
            if columns is None:
                columns = {n: [c["name"] for c in inspect(conn).get_columns(n)] for n in names}
            return {
                name: sorted(tuple(map(str, row)) for row in conn.execute(_select(name, cols)))
                for name, cols in columns.items()
            }
    finally:
        engine.dispose()


def _select(table: str, columns: list[str]) -> TextClause:
    quoted = ", ".join(f'"{c}"' for c in columns)
    return text(f'SELECT {quoted} FROM "{table}"')


def schema_columns(url: str) -> dict[str, list[str]]:
    """Each table's column names at ``url``."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            return {n: [c["name"] for c in found.get_columns(n)] for n in found.get_table_names()}
    finally:
        engine.dispose()


def change_everything(url: str) -> None:
    """Delete, update and add rows so a restore has something to undo."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM milestone_answers"))
            conn.execute(text("DELETE FROM checks WHERE id % 2 = 0"))
            conn.execute(text("UPDATE children SET sex = CASE sex WHEN 'M' THEN 'F' ELSE 'M' END"))
            conn.execute(
                text("INSERT INTO areas (code, name, level) VALUES ('ZZ', 'Added', 'province')")
            )
    finally:
        engine.dispose()


def coverage_csv() -> str:
    outcome = invoke("coverage", "--year", "2024", "--level", "all")
    assert outcome.code == 0, outcome.stderr
    return outcome.stdout


def change_and_restore(url: str, backup_file: Path, before: dict, report: str) -> None:
    """Change every table at ``url``, then restore ``backup_file``: the database holds the rows
    ``before`` again and the coverage export is ``report`` again."""
    change_everything(url)
    assert content(url) != before
    done = invoke("restore", str(backup_file))
    assert done.code == 0, done.stderr
    assert content(url) == before
    assert coverage_csv() == report


# ---- SQLite ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file holding the demo data (built once, copied per test)."""
    path = tmp_path_factory.mktemp("backup") / "seeded.db"
    with pytest.MonkeyPatch.context() as patch:
        seed(patch, f"sqlite:///{path}")
    db.get_engine.cache_clear()
    return path


@pytest.fixture
def live(tmp_path: Path, seeded_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """URL of a seeded SQLite database that ``childhealth`` uses in this test."""
    path = tmp_path / "live.db"
    shutil.copy(seeded_template, path)
    url = f"sqlite:///{path}"
    use_database(monkeypatch, url)
    yield url
    release_engine()


def test_sqlite_restore_serves_the_backed_up_rows(live: str, tmp_path: Path) -> None:
    report = coverage_csv()  # first: the export adds its entry to the audit
    before = content(live)
    assert len(before["checks"]) > 100 and before["milestone_answers"]
    done = invoke("backup", str(tmp_path / "b.db"))
    assert done.code == 0, done.stderr
    assert done.stdout.startswith(f"backup written to {tmp_path / 'b.db'} (")
    watcher = make_engine(live)  # a connection the service holds open across the restore
    with watcher.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM checks")).scalar_one() == len(
            before["checks"]
        )
    change_and_restore(live, tmp_path / "b.db", before, report)
    with watcher.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM checks")).scalar_one() == len(
            before["checks"]
        )
    watcher.dispose()
    assert not list(tmp_path.glob("*.partial"))


def test_sqlite_restore_of_an_older_schema_is_migrated(live: str, tmp_path: Path) -> None:
    """A backup made before the latest migration is restored and brought to the head revision,
    with the same rows."""
    backup(tmp_path / "old.db")
    old_url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_engine(old_url)
    downgrade(old, "0001")
    old.dispose()
    old_columns = schema_columns(old_url)
    before = content(old_url)  # what the old backup holds (columns added later are gone)
    done = invoke("restore", str(tmp_path / "old.db"))
    assert done.code == 0, done.stderr
    assert done.stdout == f"restored {tmp_path / 'old.db'} (schema 0001)\n"
    assert content(live)["alembic_version"] == [(HEAD,)]
    after = content(live, old_columns)
    after.pop("alembic_version"), before.pop("alembic_version")
    assert after == before
    with sqlite3.connect(live.removeprefix("sqlite:///")) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_checks_date_child_kind" in names


def test_sqlite_backup_is_one_self_contained_file(live: str, tmp_path: Path) -> None:
    """The backup is in rollback-journal mode (no -wal beside it) and passes integrity_check."""
    info = backup(tmp_path / "b.db")
    assert info.revision == HEAD and info.size_bytes == (tmp_path / "b.db").stat().st_size
    assert (tmp_path / "b.db").read_bytes()[18:20] == b"\x01\x01"  # not WAL
    with sqlite3.connect(tmp_path / "b.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.db", "live.db"]


def test_sqlite_backup_while_another_thread_writes(live: str, tmp_path: Path) -> None:
    """Each write is a transaction adding two areas with a pause between them; a consistent
    snapshot always holds an even number of them, and no more than were committed."""
    engine = make_engine(live)
    stop = threading.Event()
    committed: list[int] = []

    def writer() -> None:
        n = 0
        while not stop.is_set():
            with engine.begin() as conn:
                for half in "ab":
                    conn.execute(
                        text("INSERT INTO areas (code, name, level) VALUES (:c, 'w', 'province')"),
                        {"c": f"W{n}{half}"},
                    )
                    time.sleep(0.001)
            n += 1
            committed.append(2 * n)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        counts: list[int] = []
        for i in range(6):
            deadline = time.monotonic() + 10
            while len(committed) <= i and time.monotonic() < deadline:  # let the writer move on
                time.sleep(0.005)
            floor = committed[-1] if committed else 0
            backup(tmp_path / f"b{i}.db", live)
            with sqlite3.connect(tmp_path / f"b{i}.db") as conn:
                assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
                (count,) = conn.execute("SELECT count(*) FROM areas WHERE name = 'w'").fetchone()
            counts.append(count)
            assert count % 2 == 0
            # at most one transaction may have committed without being counted yet
            assert floor <= count <= (committed[-1] if committed else 0) + 2
    finally:
        stop.set()
        thread.join()
        engine.dispose()
    assert counts[-1] > counts[0] > 0, counts  # the writer really ran during the backups


def put(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def sqlite_file(path: Path, *statements: str) -> Path:
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: put(p, b"id,sex\n1,M\n"), "not a childhealth backup (not an SQLite"),
        (lambda p: put(p, b""), "not a childhealth backup (not an SQLite"),
        (
            lambda p: sqlite_file(p, "CREATE TABLE t (x)"),
            "not a childhealth backup (no schema revision recorded)",
        ),
        (
            lambda p: sqlite_file(
                p,
                "CREATE TABLE alembic_version (version_num TEXT)",
                "INSERT INTO alembic_version VALUES ('9999_future')",
            ),
            "schema revision '9999_future' is unknown to this version of childhealth",
        ),
        (lambda p: put(p, b"PGDMP\x01\x0e\x00"), "a PostgreSQL dump, but the config"),
    ],
    ids=["csv", "empty", "foreign-sqlite", "newer-revision", "pg-dump"],
)
def test_sqlite_restore_refuses_a_non_backup(live: str, tmp_path: Path, make, reason) -> None:
    before = content(live)
    bad = make(tmp_path / "bad.db")
    reported = invoke("restore", str(bad))
    assert one_error_line(reported).startswith(f"error: {bad}: {reason}")
    assert content(live) == before


def test_sqlite_restore_refuses_a_damaged_backup(live: str, tmp_path: Path) -> None:
    """A backup cut short (or overwritten in the middle) is refused; nothing changes."""
    before = content(live)
    backup(tmp_path / "b.db")
    data = (tmp_path / "b.db").read_bytes()
    (tmp_path / "cut.db").write_bytes(data[: len(data) // 2])
    damaged = bytearray(data)
    damaged[8192:12288] = b"\xff" * 4096
    (tmp_path / "damaged.db").write_bytes(bytes(damaged))
    for name in ("cut.db", "damaged.db"):
        message = one_error_line(invoke("restore", str(tmp_path / name)))
        assert message.startswith(f"error: {tmp_path / name}: "), message
        assert "damaged" in message or "malformed" in message, message
        assert content(live) == before


def test_console_script_backup_and_refusal(live: str, tmp_path: Path) -> None:
    """The installed script, in a child process, with the database from the environment."""
    import os

    env = {**os.environ, db.ENV_VAR: live}
    done = run_script("backup", str(tmp_path / "b.db"), env=env)
    assert done.code == 0 and done.stderr == "", done.stderr
    (tmp_path / "notes.txt").write_text("not a backup\n")
    refused = run_script("restore", str(tmp_path / "notes.txt"), env=env)
    assert refused.code == 2 and "Traceback" not in refused.stderr
    assert refused.stderr == (
        f"error: {tmp_path / 'notes.txt'}: not a childhealth backup (not an SQLite database file)\n"
    )


def one_error_line(outcome) -> str:
    """The single ``error: …`` line of a clean failure (no traceback, non-zero exit)."""
    assert outcome.crashed is None, repr(outcome.crashed)
    assert outcome.code == 2
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), outcome.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("url", "target", "reason"),
    [
        ("sqlite:///:memory:", "b.db", "an in-memory SQLite database cannot be backed up"),
        ("mysql://localhost/x", "b.db", "unsupported database 'mysql'"),
        ("sqlite:///{tmp}/missing.db", "b.db", "no database file to back up"),
        ("sqlite:///{tmp}/missing.db", "no/such/dir/b.db", "does not exist"),
    ],
)
def test_backup_refuses_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, target: str, reason: str
) -> None:
    use_database(monkeypatch, url.format(tmp=tmp_path))
    message = one_error_line(invoke("backup", str(tmp_path / target)))
    assert reason in message
    assert not (tmp_path / target).exists()
    db.get_engine.cache_clear()


def test_pg_tools_missing_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pg_dump on PATH a PostgreSQL backup fails before connecting, saying why."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump not found on PATH: install the PostgreSQL"):
        backup(tmp_path / "b.dump", PG_URL)
    assert not (tmp_path / "b.dump").exists()


# ---- PostgreSQL --------------------------------------------------------------------------------


def _pg_skip_reason() -> str | None:
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            pass
    except OSError as exc:
        return f"PostgreSQL not reachable on {PG_HOST}:{PG_PORT} ({exc.strerror or exc})"
    return None


def _recreate(admin: Engine, drop_only: bool = False) -> None:
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :d AND pid <> pg_backend_pid()"
            ),
            {"d": PG_DB},
        )
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DB}"')
        if not drop_only:
            conn.exec_driver_sql(f'CREATE DATABASE "{PG_DB}"')


@pytest.fixture
def pg_live(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A seeded scratch database ``childhealth_backup_test``, dropped afterwards."""
    reason = _pg_skip_reason()
    if reason:
        pytest.skip(reason)
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        _recreate(admin)
    except Exception as exc:  # no rights, no database 'test', …
        admin.dispose()
        pytest.skip(f"cannot create scratch database {PG_DB}: {exc}")
    try:
        seed(monkeypatch, PG_URL)
        use_database(monkeypatch, PG_URL)
        yield PG_URL
    finally:
        release_engine()
        _recreate(admin, drop_only=True)
        admin.dispose()


@pytest.mark.postgres
def test_postgres_restore_serves_the_backed_up_rows(pg_live: str, tmp_path: Path) -> None:
    report = coverage_csv()  # first: the export adds its entry to the audit
    before = content(pg_live)
    done = invoke("backup", str(tmp_path / "b.dump"))
    assert done.code == 0, done.stderr
    assert (tmp_path / "b.dump").read_bytes()[:5] == b"PGDMP"
    release_engine()
    change_and_restore(pg_live, tmp_path / "b.dump", before, report)


@pytest.mark.postgres
def test_postgres_restore_refuses_a_non_backup(pg_live: str, tmp_path: Path) -> None:
    before = content(pg_live)
    info = backup(tmp_path / "b.dump")
    data = (tmp_path / "b.dump").read_bytes()
    cases = {
        "notes.txt": (b"hello\n", "not a childhealth backup (not a pg_dump custom-format file)"),
        "cut.dump": (data[: len(data) // 3], "damaged or cut short"),
        "sqlite.db": (b"SQLite format 3\x00" + b"\x00" * 100, "an SQLite backup, but the config"),
    }
    assert info.revision == HEAD
    for name, (body, reason) in cases.items():
        (tmp_path / name).write_bytes(body)
        message = one_error_line(invoke("restore", str(tmp_path / name)))
        assert message.startswith(f"error: {tmp_path / name}: ") and reason in message, message
        assert content(pg_live) == before
