"""Synthetic provinces in the exchange format, generated with vectorised numpy (no loop over
children): the benchmark's million children and the demo data's few thousand.

Children are 0–7 years old on ``today``; growth follows the WHO standards (a per-child z-score
with measurement noise, shifted for a stunted, wasted or overweight share); checks follow the
schedule file with a compliance that differs by county; dates never pass ``today``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from growth_charts.age import LENGTH_HEIGHT_SWITCH_DAY
from health import demo_names
from health.schedule import Schedule, load_schedule

DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Layout:
    """Sizes of the synthetic province."""

    cities: int = 4
    counties_per_city: int = 3
    townships_per_county: int = 4
    facilities_per_township: int = 1


def geography(layout: Layout, rng: np.random.Generator) -> dict[str, pa.Table]:
    """Areas, clinics (one per township) and facilities (each linked to its township's clinic,
    or now and then to the neighbouring township's), with per-county check compliance."""
    codes, names, levels, parents = ["P"], ["示范省"], ["province"], [""]
    townships: list[str] = []
    county_of: list[int] = []
    county = 0
    for c in range(1, layout.cities + 1):
        city = f"P{c:02d}"
        codes.append(city), names.append(demo_names.city(c - 1)), levels.append("city")
        parents.append("P")
        for k in range(1, layout.counties_per_city + 1):
            cty = f"{city}{k:02d}"
            codes.append(cty), names.append(demo_names.county(7 + county)), levels.append("county")
            parents.append(city)
            for t in range(1, layout.townships_per_county + 1):
                town = f"{cty}{t:03d}"
                codes.append(town), names.append(demo_names.township(101 + len(townships)))
                levels.append("township"), parents.append(cty)
                townships.append(town)
                county_of.append(county)
            county += 1
    areas = pa.table({"code": codes, "name": names, "level": levels, "parent_code": parents})
    clinic_codes = [f"H{t}" for t in townships]
    town_names = dict(zip(codes, names, strict=True))
    clinics = pa.table(
        {"code": clinic_codes, "name": [demo_names.clinic(town_names[t]) for t in townships],
         "area_code": townships}
    )  # fmt: skip
    f_codes, f_names, f_areas, f_clinics = [], [], [], []
    for i, town in enumerate(townships):
        for j in range(layout.facilities_per_township):
            linked = (
                clinic_codes[(i + 1) % len(townships)] if rng.random() < 0.1 else clinic_codes[i]
            )
            f_codes.append(f"N{town}{j}")
            f_names.append(demo_names.nursery(town_names[town], i + j))
            f_areas.append(town), f_clinics.append(linked)
    facilities = pa.table(
        {"code": f_codes, "name": f_names, "area_code": f_areas, "clinic_code": f_clinics}
    )
    counties = max(county, 1)
    compliance = np.clip(rng.normal(0.93, 0.04, counties), 0.75, 0.995)
    return {
        "areas": areas,
        "clinics": clinics,
        "facilities": facilities,
        "_townships": pa.table({"code": townships, "county": county_of}),
        "_compliance": pa.table({"p": compliance}),
    }


@dataclass
class ChildrenChunk:
    """One chunk of synthetic children with the hidden growth traits used for their checks."""

    table: pa.Table
    birth: np.ndarray  # datetime64[D]
    sex: np.ndarray  # "M"/"F"
    township: np.ndarray  # index into the township list
    z_height: np.ndarray
    z_weight: np.ndarray  # weight-for-age z trait
    falter: np.ndarray  # bool: weight trait drops after 6 months


def children_chunk(
    rng: np.random.Generator,
    first: int,
    n: int,
    today: dt.date,
    geo: dict[str, pa.Table],
) -> ChildrenChunk:
    """``n`` children numbered from ``first``: born within 7 years before ``today``."""
    end = np.datetime64(today, "D")
    birth = end - rng.integers(0, 7 * 365 + 1, n) * DAY
    sex = np.where(rng.random(n) < 0.515, "M", "F")
    towns = geo["_townships"]["code"].to_numpy(zero_copy_only=False)
    weights = rng.dirichlet(np.full(len(towns), 8.0))
    town = rng.choice(len(towns), n, p=weights)
    resident = np.where(rng.random(n) < 0.93, "1", "0")
    age_days = (end - birth).astype(np.int64)
    fac_codes = geo["facilities"]["code"].to_numpy(zero_copy_only=False)
    fac_town = {a: i for i, a in enumerate(geo["facilities"]["area_code"].to_pylist())}
    fac_index = np.array([fac_town.get(t, -1) for t in towns])[town]
    enrolled = (age_days > 365) & (rng.random(n) < 0.35) & (fac_index >= 0)
    facility = np.where(enrolled, fac_codes[np.maximum(fac_index, 0)], None)
    weeks = np.round(np.clip(rng.normal(39.0, 1.6, n), 28, 42), 1)
    weeks_col = pa.array(np.where(rng.random(n) < 0.8, weeks, np.nan), from_pandas=True)
    ids = np.char.mod("C%08d", np.arange(first, first + n))
    kind = rng.random(n)
    z_h = rng.normal(0, 1, n) - np.where(kind < 0.08, 1.6, 0.0)  # ~8 % pushed towards stunting
    z_w = 0.6 * z_h + rng.normal(0, 0.8, n)
    z_w -= np.where((kind >= 0.08) & (kind < 0.12), 1.8, 0.0)  # wasted share
    z_w += np.where((kind >= 0.12) & (kind < 0.20), 1.9, 0.0)  # overweight share
    falter = (kind >= 0.20) & (kind < 0.24)
    table = pa.table(
        {
            "child_id": ids,
            "sex": sex,
            "birth_date": pa.array(birth),
            "area_code": towns[town],
            "resident": resident,
            "facility_code": pa.array(facility, pa.string()),
            "gestational_weeks": weeks_col,
        }
    )
    return ChildrenChunk(table, birth, sex, town, z_h, z_w, falter)


def checks_for(
    rng: np.random.Generator,
    kids: ChildrenChunk,
    today: dt.date,
    geo: dict[str, pa.Table],
    schedule: Schedule,
    *,
    measurements: bool = True,
) -> pa.Table:
    """Checks of a chunk of children per the schedule: each done with the county's compliance
    (a child's own propensity added), dated inside the window mostly, late now and then."""
    end = np.datetime64(today, "D")
    county = geo["_townships"]["county"].to_numpy()[kids.township]
    p = geo["_compliance"]["p"].to_numpy()[county]
    propensity = rng.normal(0, 0.04, len(p))
    clinic_codes = geo["clinics"]["code"].to_numpy(zero_copy_only=False)
    parts = []
    for item in schedule.checks:
        target, opens, closes = item.windows(kids.birth)
        span = np.maximum((closes - opens).astype(np.int64), 0)
        date = opens + (rng.random(len(p)) * (span + 1)).astype(np.int64) * DAY
        late = rng.random(len(p)) < 0.04
        date = np.where(late, closes + rng.integers(1, 60, len(p)) * DAY, date)
        done = (rng.random(len(p)) < p + propensity) & (date <= end)
        idx = np.flatnonzero(done)
        parts.append((idx, date[idx], item.kind, target[idx]))
    idx = np.concatenate([x[0] for x in parts])
    dates = np.concatenate([x[1] for x in parts])
    kinds = np.concatenate([np.full(len(x[0]), x[2]) for x in parts])
    order = np.lexsort((dates, idx))
    idx, dates, kinds = idx[order], dates[order], kinds[order]
    columns: dict[str, pa.Array] = {
        "child_id": kids.table["child_id"].take(pa.array(idx)),
        "date": pa.array(dates),
        "kind": kinds,
        "clinic_code": clinic_codes[kids.township[idx]],
    }
    n = len(idx)
    if measurements and n:
        columns.update(_measurements(rng, kids, idx, dates))
    else:
        for name in ("weight_kg", "length_cm", "measure", "head_cm", "hb_g_l"):
            columns[name] = pa.nulls(n, pa.string())
    return pa.table(columns)


def _measurements(
    rng: np.random.Generator, kids: ChildrenChunk, idx: np.ndarray, dates: np.ndarray
) -> dict[str, pa.Array]:
    """Weight, length/height, head circumference and haemoglobin at each check."""
    from growth_charts import value_at_z

    n = len(idx)
    age = (dates - kids.birth[idx]).astype(np.int64)
    sex = kids.sex[idx]
    z_h = kids.z_height[idx] + rng.normal(0, 0.15, n)
    z_w = kids.z_weight[idx] + rng.normal(0, 0.2, n)
    z_w -= np.where(kids.falter[idx], np.clip((age - 180) / 365, 0, 1.5), 0.0)
    age_c = np.minimum(age, 1856)
    weight = np.round(value_at_z("wfa", sex, age_c, z_w), 2)
    length = np.round(value_at_z("lhfa", sex, age_c, z_h), 1)
    head = np.round(value_at_z("hcfa", sex, age_c, 0.7 * z_h + rng.normal(0, 0.7, n)), 1)
    head = np.where(age <= 3 * 365, head, np.nan)
    hb = np.round(rng.normal(122, 11, n))
    hb = np.where((age >= 180) & (rng.random(n) < 0.3), hb, np.nan)
    measure = np.where(age < LENGTH_HEIGHT_SWITCH_DAY, "L", "H")
    return {
        "weight_kg": pa.array(weight, from_pandas=True),
        "length_cm": pa.array(length, from_pandas=True),
        "measure": measure,
        "head_cm": pa.array(head, from_pandas=True),
        "hb_g_l": pa.array(hb, from_pandas=True),
    }


def generate(
    n_children: int,
    today: dt.date,
    *,
    seed: int = 1,
    layout: Layout | None = None,
    chunk: int = 100_000,
    measurements: bool = True,
) -> Iterator[tuple[str, pa.Table]]:
    """``(file name, table)`` pieces of a synthetic exchange folder, in file order; children and
    checks come in chunks of ``chunk`` children. Deterministic for a given ``seed``."""
    rng = np.random.default_rng(seed)
    geo = geography(layout or Layout(), rng)
    for name in ("areas", "clinics", "facilities"):
        yield name + ".csv", geo[name]
    schedule = load_schedule()
    chunks = []
    for first in range(0, n_children, chunk):
        kids = children_chunk(rng, first, min(chunk, n_children - first), today, geo)
        chunks.append(kids)
        yield "children.csv", kids.table
    for kids in chunks:
        yield "checks.csv", checks_for(rng, kids, today, geo, schedule, measurements=measurements)


def write_folder(folder: Path, pieces: Iterator[tuple[str, pa.Table]]) -> dict[str, int]:
    """Write generated pieces as exchange CSV files (appending chunks); rows written per file."""
    folder.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pcsv.CSVWriter] = {}
    rows: dict[str, int] = {}
    try:
        for name, table in pieces:
            if name not in writers:
                writers[name] = pcsv.CSVWriter(
                    str(folder / name), table.schema,
                    write_options=pcsv.WriteOptions(quoting_style="none"),
                )  # fmt: skip
            writers[name].write_table(table)
            rows[name] = rows.get(name, 0) + table.num_rows
    finally:
        for writer in writers.values():
            writer.close()
    return rows
