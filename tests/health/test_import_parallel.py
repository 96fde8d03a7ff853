"""The checks file's repeat scan read ahead during the children merge (``loader._Load``) marks
the same rows as ``validate.CheckRepeats.scan``, and raises the same fault for a bad file."""

from __future__ import annotations

import datetime as dt
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pytest

from health.exchange import loader, reader, validate
from health.exchange.errors import ExchangeError

HEADER = "child_id,date,kind,clinic_code,weight_kg,length_cm,measure,head_cm,hb_g_l"
KINDS = ["routine", "full_month", "newborn_visit", "Routine", "", "other"]


class FakeWriter:
    """A writer whose children are ``known`` (code → id); counts its lookups."""

    def __init__(self, known: dict[str, int]) -> None:
        self.known = known
        self.lookups = 0

    def children(self, codes: pa.Array) -> tuple[pa.Array, pa.Array]:
        self.lookups += 1
        values = codes.to_pylist()
        ids = pa.array([self.known.get(c) if c is not None else None for c in values], pa.int64())
        births = pa.array(["2020-01-01" if i is not None else None for i in ids.to_pylist()])
        return ids, births


def _date(rng: random.Random, bad: bool) -> str:
    if bad and rng.random() < 0.01:
        return rng.choice(["2024-02-30", "x", "", "2024/01/01"])
    if rng.random() < 0.02:
        return rng.choice(["0001-01-01", "9999-12-31", "1500-06-01", "2600-01-01"])
    return (dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(2500))).isoformat()


def _file(tmp: Path, seed: int, rows: int, bad: bool) -> Path:
    rng = random.Random(seed)
    lines = [HEADER]
    for _ in range(rows):
        code = rng.choice([f"C{rng.randrange(60)}", f" C{rng.randrange(60)} ", "", "Q" * 70,
                           "C\x01", f'"C{rng.randrange(5)}"', "unknown"])  # fmt: skip
        kind = rng.choice(KINDS) if bad else rng.choice(KINDS[:3])
        lines.append(f"{code},{_date(rng, bad)},{kind},,,,,,")
    path = tmp / f"s{seed}" / "checks.csv"
    path.parent.mkdir()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _outcome(run):  # type: ignore[no-untyped-def]
    try:
        repeats = run()
    except ExchangeError as exc:
        return ("error", str(exc))
    superseded = repeats.superseded
    return ("ok", None if superseded is None else superseded.tolist())


@pytest.mark.parametrize("seed", range(40))
def test_read_ahead_marks_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.setattr(reader, "BLOCK_SIZE", random.Random(seed).choice([120, 200, 400, 1000]))
    path = _file(tmp_path, seed, rows=random.Random(seed).randrange(0, 600), bad=seed % 3 == 0)
    known = {f"C{i}": 1000 + 7 * i for i in range(0, 60, 2)}
    expected = _outcome(lambda: validate.CheckRepeats.scan(path, FakeWriter(known).children))
    with ThreadPoolExecutor(max_workers=1) as pool:
        load = loader._Load(FakeWriter(known), dt.date(2025, 3, 1), None, pool)  # type: ignore[arg-type]
        load.read_check_keys(path.parent)
        assert (path in load.check_keys) == (path.stat().st_size > reader.BLOCK_SIZE)
        got = _outcome(lambda: load.check_repeats(path))
    assert got == expected
    assert not load.check_keys
