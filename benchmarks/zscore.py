"""Growth-engine throughput and memory, and the CLI's CSV → CSV time against plain pandas I/O.

    .venv/bin/python benchmarks/zscore.py [--rows 1000000]

Prints: engine rows/s for all eight WHO 2006 indicators together (one core), the engine's peak
traced memory, the CLI job's wall time and peak RSS (a separate process), and the time pandas
needs only to read and write the same CSV file.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from growth_charts import children, compute, value_at_z


def synthetic_survey(rows: int, seed: int = 1) -> pd.DataFrame:
    """Children 0–1856 days with WHO-distributed measurements and a little realistic noise."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["M", "F"], rows)
    age = rng.uniform(0, 1856, rows).round(0)
    z = rng.normal(-0.3, 1.2, (6, rows))
    lenhei = value_at_z("lhfa", sex, age, z[0]).round(1)
    return pd.DataFrame({
        "id": np.arange(rows),
        "sex": np.where(sex == "M", 1, 2),
        "age_days": age.astype(int),
        "weight": value_at_z("wfa", sex, age, z[1]).round(2),
        "lenhei": lenhei,
        "measure": np.where(age < 731, "l", "h"),
        "oedema": np.where(rng.random(rows) < 0.002, "y", "n"),
        "headc": value_at_z("hcfa", sex, age, z[2]).round(1),
        "armc": value_at_z("acfa", sex, np.maximum(age, 91), z[3]).round(1),
        "triskin": value_at_z("tsfa", sex, np.maximum(age, 91), z[4]).round(1),
        "subskin": value_at_z("ssfa", sex, np.maximum(age, 91), z[5]).round(1),
    })  # fmt: skip


def engine(frame: pd.DataFrame, repeats: int = 3) -> tuple[float, float, float]:
    """Best-of rows/s for input cleaning and for the engine, and the engine's peak traced MB.

    Cleaning turns the raw columns (text codes for position and oedema) into the engine's
    arrays; the engine computes, rounds and flags every indicator (8 WHO 2006 + 3 WHO 2007).
    """
    columns = {c: frame[c].to_numpy() for c in frame.columns if c != "id"}
    best_clean = best_engine = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        kids = children(columns["sex"], **{k: v for k, v in columns.items() if k != "sex"})
        middle = time.perf_counter()
        compute(kids, rounded=True)
        best_clean = min(best_clean, middle - start)
        best_engine = min(best_engine, time.perf_counter() - middle)
    tracemalloc.start()
    compute(kids, rounded=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return len(frame) / best_clean, len(frame) / best_engine, peak / 2**20


def cli_job(source: Path, target: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``childhealth zscore`` in its own process."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "api.cli", "zscore", str(source), "-o", str(target)],
                   check=True)  # fmt: skip
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kb / 1024


def pandas_io(source: Path, target: Path) -> float:
    start = time.perf_counter()
    pd.read_csv(source).to_csv(target, index=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    frame = synthetic_survey(rows)
    clean_rate, rate, traced = engine(frame)
    print(f"rows: {rows:,}")
    print(f"input cleaning (codes, ages): {clean_rate:,.0f} rows/s")
    print(
        f"engine, all 8 WHO 2006 indicators (+ WHO 2007), rounded and flagged: {rate:,.0f} rows/s;"
        f" peak traced memory {traced:.0f} MB (outputs included)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "survey.csv", Path(tmp) / "out.csv"
        frame.to_csv(source, index=False)
        size = source.stat().st_size / 2**20
        wall, rss = cli_job(source, target)
        print(f"CLI zscore CSV→CSV ({size:.0f} MB in): {wall:.2f} s; peak RSS {rss:.0f} MB")
        plain = pandas_io(source, Path(tmp) / "p.csv")
        print(f"pandas read_csv + to_csv of the same file: {plain:.2f} s")


if __name__ == "__main__":
    main()
