"""The faster batch paths keep their results: z on a rounding half in any chunk of the fused
writer, and the CSV job's overlapping blocks (same bytes, the right line for an error, the
general path for a block only it reads, progress to the end).
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from growth_charts import batch, fused
from growth_charts.anthro import _Z_ORDER, OUTPUT_ORDER
from growth_charts.rounding import round_z

HEADER = "id,sex,age_days,weight,lenhei,measure,oedema,headc"


def test_emit_lists_every_z_on_a_half_in_any_chunk() -> None:
    n = 3 * fused.EMIT_CHUNK + 7
    rng = np.random.default_rng(5)
    z = np.round(rng.normal(0, 2, (len(_Z_ORDER), n)), 3)
    halves_at = [0, fused.EMIT_CHUNK - 1, fused.EMIT_CHUNK, 2 * fused.EMIT_CHUNK + 3, n - 1]
    z[0, halves_at] = [0.125, -2.675, 1.005, 3.145, -0.005]  # on a half, or a hair off one
    z[1, ::97] = np.nan
    index = {name: k for k, name in enumerate(OUTPUT_ORDER)}
    out = np.full((len(OUTPUT_ORDER), n + 5), -7.0)
    halves = np.empty((len(_Z_ORDER), n), np.int64)
    counts = np.zeros(len(_Z_ORDER), np.int64)
    fused._emit(
        n, rng.normal(size=(3, n)), z, out, 5,
        np.array([index[c] for c in ("clenhei", "cbmi", "c9mo_flag")], np.int64),
        np.array([index[c] for c in _Z_ORDER], np.int64),
        np.array([index["f" + c[1:]] for c in _Z_ORDER], np.int64),
        np.full(len(_Z_ORDER), 2, np.int64), np.full(len(_Z_ORDER), -5.0),
        np.full(len(_Z_ORDER), 5.0), halves, counts,
    )  # fmt: skip
    for c, name in enumerate(_Z_ORDER):
        listed = halves[c, : counts[c]] - 5
        row = out[index[name], 5:].copy()
        assert np.array_equal(row[listed], z[c, listed])  # left unrounded for round_z
        row[listed] = round_z(z[c, listed])
        assert np.array_equal(row, round_z(z[c]), equal_nan=True), name
        scaled = z[c] * 100.0
        with np.errstate(invalid="ignore"):
            expected = np.flatnonzero(np.abs(scaled - np.rint(scaled)) > fused.NEAR_HALF)
        assert np.array_equal(listed, expected), name
    assert set(halves_at) <= set(halves[0, : counts[0]] - 5)


def _survey(path: Path, rows: int, bad: dict[int, str] | None = None) -> None:
    rng = np.random.default_rng(8)
    lines = [HEADER]
    for k in range(rows):
        line = (f"{k},{rng.choice(['1', '2'])},{rng.integers(0, 1900)},"
                f"{rng.uniform(3, 20):.2f},{rng.uniform(50, 110):.1f},{rng.choice(['l', 'h'])},"
                f"n,{rng.uniform(35, 52):.1f}")  # fmt: skip
        lines.append((bad or {}).get(k, line))
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("block_bytes", [300, 4096, 65536])
def test_overlapping_blocks_write_the_bytes_of_one_block(tmp_path: Path, block_bytes: int) -> None:
    source = tmp_path / "in.csv"
    _survey(source, 3_000)
    assert batch.zscore_csv(source, tmp_path / "whole.csv") == 3_000
    seen: list[tuple[int, int]] = []
    with mock.patch.object(batch, "BLOCK_BYTES", block_bytes):
        rows = batch.zscore_csv(
            source, tmp_path / "blocks.csv", on_progress=lambda *a: seen.append(a)
        )
    assert rows == 3_000
    assert (tmp_path / "blocks.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert seen[-1] == (source.stat().st_size, source.stat().st_size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_a_bad_value_in_a_later_block_names_its_line(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    _survey(source, 2_000, bad={1_500: "1500,2,400,abc,80.0,h,n,45.0"})
    target = tmp_path / "out.csv"
    with (
        mock.patch.object(batch, "BLOCK_BYTES", 4096),
        pytest.raises(batch.BatchInputError) as error,
    ):
        batch.zscore_csv(source, target)
    assert (error.value.line, error.value.column) == (1_502, "weight")
    assert not target.exists() and not (tmp_path / "out.csv.partial").exists()


def test_a_later_block_only_the_general_path_reads_restarts_there(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    _survey(source, 2_000, bad={1_200: '"12\n00",1,400,12.5,80.0,h,n,45.0'})  # a quoted line end
    with mock.patch.object(batch, "BLOCK_BYTES", 4096):
        assert batch.zscore_csv(source, tmp_path / "out.csv") == 2_000
    general = tmp_path / "general.csv"
    assert batch._zscore_csv_pandas(source, general, "who-anthro") == 2_000
    assert (tmp_path / "out.csv").read_bytes() == general.read_bytes()
