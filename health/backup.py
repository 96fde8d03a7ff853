"""Backups of the configured database, and restoring one into it.

SQLite: the online backup API of ``sqlite3`` copies a consistent snapshot while the service keeps
writing (WAL readers never block writers); the copy is a single self-contained file (rollback
journal, not WAL). Restore checks the file first (an SQLite database, intact, holding this
project's schema at a revision these migrations know) and copies it page by page into the live
file, again through the backup API, so open connections see either the old or the restored data.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --single-transaction`` (so a
failed restore changes nothing); the client tools must be installed.

Every problem raises :class:`BackupError` with a message that says what is wrong.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from health.db import database_url, make_engine, normalise_url
from health.migrate import alembic_config, upgrade

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
BUSY_TIMEOUT_MS = 30_000
PG_TIMEOUT_S = 3600


class BackupError(Exception):
    """A backup or restore that cannot be done; the message names the reason."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup or restore handled: the file, its size in bytes and schema revision."""

    path: Path
    size_bytes: int
    revision: str


def known_revisions() -> set[str]:
    """Every alembic revision of ``health/migrations`` (a backup must carry one of them)."""
    script = ScriptDirectory.from_config(alembic_config())
    return {s.revision for s in script.walk_revisions()}


def backup(target: Path, url: str | None = None) -> BackupInfo:
    """Write a backup of the database at ``url`` (default: the configured one) to ``target``.

    The file appears only when complete (written beside ``target`` and renamed)."""
    parsed = _parse(url)
    target = Path(target)
    if not target.parent.is_dir():
        raise BackupError(f"{target}: folder {target.parent} does not exist")
    with _scratch(target) as scratch:
        if parsed.get_backend_name() == "sqlite":
            revision = _sqlite_backup(_sqlite_path(parsed, must_exist=True), scratch)
        else:
            revision = _pg_backup(parsed, scratch)
        scratch.replace(target)
    return BackupInfo(target, target.stat().st_size, revision)


def restore(source: Path, url: str | None = None) -> BackupInfo:
    """Replace the content of the database at ``url`` by the backup ``source``.

    The file is checked before anything is touched; an older schema revision is migrated to the
    current one afterwards."""
    parsed = _parse(url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    if parsed.get_backend_name() == "sqlite":
        revision = _sqlite_restore(source, _sqlite_path(parsed, must_exist=False))
    else:
        revision = _pg_restore(source, parsed)
    engine = make_engine(parsed.render_as_string(hide_password=False))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return BackupInfo(source, source.stat().st_size, revision)


# ---- helpers -----------------------------------------------------------------------------------


def _parse(url: str | None) -> URL:
    return make_url(normalise_url(url or database_url()))


@contextmanager
def _scratch(target: Path) -> Iterator[Path]:
    """A fresh temporary path beside ``target``, removed afterwards unless renamed."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    path = Path(name)
    path.unlink()
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _check_revision(source: Path, revision: str | None) -> str:
    if revision is None:
        raise BackupError(f"{source}: not a childhealth backup (no schema revision recorded)")
    if revision not in known_revisions():
        raise BackupError(
            f"{source}: schema revision {revision!r} is unknown to this version of childhealth "
            "(a backup from a newer version?)"
        )
    return revision


# ---- SQLite ------------------------------------------------------------------------------------


def _sqlite_path(parsed: URL, *, must_exist: bool) -> Path:
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    path = Path(parsed.database)
    if must_exist and not path.is_file():
        raise BackupError(f"{path}: no database file to back up")
    return path


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    uri = path.resolve().as_uri() + ("?mode=ro" if read_only else "")
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    """The alembic revision stored in ``conn``, None when there is no alembic table or row."""
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if not has_table:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def _sqlite_backup(live: Path, scratch: Path) -> str:
    """Copy ``live`` into ``scratch`` in one step of the backup API (one consistent snapshot)."""
    with closing(_connect(live)) as src, closing(sqlite3.connect(scratch)) as dst:
        revision = _sqlite_revision(src)
        if revision is None:
            raise BackupError(f"{live}: not a childhealth database (no schema revision recorded)")
        src.backup(dst)  # pages=-1: the whole database under one read transaction
        dst.execute("PRAGMA journal_mode = DELETE")  # a single file, no -wal beside it
    return revision


def _sqlite_restore(source: Path, live: Path) -> str:
    """Check ``source`` and copy it into ``live`` through the backup API."""
    with source.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if magic.startswith(PG_DUMP_MAGIC):
        raise BackupError(
            f"{source}: a PostgreSQL dump, but the configured database is SQLite "
            "(set CHILDHEALTH_DATABASE_URL to the PostgreSQL database to restore it there)"
        )
    if magic != SQLITE_MAGIC:
        raise BackupError(f"{source}: not a childhealth backup (not an SQLite database file)")
    try:
        with closing(_connect(source, read_only=True)) as src:
            verdict = src.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":  # sqlite's report spans lines: keep the message on one
                raise BackupError(f"{source}: the backup is damaged ({' '.join(verdict.split())})")
            revision = _check_revision(source, _sqlite_revision(src))
            live.parent.mkdir(parents=True, exist_ok=True)
            with closing(_connect(live)) as dst:
                src.backup(dst)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source}: cannot be restored ({error})") from None
    return revision


# ---- PostgreSQL --------------------------------------------------------------------------------


def _tool(name: str) -> str:
    """Path of a PostgreSQL client program, or a clear error when it is not installed."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found on PATH: install the PostgreSQL client tools "
            "(the same major version as the server) to back up or restore PostgreSQL"
        )
    return found


def _libpq(parsed: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for ``parsed`` (password passed in the environment)."""
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(args, capture_output=True, env=env, timeout=PG_TIMEOUT_S, check=False)
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BackupError(f"{what} failed: {detail[-1] if detail else 'no message'}")
    return done


def _pg_backup(parsed: URL, scratch: Path) -> str:
    dsn, env = _libpq(parsed)
    _run([_tool("pg_dump"), "--format=custom", f"--file={scratch}", dsn], env, "pg_dump")
    revision = _pg_dump_revision(scratch, env)
    if revision is None:
        raise BackupError(f"{parsed.database}: not a childhealth database (no schema revision)")
    return revision


_COPY_ROWS = re.compile(
    r"^COPY \S*alembic_version \(version_num\) FROM stdin;\n(?P<rows>.*?)^\\\.", re.S | re.M
)


def _pg_dump_revision(dump: Path, env: dict[str, str]) -> str | None:
    """The alembic revision stored in a custom-format dump, None when it holds none."""
    done = _run(
        [_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(dump)],
        env,
        "pg_restore",
    )
    match = _COPY_ROWS.search(done.stdout.decode("utf-8", "replace"))
    rows = match["rows"].split() if match else []
    return rows[0] if rows else None


def _pg_restore(source: Path, parsed: URL) -> str:
    with source.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if magic == SQLITE_MAGIC:
        raise BackupError(
            f"{source}: an SQLite backup, but the configured database is PostgreSQL "
            "(set CHILDHEALTH_DATABASE_URL to an SQLite file to restore it there)"
        )
    if not magic.startswith(PG_DUMP_MAGIC):
        raise BackupError(f"{source}: not a childhealth backup (not a pg_dump custom-format file)")
    dsn, env = _libpq(parsed)
    try:  # read the whole archive once (output discarded) before touching the database
        _run([_tool("pg_restore"), "--file=" + os.devnull, str(source)], env, "pg_restore")
        stored = _pg_dump_revision(source, env)
    except BackupError as error:
        raise BackupError(f"{source}: the backup is damaged or cut short ({error})") from None
    revision = _check_revision(source, stored)
    with tempfile.TemporaryDirectory() as scratch:
        order = Path(scratch) / "toc.list"
        order.write_text(_partition_safe_order(source, env), encoding="utf-8")
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--no-owner",
                f"--use-list={order}",
                f"--dbname={dsn}",
                str(source),
            ],
            env,
            "pg_restore",
        )
    return revision


def _partition_safe_order(dump: Path, env: dict[str, str]) -> str:
    """The archive's table of contents with the keys of the partitioned tables
    (``health.partitions``) moved after every other key: ``--clean`` drops in reverse order,
    so it drops a parent's key (and with it its partitions' keys) first, instead of a
    partition's key, which PostgreSQL refuses ("cannot drop inherited constraint"). Restoring
    in this order is valid too: the partitions' keys, then the parent's, then their attachment."""
    from health.partitions import BY_NAME

    listing = _run([_tool("pg_restore"), "--list", str(dump)], env, "pg_restore")
    lines = [ln for ln in listing.stdout.decode().splitlines() if ln and not ln.startswith(";")]

    def parent_key(line: str) -> bool:  # "<id>; <cat> <oid> CONSTRAINT <schema> <table> <name>"
        f = line.split()
        return f[3:4] == ["CONSTRAINT"] and len(f) > 5 and f[5] in BY_NAME

    moved = [ln for ln in lines if parent_key(ln)]
    rest = [ln for ln in lines if not parent_key(ln)]
    keys = [i for i, ln in enumerate(rest) if ln.split()[3:4] == ["CONSTRAINT"]]
    after = keys[-1] + 1 if keys else len(rest)
    return "\n".join([*rest[:after], *moved, *rest[after:]]) + "\n"
