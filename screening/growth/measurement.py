"""Growth flags of one measurement, from its z-scores.

:func:`measurement_flags` (or :func:`flags_for_measurement`, which asks the growth engine for the
z-scores first). Cut-offs are applied to the WHO-rounded z (2 decimals) with strict inequalities,
through the engine's :func:`growth_charts.classify`; each classification maps to a row of the flag
table (``screening.flags``):

- urgent: weight-for-length/height or BMI z < −3 (``GROWTH_SEVERE_WASTING``; 5-19 y BMI:
  ``GROWTH_SEVERE_THINNESS``); MUAC < 11.5 cm at 6-59 completed months (``GROWTH_SAM_MUAC``);
  bilateral pitting oedema (``GROWTH_OEDEMA``);
- refer: length/height-for-age or weight-for-age z < −3; head circumference z < −3 or > +3;
- review: z < −2 (stunting, underweight, wasting, thinness); weight-for-length/height or BMI
  z > +2 (overweight) or > +3 (obese) (WHO 2007 BMI: > +1 overweight, > +2 obese); head
  circumference z < −2 or > +2; MUAC 11.5-12.4 cm at 6-59 months (``GROWTH_MAM_MUAC``);
- implausible z (WHO flag limits, engine's :func:`growth_charts.is_implausible`): an advice flag
  ``GROWTH_IMPLAUSIBLE`` asking the family to re-measure, and **no** other flag from any indicator
  that uses a suspect measurement (weight, length, head, arm), until the caller passes
  ``confirmed=True`` (re-measured and confirmed by a professional).

Within one family (weight-for-length/height/BMI; length/height; weight; head) only the most
severe flag is kept. Only the classifications named in the flag table raise a flag ("possible
risk of overweight", "very tall", "high weight-for-age" do not).

Indicator codes are the engine's, except that the combined weight-for-length/height indicator
(WHO's ``zwfl``) is ``wflh``: the engine's table codes ``wfl``/``wfh`` stay inside the engine and
are refused as input here (:func:`indicator_code` translates an engine code).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Required, TypedDict, Unpack

from growth_charts import children, compute
from growth_charts.anthro import WHO2006_COLUMNS, WHO2007_COLUMNS
from growth_charts.classify import classify_one, is_implausible_one
from screening.flags import Flag, rule
from screening.growth.errors import (
    InvalidMeasurementError,
    check_age_days,
    check_positive,
    check_sex,
)
from screening.growth.rounded import rounded_z
from screening.vocabulary import who_completed_months

WFLH = "wflh"  # weight-for-length/height, WHO's zwfl
FROM_ENGINE: Mapping[str, str] = {"wfl": WFLH, "wfh": WFLH}  # engine table code → ours
# the engine classifies and flag-limits wflh as wfl (wfl and wfh share cut-offs and limits)
_ENGINE_CODE = {WFLH: "wfl"}

# engine classification → flag code, per indicator (None: no flag for that class)
_WFLH = {
    "severe_wasting": "GROWTH_SEVERE_WASTING",
    "wasting": "GROWTH_WASTING",
    "obese": "GROWTH_OBESE",
    "overweight": "GROWTH_OVERWEIGHT",
    "possible_risk_of_overweight": None,
    "normal": None,
}
_HEIGHT = {
    "severe_stunting": "GROWTH_SEVERE_STUNTING",
    "stunting": "GROWTH_STUNTING",
    "very_tall": None,
    "normal": None,
}
_WEIGHT = {
    "severe_underweight": "GROWTH_SEVERE_UNDERWEIGHT",
    "underweight": "GROWTH_UNDERWEIGHT",
    "high_weight_for_age": None,
    "normal": None,
}
CLASS_FLAGS: Mapping[str, Mapping[str, str | None]] = {
    WFLH: _WFLH,
    "bmi": _WFLH,
    "bmi_2007": {
        "severe_thinness": "GROWTH_SEVERE_THINNESS",
        "thinness": "GROWTH_THINNESS",
        "obesity": "GROWTH_OBESE",
        "overweight": "GROWTH_OVERWEIGHT",
        "normal": None,
    },
    "lhfa": _HEIGHT,
    "hfa_2007": _HEIGHT,
    "wfa": _WEIGHT,
    "wfa_2007": _WEIGHT,
    "hcfa": {
        "severe_microcephaly": "GROWTH_SEVERE_MICROCEPHALY",
        "microcephaly": "GROWTH_MICROCEPHALY",
        "macrocephaly": "GROWTH_MACROCEPHALY",
        "normal": None,
    },
    "acfa": {"normal": None},
    "tsfa": {"normal": None},
    "ssfa": {"normal": None},
}
SEVERE_MACROCEPHALY_ABOVE_Z = 3.0  # the engine's "macrocephaly" is z > +2; above +3 refers
# family → its indicators: only the most severe flag of a family is kept
_FAMILIES = {
    WFLH: (WFLH, "bmi", "bmi_2007"),
    "height": ("lhfa", "hfa_2007"),
    "weight": ("wfa", "wfa_2007"),
    "head": ("hcfa",),
    "arm": ("acfa",),
    "triceps": ("tsfa",),
    "subscapular": ("ssfa",),
}
_FAMILY = {code: family for family, codes in _FAMILIES.items() for code in codes}
# which measurements an indicator uses: an implausible z makes them all suspect
_WEIGHT_LENGTH = frozenset({"weight", "length"})
MEASUREMENTS_USED: Mapping[str, frozenset[str]] = {
    "lhfa": frozenset({"length"}),
    "hfa_2007": frozenset({"length"}),
    "wfa": frozenset({"weight"}),
    "wfa_2007": frozenset({"weight"}),
    WFLH: _WEIGHT_LENGTH,
    "bmi": _WEIGHT_LENGTH,
    "bmi_2007": _WEIGHT_LENGTH,
    "hcfa": frozenset({"head"}),
    "acfa": frozenset({"muac"}),
    "tsfa": frozenset({"triceps"}),
    "ssfa": frozenset({"subscapular"}),
}
SAM_MUAC_BELOW_CM = 11.5
MAM_MUAC_BELOW_CM = 12.5
MUAC_MONTHS = (6, 59)  # WHO completed months


def indicator_code(code: str) -> str:
    """Our code of the engine's indicator ``code`` (``wfl``/``wfh`` → ``wflh``; others
    unchanged)."""
    return FROM_ENGINE.get(code, code)


def engine_code(code: str) -> str:
    """The engine code that classifies and flag-limits our ``code`` (``wflh`` → ``wfl``, whose
    cut-offs and limits are those of ``wfh``; others unchanged)."""
    return _ENGINE_CODE.get(code, code)


def _rounded(z: Mapping[str, float | None]) -> dict[str, float]:
    """WHO-rounded z by indicator code, missing values dropped; an unknown code is refused."""
    out: dict[str, float] = {}
    for code, value in z.items():
        if code not in CLASS_FLAGS:
            raise InvalidMeasurementError(field=code, value="unknown indicator")
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        out[code] = rounded_z(float(value))
    return out


def _indicators_text(zs: Mapping[str, float]) -> str:
    return "; ".join(f"{code} z = {value:.2f}" for code, value in zs.items())


def _z_flags(zr: Mapping[str, float], suspect: frozenset[str], base: dict) -> list[Flag]:
    """The most severe z flag(s) of each family, skipping indicators on suspect measurements."""
    by_family: dict[str, list[tuple[str, str, float]]] = {}
    for code, value in zr.items():
        if MEASUREMENTS_USED[code] & suspect:
            continue
        name = classify_one(engine_code(code), value)
        flag_code = CLASS_FLAGS[code][name]
        if flag_code == "GROWTH_MACROCEPHALY" and value > SEVERE_MACROCEPHALY_ABOVE_Z:
            flag_code = "GROWTH_SEVERE_MACROCEPHALY"
        if flag_code is not None:
            by_family.setdefault(_FAMILY[code], []).append((flag_code, code, value))
    flags: list[Flag] = []
    for found in by_family.values():
        top = max(rule(c).severity.rank for c, _, _ in found)
        for flag_code in dict.fromkeys(c for c, _, _ in found if rule(c).severity.rank == top):
            zs = {code: value for c, code, value in found if c == flag_code}
            flags.append(
                rule(flag_code).flag(z=zs, values={**base, "indicators": _indicators_text(zs)})
            )
    return flags


def measurement_flags(
    z: Mapping[str, float | None],
    *,
    age_days: float,
    muac_cm: float | None = None,
    oedema: bool = False,
    confirmed: bool = False,
) -> tuple[Flag, ...]:
    """Flags of one measurement from its z-scores (indicator code → z, rounded or not; None or
    NaN for "not computed"), most severe first. ``age_days`` decides the MUAC rule (6-59
    completed months); evidence ``z`` is keyed by our codes (``wflh``)."""
    check_age_days(age_days)
    check_positive(muac_cm=muac_cm)
    zr = _rounded(z)
    implausible = (
        [] if confirmed else [c for c, v in zr.items() if is_implausible_one(engine_code(c), v)]
    )
    suspect = frozenset().union(*(MEASUREMENTS_USED[c] for c in implausible))
    base = {"age_days": age_days}
    flags = _z_flags(zr, suspect, base)

    months = who_completed_months(int(age_days))
    if muac_cm is not None and "muac" not in suspect and MUAC_MONTHS[0] <= months <= MUAC_MONTHS[1]:
        values = {**base, "muac_cm": muac_cm}
        if muac_cm < SAM_MUAC_BELOW_CM:
            flags.append(rule("GROWTH_SAM_MUAC").flag(values=values))
        elif muac_cm < MAM_MUAC_BELOW_CM:
            flags.append(rule("GROWTH_MAM_MUAC").flag(values=values))
    if oedema:
        flags.append(rule("GROWTH_OEDEMA").flag(values={**base, "oedema": True}))
    if implausible:
        zs = {c: zr[c] for c in implausible}
        values = {**base, "indicators": _indicators_text(zs)}
        values["measurements"] = ", ".join(sorted(suspect))
        flags.append(rule("GROWTH_IMPLAUSIBLE").flag(z=zs, values=values))
    return tuple(sorted(flags, key=lambda f: -f.severity.rank))


class Measurement(TypedDict, total=False):
    """One measurement as keyword arguments: ``sex`` ``"M"``/``"F"``, ``age_days`` (corrected
    for a baby born before 37 weeks), values in kg/cm (None: not measured), ``measure`` ``"L"``
    lying / ``"H"`` standing / None, ``oedema``, and the engine's ``rules`` set."""

    sex: Required[str]
    age_days: Required[float]
    weight_kg: float | None
    length_cm: float | None
    measure: str | None
    head_cm: float | None
    muac_cm: float | None
    oedema: bool
    rules: str


_Z_COLUMNS = {**WHO2006_COLUMNS, **WHO2007_COLUMNS}


def _check_keywords(given: Mapping[str, object]) -> None:
    """The TypeError a plain signature would raise for an unknown or a missing keyword."""
    unknown = sorted(set(given) - set(Measurement.__annotations__))
    if unknown:
        raise TypeError(f"unexpected keyword argument {unknown[0]!r}")
    missing = [name for name in ("sex", "age_days") if name not in given]
    if missing:
        raise TypeError(f"missing required keyword argument {missing[0]!r}")


def measurement_z(**m: Unpack[Measurement]) -> dict[str, float]:
    """Unrounded z of every indicator the growth engine can compute for one measurement
    (weight-for-length/height, WHO's ``zwfl``, is keyed ``wflh``). Impossible inputs raise
    :class:`InvalidMeasurementError` instead of the engine's silent NaN; an unknown keyword is a
    TypeError."""
    _check_keywords(m)
    check_sex(m["sex"])
    check_age_days(m["age_days"])
    if m.get("measure") not in (None, "L", "H"):
        raise InvalidMeasurementError(field="measure", value=m.get("measure"))
    values = {k: m.get(k) for k in ("weight_kg", "length_cm", "head_cm", "muac_cm")}
    check_positive(**values)
    kids = children(
        m["sex"],
        age_days=m["age_days"],
        weight=values["weight_kg"],
        lenhei=values["length_cm"],
        measure=m.get("measure") or "",
        oedema=bool(m.get("oedema")),
        headc=values["head_cm"],
        armc=values["muac_cm"],
    )
    result = compute(kids, rules=m.get("rules", "who-anthro"))  # type: ignore[arg-type]
    out = {}
    for column, code in _Z_COLUMNS.items():
        value = float(result[column][0])
        if not math.isnan(value):
            out[indicator_code(code)] = value
    return out


def flags_for_measurement(
    *, confirmed: bool = False, **measurement: Unpack[Measurement]
) -> tuple[Flag, ...]:
    """:func:`measurement_z` then :func:`measurement_flags` (use the corrected age of a baby
    born before 37 weeks as ``age_days``)."""
    z = measurement_z(**measurement)
    return measurement_flags(
        z,
        age_days=measurement["age_days"],
        muac_cm=measurement.get("muac_cm"),
        oedema=measurement.get("oedema", False),
        confirmed=confirmed,
    )
