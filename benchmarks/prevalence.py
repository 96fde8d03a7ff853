"""Benchmark: WHO prevalence table for 1,000,000 children, 500 clusters in 20 strata.

Full design (weights, clusters, strata) and every row grouping (age, sex, age × sex, area,
region, wealth quintile, mother's education, one free grouping). The z-scores are synthetic
(normal, rounded to 2 decimals, with ~1 % flagged and ~0.3 % oedema); the time is that of
``growth_charts.prevalence.prevalence`` alone. Prints wall time, the peak of memory allocated
during the call (tracemalloc) and the process's peak resident size.

    .venv/bin/python benchmarks/prevalence.py [--children N]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from growth_charts.prevalence import PrevalenceWarning, prevalence


def synthetic_survey(n: int, seed: int = 2024) -> pd.DataFrame:
    """``n`` children in 20 strata × 25 clusters, with weights and grouping columns."""
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 20, n)
    cluster = stratum * 25 + rng.integers(0, 25, n)  # 500 clusters, nested in strata
    frame = pd.DataFrame(
        {
            "sex": rng.integers(1, 3, n),
            "age_days": rng.uniform(0, 1856, n),
            "oedema": np.where(rng.random(n) < 0.003, "y", "n"),
            "sw": rng.uniform(50, 400, n),
            "cluster": cluster,
            "strata": stratum,
            "typeres": np.where(rng.random(n) < 0.6, "Rural", "Urban"),
            "gregion": rng.choice(["North", "South", "East", "West", "Centre"], n),
            "wealthq": rng.integers(1, 6, n),
            "mothered": rng.choice(["None", "Primary", "Secondary"], n),
            "othergr": rng.integers(1, 4, n),
        }
    )
    for name, mean, limit in (("len", -1.2, 6), ("wei", -0.8, 5), ("wfl", -0.2, 5),
                              ("bmi", -0.1, 5)):  # fmt: skip
        z = np.round(rng.normal(mean, 1.3, n), 2)
        frame["z" + name] = z
        frame["f" + name] = (np.abs(z) > limit).astype(float)
    weight_based = ["zwei", "zwfl", "zbmi"]
    frame.loc[frame["oedema"] == "y", weight_based] = np.nan
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    args = parser.parse_args()
    frame = synthetic_survey(args.children)
    options = {"weights": "sw", "cluster": "cluster", "strata": "strata", "typeres": "typeres",
               "gregion": "gregion", "wealthq": "wealthq", "mothered": "mothered",
               "othergr": "othergr"}  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrevalenceWarning)  # the synthetic ages pass 1826 days
        start = time.perf_counter()
        table = prevalence(frame, **options)
        elapsed = time.perf_counter() - start
        tracemalloc.start()  # a second, traced run: tracing slows numpy allocations down
        prevalence(frame, **options)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"children: {args.children:,}  rows out: {len(table)}  columns: {table.shape[1]}")
    print(f"prevalence time (full design, all groupings): {elapsed:.2f} s")
    print(f"peak memory allocated during the call: {peak / 2**20:.0f} MiB")
    print(f"process peak resident size (input frame included): {rss_mb:.0f} MiB")


if __name__ == "__main__":
    main()
