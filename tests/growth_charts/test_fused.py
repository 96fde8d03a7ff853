"""The fused (numba) engine gives the numpy path's bits, and the CSV writer its bytes.

``compute`` runs batches of ``FUSED_MIN_ROWS`` rows or more through ``growth_charts.fused``;
these tests hold it to the numpy path (``engine="numpy"``) element for element, NaN for NaN,
on generated children that hit every rule: missing and implausible values, ages around the
731-day switch and into the WHO 2007 range, standing infants, oedema, unknown sex and position,
measurements far beyond ±3 SD (WHO's restricted tails) and z lying on a rounding half.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from growth_charts.anthro import (
    FUSED_MIN_ROWS,
    OUTPUT_ORDER,
    Children,
    children,
    compute,
    round_and_flag,
    rounded_matrix,
)
from growth_charts.batch import _appended_lines, _LineWriter, zscore_csv
from growth_charts.zscore import value_at_z


def same_bits(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert list(a) == list(b)
    for name in a:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        equal = (x == y) | (np.isnan(x) & np.isnan(y))
        assert equal.all(), f"{name}: {x[~equal][:5]} != {y[~equal][:5]}"
        assert (np.signbit(x) == np.signbit(y))[~np.isnan(x)].all(), name


def floats(low: float, high: float) -> st.SearchStrategy[float]:
    """Values in range, with NaN, zero, negatives, halves and a few far outside."""
    return st.one_of(
        st.floats(low, high, allow_nan=False),
        st.sampled_from([np.nan, 0.0, -1.0, low, high, high * 4]),
        st.integers(int(low), int(high)).map(lambda k: k + 0.5),
    )


@st.composite
def batches(draw: st.DrawFn) -> Children:
    n = draw(st.integers(1, 40))

    def column(low: float, high: float) -> np.ndarray:
        return draw(arrays(np.float64, n, elements=floats(low, high)))

    return children(
        draw(arrays(np.int8, n, elements=st.sampled_from([-1, 0, 1]))),
        age_days=column(0, 7000),
        weight=column(0.5, 80),
        lenhei=column(40, 190),
        measure=draw(arrays(np.int8, n, elements=st.sampled_from([-1, 0, 1]))),
        oedema=draw(arrays(np.int8, n, elements=st.sampled_from([0, 1]))),
        headc=column(25, 60),
        armc=column(5, 30),
        triskin=column(2, 30),
        subskin=column(2, 30),
    )


@settings(max_examples=150, deadline=None)
@given(batches(), st.sampled_from(["who-anthro", "igrowup"]), st.booleans())
def test_fused_kernels_give_the_numpy_bits(kids, rules, rounded):
    fused = compute(kids, rules, rounded=rounded, engine="fused")
    same_bits(compute(kids, rules, rounded=rounded, engine="numpy"), fused)


def survey(n: int, seed: int) -> Children:
    """Realistic children (WHO-distributed z, wide spread) with every kind of noise."""
    rng = np.random.default_rng(seed)
    sex = rng.choice([0, 1], n).astype(np.int8)
    age = rng.uniform(0, 1856, n).round(0)
    z = rng.normal(-0.3, 2.0, (6, n))

    def at(code: str, days: np.ndarray, zs: np.ndarray, digits: int) -> np.ndarray:
        return value_at_z(code, sex, days, zs).round(digits)

    older = np.maximum(age, 91)
    values = {
        "weight": at("wfa", age, z[1], 2), "lenhei": at("lhfa", age, z[0], 1),
        "headc": at("hcfa", age, z[2], 1), "armc": at("acfa", older, z[3], 1),
        "triskin": at("tsfa", older, z[4], 1), "subskin": at("ssfa", older, z[5], 1),
    }  # fmt: skip
    age = np.where(rng.random(n) < 0.1, rng.uniform(1800, 7000, n), age)  # WHO 2007 ages
    age = np.where(rng.random(n) < 0.05, np.round(age) + 0.5, age)
    age = np.where(rng.random(n) < 0.03, np.nan, age)
    values["lenhei"] = np.where(rng.random(n) < 0.05, rng.uniform(30, 200, n), values["lenhei"])
    for name in values:
        values[name] = np.where(rng.random(n) < 0.03, np.nan, values[name])
    return children(
        np.where(rng.random(n) < 0.01, -1, sex).astype(np.int8),
        age_days=age,
        measure=rng.choice([-1, 0, 1], n).astype(np.int8),
        oedema=(rng.random(n) < 0.01).astype(np.int8),
        **values,
    )


@pytest.mark.parametrize("rules", ["who-anthro", "igrowup"])
def test_a_large_batch_takes_the_fused_path_with_the_same_bits(rules):
    kids = survey(100_000, seed=11)
    for rounded in (False, True):
        same_bits(compute(kids, rules, rounded=rounded, engine="numpy"),
                  compute(kids, rules, rounded=rounded))  # fmt: skip


def test_absent_measurements_stay_missing_on_both_paths():
    n = FUSED_MIN_ROWS
    kids = dataclasses.replace(survey(n, seed=3), weight=np.full(n, np.nan))
    for rounded in (False, True):
        fused = compute(kids, rounded=rounded, engine="fused")
        same_bits(compute(kids, rounded=rounded, engine="numpy"), fused)
        assert np.isnan(fused["zwei"]).all() and np.isnan(fused["zwfl"]).all()


def test_rounded_output_is_round_and_flag_of_the_unrounded():
    kids = survey(5_000, seed=5)
    same_bits(round_and_flag(compute(kids, engine="numpy")), compute(kids, rounded=True))


def test_rounded_matrix_rows_are_the_output_columns_and_reuse_the_buffer():
    kids = survey(3_000, seed=7)
    expected = compute(kids, rounded=True, engine="numpy")
    buffer = np.empty(len(OUTPUT_ORDER) * 4_000)
    matrix = rounded_matrix(kids, buffer=buffer)
    assert np.shares_memory(matrix, buffer)
    same_bits(expected, dict(zip(OUTPUT_ORDER, matrix, strict=True)))


def test_one_child_stays_on_the_numpy_path():
    """A single record (the web service) never loads the compiled kernels."""
    code = (
        "import sys; from growth_charts import children, compute;"
        "compute(children('F', age_days=400, weight=9.0, lenhei=75.0));"
        "print('growth_charts.fused' in sys.modules, 'numba' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


# the CSV writer --------------------------------------------------------------------------------


def pyarrow_lines(text: bytes, matrix: np.ndarray) -> bytes:
    """The block as the batch job wrote it before the compiled writer (pyarrow's writer)."""
    appended = _appended_lines(matrix)
    lines = text.split(b"\n")[:-1]
    return b"".join(line + extra for line, extra in zip(lines, appended, strict=True))


def test_line_writer_spells_every_value_as_pyarrow():
    rng = np.random.default_rng(1)
    n = 3_000
    matrix = rounded_matrix(survey(n, seed=9))
    # 4-decimal values of every size the writer spells itself, negative zero, and z beyond ±10
    matrix[0, :600] = rng.choice([0.0, -0.0, 1e-4, 0.00005, -0.00004, 999999999.9999, -3.5], 600)
    matrix[1, 600:1200] = rng.uniform(-1e9 + 1, 1e9 - 1, 600)
    matrix[3, 1200:1300] = np.round(rng.uniform(-300, 300, 100), 2)
    text = b"".join(b"%d,x,y\n" % k for k in range(n))
    assert bytes(_LineWriter().lines(text, matrix)) == pyarrow_lines(text, matrix)


def test_line_writer_leaves_what_it_cannot_spell_to_pyarrow():
    matrix = rounded_matrix(survey(FUSED_MIN_ROWS, seed=2))
    matrix[1, 5] = 3.2e12  # pyarrow writes 3.2e+12
    matrix[0, 7] = np.inf
    text = b"a\n" * FUSED_MIN_ROWS
    written = bytes(_LineWriter().lines(text, matrix))
    assert written == pyarrow_lines(text, matrix)
    assert b",3.2e+12," in written and b"a,inf," in written


def test_csv_job_writes_the_pyarrow_bytes(tmp_path):
    rng = np.random.default_rng(4)
    n = 2_000
    kids = survey(n, seed=13)
    columns = {
        "id": np.arange(n), "sex": np.where(kids.sex == 0, "1", np.where(kids.sex == 1, "2", "")),
        "age_days": kids.age_days, "weight": kids.weight, "lenhei": kids.lenhei,
        "measure": np.array(["", "l", "h"])[kids.measure + 1],
        "oedema": np.where(kids.oedema, "y", "n"), "headc": kids.headc, "armc": kids.armc,
        "triskin": kids.triskin, "subskin": kids.subskin,
    }  # fmt: skip
    table = pa.table(columns)
    lines = ["id,sex,age_days,weight,lenhei,measure,oedema,headc,armc,triskin,subskin"]
    for row in table.to_pylist():
        cells = []
        for value in row.values():
            if isinstance(value, float):
                value = "NA" if np.isnan(value) else rng.choice([repr(value), f" {value} "])
            cells.append(str(value))
        lines.append(",".join(cells))
    source = tmp_path / "in.csv"
    source.write_text("\n".join(lines) + "\n")
    assert zscore_csv(source, tmp_path / "out.csv") == n
    written = (tmp_path / "out.csv").read_bytes().split(b"\n", 1)[1]
    data = source.read_bytes().split(b"\n", 1)[1]
    expected = pyarrow_lines(data, rounded_matrix(kids))
    assert written == expected
