"""The PostgreSQL import's binary COPY and its big-load triggers.

- Rows sent in COPY's binary format (``postgres_writer._binary``) read back exactly as the same
  rows sent as CSV (the server parsing the text): numbers with many digits, dates either side
  of PostgreSQL's day 0, nulls, empty and non-ASCII text, every column type the writer sends.
- A big load drops the tally triggers for its load and creates them again: after a load and
  after a refused one, the same triggers, enabled; and the same keys and indexes of children
  (a big children file into an empty table is inserted without its code key and index).

PostgreSQL tests skip with the reason when 127.0.0.1:5432 is unreachable.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Engine, text

from health.exchange import ExchangeError, import_folder, loader
from health.exchange.postgres_writer import PostgresWriter, _binary
from tests.health.conftest import PG_SKIP_REASON
from tests.health.test_health_import import FOLDER, TODAY, write

pg_only = pytest.mark.skipif(PG_SKIP_REASON is not None, reason=PG_SKIP_REASON or "")

NUMBERS = [
    "0", "0.1", "4.56", "0.30000000000000004", "1234567.890123456789", "9007199254740993",
    "2.2250738585072014", "149.99999999999999999", None, "36.5", "0.2", "00012.50",
]  # fmt: skip
DATES = [
    "1970-01-01", "1999-12-31", "2000-01-01", "2000-01-02", "2024-02-29", "1900-03-01",
    None, "2025-03-01", "1969-12-31", "2099-12-31", "2016-02-29", "2000-02-29",
]  # fmt: skip
TEXTS = ["", "a", None, "Zoë", "中文名字", 'quote " and, comma', "routine", "x" * 8, "L", "H",
         "back\\slash", "tab-free"]  # fmt: skip
COLUMNS = {
    "i4": ("integer", pa.array([0, 1, -1, 2**31 - 1, -(2**31), None, 7, 8, 9, 10, 11, 12])),
    "i8": ("bigint", pa.array([0, 2**62, -(2**62), None, 5, 6, 7, 8, 9, 10, 11, 12])),
    "i2": ("smallint", pa.array([0, 1, -1, 32767, -32768, None, 7, 8, 9, 10, 11, 12])),
    "f8": ("double precision", pa.array(NUMBERS)),
    "f4": ("real", pa.array(NUMBERS)),
    "d": ("date", pa.array(DATES)),
    "b": ("boolean", pa.array([True, False, None] * 4)),
    "t": ("text", pa.array(TEXTS)),
    "v": ("varchar(32)", pa.array(TEXTS)),
    "n": ("integer", pa.array([None] * 12, pa.int64())),  # every value null
    "tn": ("text", pa.array([None] * 12, pa.string())),  # every value null, in a run
    "tf": ("varchar(32)", pa.array([t or "-" for t in TEXTS])),  # no null: length in a run
    "i8f": ("bigint", pa.array(range(-6, 6))),  # no null, after a text in the run
    "df": ("date", pa.array(["2024-02-29"] * 12)),
}


@pg_only
def test_binary_rows_read_back_as_csv_rows_do(pg_engine: Engine) -> None:
    spec = ", ".join(f"{name} {kind}" for name, (kind, _) in COLUMNS.items())
    columns = {name: array for name, (_, array) in COLUMNS.items()}
    with pg_engine.connect() as conn, conn.begin():
        for table in ("via_binary", "via_csv"):
            conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {table} (k serial, {spec})")
        writer = PostgresWriter(conn)
        types = writer._binary_types("via_binary", list(columns))
        assert types is not None  # every column type here goes in binary
        writer._append("via_binary", columns)
        # the same rows as CSV: the server parses every number and date itself
        binary_types = PostgresWriter._binary_types
        try:
            PostgresWriter._binary_types = lambda self, table, names: None  # type: ignore[method-assign]
            writer._append("via_csv", columns)
        finally:
            PostgresWriter._binary_types = binary_types  # type: ignore[method-assign]
        rows = [
            conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY k").all()
            for t in ("via_binary", "via_csv")
        ]
        assert rows[0] == rows[1]
        assert len(rows[0]) == 12
        # the doubles are the nearest to the text, as float8in gives them
        same = conn.exec_driver_sql(
            "SELECT bool_and(f8 IS NOT DISTINCT FROM "
            "CAST(NULLIF(c, '') AS double precision)) FROM via_binary "
            "JOIN (SELECT row_number() OVER () AS k, c FROM unnest(CAST(%(n)s AS text[])) c) x "
            "USING (k)",
            {"n": [v or "" for v in NUMBERS]},
        ).scalar()
        assert same is True


def test_binary_layout_of_one_row() -> None:
    """Field count, then per field its length (−1 for NULL) and big-endian value."""
    out = _binary(
        {"a": pa.array([5]), "b": pa.array(["xy"]), "c": pa.array([None], pa.int64())},
        {"a": "integer", "b": "text", "c": "bigint"},
    )
    assert out == (
        b"\x00\x03" + b"\x00\x00\x00\x04\x00\x00\x00\x05" + b"\x00\x00\x00\x02xy" + b"\xff" * 4
    )
    assert _binary({"a": pa.array([], pa.int64())}, {"a": "integer"}) == b""
    # a text without nulls, a column of nulls only, a column with some nulls
    out = _binary(
        {
            "a": pa.array([5, 7]),
            "b": pa.array(["xy", "z"]),
            "t": pa.array([None, None], pa.string()),
            "c": pa.array([1, None]),
        },
        {"a": "integer", "b": "text", "t": "text", "c": "bigint"},
    )
    four = b"\x00\x00\x00\x04"
    assert out == (
        b"\x00\x04" + four + b"\x00\x00\x00\x05" + b"\x00\x00\x00\x02xy" + b"\xff" * 4
        + b"\x00\x00\x00\x08" + b"\x00" * 7 + b"\x01"
        + b"\x00\x04" + four + b"\x00\x00\x00\x07" + b"\x00\x00\x00\x01z" + b"\xff" * 8
    )  # fmt: skip


def _triggers(engine: Engine) -> list[tuple[str, str, str, str]]:
    """Triggers of checks and children, then the indexes of children."""
    with engine.connect() as conn:
        indexes = conn.execute(
            text(
                "SELECT 'index', indexrelid::regclass::text, '', pg_get_indexdef(indexrelid) "
                "FROM pg_index WHERE indrelid = 'children'::regclass ORDER BY 2"
            )
        ).all()
        return [*((str(a), str(b), str(c), str(d)) for a, b, c, d in indexes)] + [
            (str(a), str(b), str(c), str(d))
            for a, b, c, d in conn.execute(
                text(
                    "SELECT tgrelid::regclass::text, tgname, tgenabled, pg_get_triggerdef(oid) "
                    "FROM pg_trigger WHERE NOT tgisinternal "
                    "AND tgrelid IN ('checks'::regclass, 'children'::regclass) ORDER BY 1, 2"
                )
            )
        ]


@pg_only
def test_big_load_gives_back_the_tally_triggers(
    pg_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pg_engine.begin() as conn:
        names = ", ".join(
            f'"{t}"' for t in ("checks", "enrolments", "children", "facilities", "clinics", "areas")
        )
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    before = _triggers(pg_engine)
    assert any(name == "tally_checks_insert" for _, name, *_ in before)
    monkeypatch.setattr(loader, "FK_SUSPEND_BYTES", 0)  # every file is big
    bad = dict(FOLDER)
    bad["checks.csv"] += "c99,2024-08-09,routine,CL1,,,,,\n"
    with pytest.raises(ExchangeError, match="unknown child_id 'c99'"):
        import_folder(pg_engine, write(tmp_path / "bad", bad), today=TODAY)
    assert _triggers(pg_engine) == before
    summary = import_folder(pg_engine, write(tmp_path / "good", FOLDER), today=TODAY)
    assert summary.changed["checks.csv"] == 11
    assert _triggers(pg_engine) == before
    assert import_folder(pg_engine, tmp_path / "good", today=TODAY).changed["checks.csv"] == 0


@pg_only
def test_a_batch_that_fails_to_encode_leaves_nothing(
    pg_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batches of the open COPY are encoded on a thread: its error reaches the caller and
    the whole import is rolled back."""
    from health.exchange import postgres_writer, reader

    with pg_engine.begin() as conn:
        names = ", ".join(
            f'"{t}"' for t in ("checks", "enrolments", "children", "facilities", "clinics", "areas")
        )
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    monkeypatch.setattr(reader, "BLOCK_SIZE", 120)  # several batches
    calls = []
    encode = postgres_writer._binary

    def failing(columns, types):  # type: ignore[no-untyped-def]
        if "check_date" in columns:
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("encoding failed")
        return encode(columns, types)

    monkeypatch.setattr(postgres_writer, "_binary", failing)
    with pytest.raises(RuntimeError, match="encoding failed"):
        import_folder(pg_engine, write(tmp_path / "x", FOLDER), today=TODAY)
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM checks")).scalar() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM children")).scalar() == 0
    monkeypatch.setattr(postgres_writer, "_binary", encode)
    assert import_folder(pg_engine, tmp_path / "x", today=TODAY).changed["checks.csv"] == 11
