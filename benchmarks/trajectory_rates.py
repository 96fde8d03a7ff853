"""Referral rates of the trajectory rules on the demo province (``docs/trajectory.md``).

    .venv/bin/python benchmarks/trajectory_rates.py                  # seed 7, 3000 children
    .venv/bin/python benchmarks/trajectory_rates.py --children 1000 --db /tmp/demo.db

Seeds the demo province (``health.demo.seed_demo``, the same call as ``childhealth seed-demo``)
into a fresh SQLite file, then prints, per rule, how many measurements and children it fires on:

1. as the pipeline stored them: the home entries held for a re-measure
   (``GROWTH_TRAJECTORY_*``) and the weight velocity reviews (``GROWTH_WEIGHT_VELOCITY_LOW``),
   over the demo's measurements (its clinic measurements and home entries);
2. the same thresholds over every consecutive pair of the province's check series (the clinic
   checks of every child, imported without the pipeline): how often the re-measure rule would
   fire if those values had come from home, and how often weight velocity falls below the 5th
   centile over a covered interval. Pairs scored at once (``pair_scores``, vectorised).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from growth_charts.age import corrected_age_days
from health.db import make_engine
from health.demo import seed_demo
from health.migrate import upgrade
from screening.growth.trajectory import (
    REMEASURE_ABOVE_Z,
    VELOCITY_REVIEW_BELOW_Z,
    pair_scores,
)

TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 1, 0, tzinfo=dt.UTC)
COLUMNS = {"weight": "weight_kg", "length": "length_cm", "head": "head_cm"}


def stored_rates(engine) -> None:
    """Rule by rule, the measurements and children the pipeline flagged while seeding."""
    with engine.connect() as c:
        m = pd.read_sql("SELECT id, child_id, source, weight_kg, status FROM measurements", c)
        f = pd.read_sql(
            "SELECT code, child_id, source_id FROM flags WHERE source_kind = 'measurement'", c
        )
        requests = pd.read_sql("SELECT measurement_id FROM remeasure_requests", c)
    print(f"measurements stored: {len(m)} ({(m.source == 'home').sum()} home) "
          f"of {m.child_id.nunique()} children")  # fmt: skip
    for source in ("home", "clinic"):
        part = m[m.source == source]
        print(f"  {source}: {len(part)} measurements, {part.child_id.nunique()} children, "
              f"{part.weight_kg.notna().sum()} with a weight")  # fmt: skip
    f = f.merge(m[["id", "source"]], left_on="source_id", right_on="id", how="left")
    for code in ("GROWTH_TRAJECTORY_WEIGHT", "GROWTH_TRAJECTORY_LENGTH",
                 "GROWTH_TRAJECTORY_HEAD", "GROWTH_WEIGHT_VELOCITY_LOW"):  # fmt: skip
        hit = f[f.code == code]
        by = ", ".join(f"{s} {n}" for s, n in hit.groupby("source").size().items()) or "none"
        print(f"  {code}: {len(hit)} measurements ({by}), {hit.child_id.nunique()} children")
    print(f"  re-measure requests (all rules, WHO limits included): {len(requests)}")


def check_pairs(engine) -> None:
    """The thresholds over every consecutive pair of each child's clinic checks."""
    with engine.connect() as c:
        k = pd.read_sql(
            "SELECT k.child_id, c.sex, c.birth_date, c.gestational_weeks, k.check_date, "
            "k.weight_kg, k.length_cm, k.measure, k.head_cm "
            "FROM checks k JOIN children c ON c.id = k.child_id",
            c,
        )
    k["age"] = (pd.to_datetime(k.check_date) - pd.to_datetime(k.birth_date)).dt.days
    weeks = k.gestational_weeks.astype(float).fillna(np.nan).to_numpy()
    k["used"] = np.maximum(corrected_age_days(k.age.to_numpy(float), weeks), 0)
    k = k.sort_values(["child_id", "used"], kind="stable")
    print(f"checks: {len(k)} rows of {k.child_id.nunique()} children")
    for measure, column in COLUMNS.items():
        s = k[k[column].notna()]
        first = s.groupby("child_id").cumcount() == 0
        prev = s.shift(1)
        pairs = s[~first.to_numpy() & (s.used.to_numpy() > prev.used.to_numpy())]
        before = prev.loc[pairs.index]
        started = time.perf_counter()
        scores = pair_scores(measure, pairs.sex.to_numpy(), before.used.to_numpy(),
                             pairs.used.to_numpy(), before[column].to_numpy(float),
                             pairs[column].to_numpy(float), before.measure.fillna("").to_numpy(),
                             pairs.measure.fillna("").to_numpy())  # fmt: skip
        took = time.perf_counter() - started
        judged = scores.method != ""
        off = judged & (np.abs(scores.z) > REMEASURE_ABOVE_Z)
        vel = scores.method == "velocity"
        cond = scores.method == "conditional"
        print(f"  {measure}: {len(pairs)} pairs ({took * 1000:.0f} ms), judged {judged.sum()} "
              f"(velocity {vel.sum()}, conditional {cond.sum()})")  # fmt: skip
        print(f"    |z| > {REMEASURE_ABOVE_Z:g}: {off.sum()} pairs "
              f"({100 * off.sum() / max(judged.sum(), 1):.2f} % of judged), "
              f"{pairs.child_id[off].nunique()} children "
              f"(velocity {(off & vel).sum()}, conditional {(off & cond).sum()})")  # fmt: skip
        if measure == "weight":
            low = vel & (scores.velocity_z < VELOCITY_REVIEW_BELOW_Z)
            print(
                f"    weight velocity z < {VELOCITY_REVIEW_BELOW_Z}: {low.sum()} of {vel.sum()}"
                f" covered pairs ({100 * low.sum() / max(vel.sum(), 1):.1f} %), "
                f"{pairs.child_id[low].nunique()} of {pairs.child_id[vel].nunique()} children"
            )
            z = scores.velocity_z[vel]
            z = z[np.isfinite(z)]
            print(f"    velocity z of covered pairs: mean {z.mean():.2f}, SD {z.std():.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="SQLite file (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trajectory-") as tmp:
        path = args.db or Path(tmp) / "demo.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        started = time.perf_counter()
        seed_demo(engine, today=TODAY, now=NOW, seed=args.seed, children=args.children)
        print(f"demo province: seed {args.seed}, {args.children} children, today {TODAY}, "
              f"seeded in {time.perf_counter() - started:.0f} s")  # fmt: skip
        stored_rates(engine)
        check_pairs(engine)
        engine.dispose()


if __name__ == "__main__":
    main()
