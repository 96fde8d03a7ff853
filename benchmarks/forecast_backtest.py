"""Back-test of the coverage forecast (``health.forecast``) on the demo province.

    .venv/bin/python benchmarks/forecast_backtest.py                  # the demo: 3,000 children
    .venv/bin/python benchmarks/forecast_backtest.py --children 60000 --year 2024

Builds the demo province's exchange data (``health.synthetic`` with the demo's layout and seed,
dated ``--today``, after the year's end) in a temporary SQLite file, then for each forecast day
(30 June and 30 September of ``--year``) and each grouping (counties, townships, clinics) compares
every unit's projected rate with the year's actual figure from ``health.coverage.coverage``:
mean absolute error (percentage points), the mean error (bias), and the share of units whose
actual rate fell inside the 80 % interval. Units with fewer than ``--min-children`` children in
the denominator are left out of the figures (their rates move by whole tens of percent).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from sqlmodel import Session

    from health.coverage import coverage
    from health.db import make_engine
    from health.demo import DEMO_LAYOUT
    from health.exchange import import_folder
    from health.forecast import forecast
    from health.migrate import upgrade
    from health.periods import Period
    from health.synthetic import generate, write_folder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--today", default="2025-03-01")
    parser.add_argument("--min-children", type=int, default=20)
    args = parser.parse_args()
    today = dt.date.fromisoformat(args.today)
    with tempfile.TemporaryDirectory(prefix="childhealth-backtest-") as tmp:
        folder = Path(tmp) / "exchange"
        write_folder(folder, generate(args.children, today, seed=args.seed, layout=DEMO_LAYOUT,
                                      measurements=False))  # fmt: skip
        engine = make_engine(f"sqlite:///{tmp}/backtest.db")
        upgrade(engine)
        import_folder(engine, folder, today=today)
        print(f"demo province: {args.children} children, seed {args.seed}, data to {today}")
        print(f"{'made on':<11}{'units':<10}{'indicator':<29}{'n':>4}{'MAE pp':>8}"
              f"{'bias pp':>9}{'in 80 %':>9}{'seconds':>9}")  # fmt: skip
        with Session(engine) as session:
            for on in (dt.date(args.year, 6, 30), dt.date(args.year, 9, 30)):
                for label, by, level in (("counties", "area", "county"),
                                         ("townships", "area", "township"),
                                         ("clinics", "clinic", "township")):  # fmt: skip
                    t = time.perf_counter()
                    rows = forecast(session, args.year, on, by=by, level=level)  # type: ignore[arg-type]
                    seconds = time.perf_counter() - t
                    actual = {
                        (r.unit_code, r.indicator): r
                        for r in coverage(session, Period.year(args.year), by=by, level=level)  # type: ignore[arg-type]
                    }
                    for indicator in ("infant_health_management", "child_health_management_0_6",
                                      "newborn_visit"):  # fmt: skip
                        errors, inside = [], 0
                        for r in rows:
                            a = actual[(r.unit_code, r.indicator)]
                            if r.indicator != indicator or r.projected_rate is None:
                                continue
                            if a.rate is None or a.denominator < args.min_children:
                                continue
                            errors.append(r.projected_rate - a.rate)
                            inside += int(r.low <= a.rate <= r.high)  # type: ignore[operator]
                        if not errors:
                            continue
                        n = len(errors)
                        mae = 100 * sum(abs(e) for e in errors) / n
                        bias = 100 * sum(errors) / n
                        print(f"{on.isoformat():<11}{label:<10}{indicator:<29}{n:>4}{mae:>8.2f}"
                              f"{bias:>9.2f}{100 * inside / n:>8.0f}%{seconds:>9.2f}")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
