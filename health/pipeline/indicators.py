"""Per indicator of one measurement: WHO-rounded and unrounded z, percentile, classification and
the id of the plain-language sentence, chosen from the flags that were raised (never from a
second table of cut-offs).

Indicator names are the service's, one per concept from the engine to the page: ``wfa``,
``lhfa``, ``wflh`` (weight-for-length/height), ``bmi``, ``hcfa``, ``acfa``. From 61 months the
engine reads weight, height and BMI against the WHO 2007 reference (codes ``wfa_2007``,
``hfa_2007``, ``bmi_2007``); the indicator keeps its name and says ``reference="who2007"``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from growth_charts import RULE_SETS, children, compute, percentile
from growth_charts.classify import classify_one
from growth_charts.ws423 import REFERENCE as WS423
from growth_charts.ws423 import batch_columns
from screening import growth as growth_rules
from screening.flags import GROWTH_RULES_VERSION, Flag
from screening.growth.rounded import rounded_z

INDICATORS = ("wfa", "lhfa", "wflh", "bmi", "hcfa", "acfa")
"""The indicators a measurement reports, in display order."""

# engine/screening code → (indicator, reference, stored column)
ENGINE_CODES: Mapping[str, tuple[str, str, str]] = {
    "wfa": ("wfa", "who2006", "z_wfa"),
    "wfa_2007": ("wfa", "who2007", "z_wfa"),
    "lhfa": ("lhfa", "who2006", "z_lhfa"),
    "hfa_2007": ("lhfa", "who2007", "z_lhfa"),
    "wflh": ("wflh", "who2006", "z_wflh"),
    "bmi": ("bmi", "who2006", "z_bmi"),
    "bmi_2007": ("bmi", "who2007", "z_bmi"),
    "hcfa": ("hcfa", "who2006", "z_hcfa"),
    "acfa": ("acfa", "who2006", "z_acfa"),
}
IMPLAUSIBLE = "GROWTH_IMPLAUSIBLE"


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator of one measurement.

    ``z`` is WHO-rounded (2 decimals, what every cut-off reads and the database stores),
    ``z_unrounded`` the engine's value;
    ``percentile`` is 0-100 (1 decimal); ``classification`` the engine's WHO class code;
    ``flag_codes`` the raised flags about this indicator; ``sentence_id`` the catalogue id of
    the parent's sentence (``result.*``), ``clinician_sentence_id`` the clinician's (the name
    and cut-off of the most severe flag, ``flag.<code>.name``, else ``result.clinician.*``)."""

    code: str
    reference: str
    engine_code: str
    z: float
    z_unrounded: float
    percentile: float
    classification: str
    flag_codes: tuple[str, ...]
    sentence_id: str
    clinician_sentence_id: str


def _about(flag: Flag, engine_code: str, indicator: str) -> bool:
    """Whether a one-measurement growth flag speaks about ``indicator`` (series flags do not:
    they judge the trajectory, not this value)."""
    if flag.evidence.rule_version != GROWTH_RULES_VERSION or flag.code == IMPLAUSIBLE:
        return False
    if engine_code in flag.evidence.z:
        return True
    return indicator == "acfa" and "muac_cm" in flag.evidence.values


def suspect_measurements(flags: Iterable[Flag]) -> frozenset[str]:
    """The measurements (weight, length, head, muac) an implausible-value flag names."""
    out: set[str] = set()
    for flag in flags:
        if flag.code == IMPLAUSIBLE:
            named = str(flag.evidence.values.get("measurements") or "")
            out.update(m.strip() for m in named.split(",") if m.strip())
    return frozenset(out)


def sentence_id(z: float, classification: str, flags: Iterable[Flag], suspect: bool) -> str:
    """The parent's sentence for one indicator (``z`` WHO-rounded): a re-measure request when a
    value it uses is implausible; else what the most severe raised flag about it says (urgent,
    refer, review); else a description without a promise of review (usual, low, high, tall)."""
    if suspect:
        return "result.implausible"
    found = sorted(flags, key=lambda f: -f.severity.rank)
    side = "low" if z < 0 else "high"
    if found and found[0].severity.rank > 0:
        return f"result.{side}.{found[0].severity}"
    if -2 <= z <= 2:
        return "result.usual"
    return "result.tall" if classification == "very_tall" else f"result.{side}"


CLINICIAN_SENTENCES = {
    "implausible": "result.clinician.implausible",
    "usual": "result.clinician.usual",
    "low": "result.clinician.low",
    "high": "result.clinician.high",
}


def clinician_sentence_id(z: float, flags: Iterable[Flag], suspect: bool) -> str:
    """The clinician's words for one indicator (``z`` WHO-rounded): the implausible-value note;
    else the name and cut-off of the most severe raised flag about it; else where z lies
    (−2 ≤ z ≤ +2, below −2 or above +2 with no alert)."""
    if suspect:
        return CLINICIAN_SENTENCES["implausible"]
    found = sorted(flags, key=lambda f: -f.severity.rank)
    if found and found[0].severity.rank > 0:
        return f"flag.{found[0].code.lower()}.name"
    if -2 <= z <= 2:
        return CLINICIAN_SENTENCES["usual"]
    return CLINICIAN_SENTENCES["low" if z < 0 else "high"]


def indicator_results(z: Mapping[str, float], flags: Iterable[Flag]) -> tuple[IndicatorResult, ...]:
    """Every indicator with a z in ``z`` (engine codes → unrounded z), in :data:`INDICATORS`
    order, each with its sentence chosen from ``flags`` (the flags that were raised)."""
    flags = tuple(flags)
    suspect = suspect_measurements(flags)
    out = {}
    for engine_code, value in z.items():
        if engine_code not in ENGINE_CODES or value is None or math.isnan(value):
            continue
        indicator, reference, _ = ENGINE_CODES[engine_code]
        if indicator in out:  # 61-61.9 months: WHO 2006 first, as stored (stored_columns)
            continue
        rounded = rounded_z(float(value))
        classification = classify_one(growth_rules.engine_code(engine_code), rounded)
        about = [f for f in flags if _about(f, engine_code, indicator)]
        suspect_value = bool(growth_rules.MEASUREMENTS_USED[engine_code] & suspect)
        out[indicator] = IndicatorResult(
            code=indicator,
            reference=reference,
            engine_code=engine_code,
            z=rounded,
            z_unrounded=float(value),
            percentile=round(float(percentile([rounded])[0]), 1),
            classification=classification,
            flag_codes=tuple(f.code for f in about),
            sentence_id=sentence_id(rounded, classification, about, suspect_value),
            clinician_sentence_id=clinician_sentence_id(rounded, about, suspect_value),
        )
    return tuple(out[code] for code in INDICATORS if code in out)


def stored_columns(z: Mapping[str, float]) -> dict[str, float]:
    """WHO-rounded z per stored column (``z_wfa`` …) of the engine's z."""
    out: dict[str, float] = {}
    for engine_code, value in z.items():
        if engine_code in ENGINE_CODES and value is not None and not math.isnan(value):
            out.setdefault(ENGINE_CODES[engine_code][2], rounded_z(float(value)))
    return out


@dataclass(frozen=True)
class ReferenceIndicator:
    """One indicator of one measurement against a second reference (``reference`` ``ws423``):
    ``z`` rounded to 2 decimals, ``category`` the standard's code (``underweight`` …,
    ``normal``; ``""`` for head circumference, which has none). Flags are not raised on it."""

    code: str
    reference: str
    z: float
    category: str


_WS423_COLUMNS = (("wfa", "zwei", "gwei"), ("lhfa", "zlen", "glen"), ("wflh", "zwfl", "gwfl"),
                  ("bmi", "zbmi", "gbmi"), ("hcfa", "zhc", ""))  # fmt: skip


def ws423_indicators(
    sex: str,
    age_days: float,
    weight_kg: float | None,
    length_cm: float | None,
    measure: str | None,
    head_cm: float | None,
    rule_set: str = "who-anthro",
) -> tuple[ReferenceIndicator, ...]:
    """The measurement against China's WS/T 423-2022 (``growth_charts.ws423``), at ``age_days``
    (the age the pipeline used), in :data:`INDICATORS` order; indicators outside the
    standard's tables are left out. Length is corrected for position as for WHO, by the
    engine rule set of ``rule_set`` (the stored ``who-anthro+growth-flags-…`` names it)."""
    kids = children(
        np.array([sex]), age_days=[age_days],
        weight=[np.nan if weight_kg is None else weight_kg],
        lenhei=[np.nan if length_cm is None else length_cm],
        measure=np.array([(measure or "").lower()]),
        headc=[np.nan if head_cm is None else head_cm],
    )  # fmt: skip
    engine_rules = rule_set.split("+", 1)[0]  # stored as "who-anthro+growth-flags-1.0"
    who = compute(kids, engine_rules if engine_rules in RULE_SETS else "who-anthro")  # type: ignore[arg-type]
    day = math.floor(age_days + 0.5)  # half up, as every age lookup
    columns = batch_columns(
        kids.sex, kids.age_days, kids.weight, who["clenhei"], who["cbmi"], kids.headc,
        np.zeros(1, dtype=bool), np.array([day < 731]),
    )  # fmt: skip
    out = []
    for code, z_column, category_column in _WS423_COLUMNS:
        z = float(columns[z_column][0])
        if not math.isnan(z):
            category = str(columns[category_column][0]) if category_column else ""
            out.append(ReferenceIndicator(code, WS423, z, category))
    return tuple(out)
