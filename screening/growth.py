"""Growth flags: one measurement's z-scores, a child's weight series, and haemoglobin.

One measurement (:func:`measurement_flags`, or :func:`flags_for_measurement` which asks the growth
engine for the z-scores first). Cut-offs are applied to the WHO-rounded z (2 decimals) with strict
inequalities, through the engine's :func:`growth_charts.classify`; each classification maps to a
row of the flag table (``screening.flags``):

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

Series (:func:`series_flags`) are judged at the latest measurement:

- faltering (NICE NG75): weight-for-age fallen from the first measurement of the series
  (normally birth) by ≥ 1 centile space if that start was below the 9th centile (z < −4/3),
  ≥ 2 spaces between the 9th and 91st, ≥ 3 spaces above the 91st (z > 4/3), one space being
  2/3 z; or now below the 2nd centile (z < −2). Judged from 14 days of age on;
- rapid weight gain: weight-for-age z up by more than 0.67 from the lowest earlier value, both in
  infancy (age < 12 months, i.e. ≤ 365 days);
- early weight loss: more than 10 % of birth weight lost, latest measurement before 21 days;
- birth weight not regained by 3 weeks: latest measurement at ≥ 21 days still below it.

Measurements on days 1-13 are not used as the start of faltering or rapid-gain comparisons:
the normal early weight loss would make every later value look like a gain. Babies born before
37 weeks: pass z-scores at corrected age (:func:`weight_series` does it).

Anaemia (:func:`anaemia`): haemoglobin in g/L against a versioned cut-off table
(``reference_data/instruments/hb-cutoffs/``: WHO 2011 by default, < 110 g/L at 6-59 months; WHO
2024 as the alternative, < 105 g/L at 6-23 months), age in WHO completed months.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from growth_charts import INDICATORS, children, classify, compute, is_implausible, round_z, zscore
from growth_charts.age import corrected_age_days
from growth_charts.anthro import WHO2006_COLUMNS, WHO2007_COLUMNS
from screening import reference
from screening.ages import months_from_days, who_completed_months
from screening.errors import ScreeningInputError
from screening.flags import Flag, Severity, rule


class InvalidMeasurementError(ScreeningInputError):
    """A measurement, age, sex or indicator that cannot be used (named by ``field``)."""

    message_id = "error.growth.invalid_measurement"


class SeriesError(ScreeningInputError):
    """A weight series that cannot be judged; ``reason`` is one of :attr:`REASONS`, each with
    its own catalogue text ``error.growth.invalid_series.<reason>``."""

    message_id = "error.growth.invalid_series"
    REASONS = ("empty", "length_mismatch", "duplicate_day")

    def __init__(self, *, reason: str, **params: object) -> None:
        self.message_id = f"{type(self).message_id}.{reason}"  # type: ignore[misc]
        super().__init__(reason=reason, **params)


# --------------------------------------------------------------------------------------------
# One measurement

# engine classification → flag code, per indicator (None: no flag for that class)
_WFH = {
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
    "wfl": _WFH,
    "wfh": _WFH,
    "bmi": _WFH,
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
_FAMILY = {
    "wfl": "wfh",
    "wfh": "wfh",
    "bmi": "wfh",
    "bmi_2007": "wfh",
    "lhfa": "height",
    "hfa_2007": "height",
    "wfa": "weight",
    "wfa_2007": "weight",
    "hcfa": "head",
    "acfa": "arm",
    "tsfa": "triceps",
    "ssfa": "subscapular",
}
# which measurements an indicator uses: an implausible z makes them all suspect
MEASUREMENTS_USED: Mapping[str, frozenset[str]] = {
    "lhfa": frozenset({"length"}),
    "hfa_2007": frozenset({"length"}),
    "wfa": frozenset({"weight"}),
    "wfa_2007": frozenset({"weight"}),
    "wfl": frozenset({"weight", "length"}),
    "wfh": frozenset({"weight", "length"}),
    "bmi": frozenset({"weight", "length"}),
    "bmi_2007": frozenset({"weight", "length"}),
    "hcfa": frozenset({"head"}),
    "acfa": frozenset({"muac"}),
    "tsfa": frozenset({"triceps"}),
    "ssfa": frozenset({"subscapular"}),
}
SAM_MUAC_BELOW_CM = 11.5
MAM_MUAC_BELOW_CM = 12.5
MUAC_MONTHS = (6, 59)  # WHO completed months


def _rounded(z: Mapping[str, float | None]) -> dict[str, float]:
    out: dict[str, float] = {}
    for code, value in z.items():
        if code not in INDICATORS:
            raise InvalidMeasurementError(field=code, value="unknown indicator")
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        out[code] = float(round_z(float(value)))
    return out


def _indicators_text(zs: Mapping[str, float]) -> str:
    return "; ".join(f"{code} z = {value:.2f}" for code, value in zs.items())


def measurement_flags(
    z: Mapping[str, float | None],
    *,
    age_days: float,
    muac_cm: float | None = None,
    oedema: bool = False,
    confirmed: bool = False,
) -> tuple[Flag, ...]:
    """Flags of one measurement from its z-scores (indicator code → z, rounded or not; None or
    NaN for "not computed"). ``age_days`` decides the MUAC rule (6-59 completed months)."""
    if age_days is None or age_days < 0:
        raise InvalidMeasurementError(field="age_days", value=age_days)
    if muac_cm is not None and not muac_cm > 0:
        raise InvalidMeasurementError(field="muac_cm", value=muac_cm)
    zr = _rounded(z)
    implausible = [] if confirmed else [c for c, v in zr.items() if bool(is_implausible(c, [v])[0])]
    suspect = frozenset().union(*(MEASUREMENTS_USED[c] for c in implausible))
    base = {"age_days": age_days}

    by_family: dict[str, list[tuple[str, str, float]]] = {}
    for code, value in zr.items():
        if MEASUREMENTS_USED[code] & suspect:
            continue
        name = str(classify(code, [value])[0])
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
        flags.append(
            rule("GROWTH_IMPLAUSIBLE").flag(
                z=zs,
                values={
                    **base,
                    "indicators": _indicators_text(zs),
                    "measurements": ", ".join(sorted(suspect)),
                },
            )
        )
    return tuple(sorted(flags, key=lambda f: -f.severity.rank))


_Z_COLUMNS = {**WHO2006_COLUMNS, **WHO2007_COLUMNS}


def measurement_z(
    *,
    sex: str,
    age_days: float,
    weight_kg: float | None = None,
    length_cm: float | None = None,
    measure: str | None = None,
    head_cm: float | None = None,
    muac_cm: float | None = None,
    oedema: bool = False,
    rules: str = "who-anthro",
) -> dict[str, float]:
    """Unrounded z of every indicator the growth engine can compute for one measurement
    (weight-for-length/height is keyed ``wfl``, as WHO's ``zwfl``). Impossible inputs raise
    :class:`InvalidMeasurementError` instead of the engine's silent NaN."""
    if sex not in ("M", "F"):
        raise InvalidMeasurementError(field="sex", value=sex)
    if age_days is None or not age_days >= 0:
        raise InvalidMeasurementError(field="age_days", value=age_days)
    if measure not in (None, "L", "H"):
        raise InvalidMeasurementError(field="measure", value=measure)
    for name, value in (
        ("weight_kg", weight_kg),
        ("length_cm", length_cm),
        ("head_cm", head_cm),
        ("muac_cm", muac_cm),
    ):
        if value is not None and not value > 0:
            raise InvalidMeasurementError(field=name, value=value)
    kids = children(
        np.array([sex]),
        age_days=[age_days],
        weight=[np.nan if weight_kg is None else weight_kg],
        lenhei=[np.nan if length_cm is None else length_cm],
        measure=np.array([measure or ""]),
        oedema=np.array([1 if oedema else 0], dtype=np.int8),
        headc=[np.nan if head_cm is None else head_cm],
        armc=[np.nan if muac_cm is None else muac_cm],
    )
    result = compute(kids, rules=rules)  # type: ignore[arg-type]
    out = {}
    for column, code in _Z_COLUMNS.items():
        value = float(result[column][0])
        if not math.isnan(value):
            out[code] = value
    return out


def flags_for_measurement(
    *,
    sex: str,
    age_days: float,
    weight_kg: float | None = None,
    length_cm: float | None = None,
    measure: str | None = None,
    head_cm: float | None = None,
    muac_cm: float | None = None,
    oedema: bool = False,
    confirmed: bool = False,
    rules: str = "who-anthro",
) -> tuple[Flag, ...]:
    """:func:`measurement_z` then :func:`measurement_flags` (use the corrected age of a baby
    born before 37 weeks as ``age_days``)."""
    z = measurement_z(
        sex=sex,
        age_days=age_days,
        weight_kg=weight_kg,
        length_cm=length_cm,
        measure=measure,
        head_cm=head_cm,
        muac_cm=muac_cm,
        oedema=oedema,
        rules=rules,
    )
    return measurement_flags(
        z, age_days=age_days, muac_cm=muac_cm, oedema=oedema, confirmed=confirmed
    )


# --------------------------------------------------------------------------------------------
# Series

CENTILE_SPACE_Z = 2.0 / 3.0
NINTH_CENTILE_Z = -4.0 / 3.0
NINETY_FIRST_CENTILE_Z = 4.0 / 3.0
SECOND_CENTILE_Z = -2.0
RAPID_GAIN_ABOVE_Z = 0.67
INFANCY_LAST_DAY = 365  # age < 12 months: 365 / 30.4375 = 11.99
EARLY_DAYS_END = 14  # days 1-13: early weight loss period, not a comparison start
REGAIN_BY_DAY = 21
EARLY_LOSS_ABOVE = 0.10


@dataclass(frozen=True)
class WeightPoint:
    """One weight of a series: age (days, corrected for babies born preterm), weight and
    weight-for-age z (None when not computable)."""

    age_days: int
    weight_kg: float
    wfa_z: float | None = None


def weight_series(
    *,
    sex: str,
    age_days: Sequence[int],
    weight_kg: Sequence[float],
    gestational_weeks: float | None = None,
) -> list[WeightPoint]:
    """Weight points with weight-for-age z from the engine, at corrected age where it applies
    (born before 37 weeks, corrected age under 24 months)."""
    if sex not in ("M", "F"):
        raise InvalidMeasurementError(field="sex", value=sex)
    if len(age_days) != len(weight_kg):
        raise SeriesError(reason="length_mismatch")
    days = np.asarray(age_days, dtype=np.float64)
    weeks = np.nan if gestational_weeks is None else gestational_weeks
    used = corrected_age_days(days, weeks)
    z = zscore("wfa", np.array([sex] * len(days)), used, np.asarray(weight_kg, dtype=np.float64))
    return [
        WeightPoint(int(d), float(w), None if math.isnan(v) else float(v))
        for d, w, v in zip(age_days, weight_kg, z, strict=True)
    ]


def _grams(kg: float) -> int:
    return math.floor(kg * 1000 + 0.5)


def series_flags(
    points: Sequence[WeightPoint], *, birth_weight_kg: float | None = None
) -> tuple[Flag, ...]:
    """Faltering, rapid weight gain, early weight loss and birth weight not regained, judged at
    the latest point (see the module docstring). ``birth_weight_kg`` defaults to the weight at
    day 0 of the series."""
    if not points:
        raise SeriesError(reason="empty")
    for p in points:
        if p.age_days < 0:
            raise InvalidMeasurementError(field="age_days", value=p.age_days)
        if not p.weight_kg > 0:
            raise InvalidMeasurementError(field="weight_kg", value=p.weight_kg)
    ordered = sorted(points, key=lambda p: p.age_days)
    days = [p.age_days for p in ordered]
    if len(set(days)) != len(days):
        raise SeriesError(
            reason="duplicate_day",
            age_days=days[next(i for i in range(1, len(days)) if days[i] == days[i - 1])],
        )
    if birth_weight_kg is None and ordered[0].age_days == 0:
        birth_weight_kg = ordered[0].weight_kg
    if birth_weight_kg is not None and not birth_weight_kg > 0:
        raise InvalidMeasurementError(field="birth_weight_kg", value=birth_weight_kg)

    now = ordered[-1]
    earlier = ordered[:-1]
    flags: list[Flag] = []
    base = {"age_days": now.age_days, "weight_kg": now.weight_kg}

    if birth_weight_kg is not None and now.age_days > 0:
        birth_g, now_g = _grams(birth_weight_kg), _grams(now.weight_kg)
        loss = birth_g - now_g
        values = {
            **base,
            "birth_weight_kg": birth_weight_kg,
            "weight_loss_pct": round(100 * loss / birth_g, 1),
        }
        if now.age_days < REGAIN_BY_DAY and loss * 10 > birth_g:  # > 10 %, exact in grams
            flags.append(rule("GROWTH_EARLY_WEIGHT_LOSS").flag(values=values))
        if now.age_days >= REGAIN_BY_DAY and now_g < birth_g:
            flags.append(rule("GROWTH_BIRTH_WEIGHT_NOT_REGAINED").flag(values=values))

    starts = [
        p
        for p in earlier
        if p.wfa_z is not None and (p.age_days == 0 or p.age_days >= EARLY_DAYS_END)
    ]
    if now.wfa_z is not None and now.age_days >= EARLY_DAYS_END:
        z_now = float(round_z(now.wfa_z))
        falter = _faltering(starts[0] if starts else None, z_now, now, base)
        if falter is not None:
            flags.append(falter)
        if now.age_days <= INFANCY_LAST_DAY:
            infancy = [p for p in starts if p.age_days <= INFANCY_LAST_DAY]
            if infancy:
                low = min(infancy, key=lambda p: float(round_z(p.wfa_z)))
                z_low = float(round_z(low.wfa_z))
                gain = round(z_now - z_low, 2)
                if gain > RAPID_GAIN_ABOVE_Z:
                    flags.append(
                        rule("GROWTH_RAPID_WEIGHT_GAIN").flag(
                            z={"wfa": z_now},
                            values={
                                **base,
                                "from_age_days": low.age_days,
                                "from_z": z_low,
                                "z_now": z_now,
                                "z_change": gain,
                            },
                        )
                    )
    return tuple(flags)


def _faltering(
    start: WeightPoint | None, z_now: float, now: WeightPoint, base: dict
) -> Flag | None:
    """NICE NG75 on rounded z: below the 2nd centile now, or a fall of the centile spaces its
    starting centile requires (1 below the 9th, 2 between 9th and 91st, 3 above the 91st)."""
    reason = None
    z_start = spaces = None
    if start is not None:
        z_start = float(round_z(start.wfa_z))
        if z_start < NINTH_CENTILE_Z:
            needed = 1
        elif z_start > NINETY_FIRST_CENTILE_Z:
            needed = 3
        else:
            needed = 2
        spaces = round(z_start - z_now, 2) / CENTILE_SPACE_Z
        if spaces >= needed - 1e-9:
            reason = f"fall_of_{needed}_spaces"
    if reason is None and z_now < SECOND_CENTILE_Z:
        reason = "below_2nd_centile"
    if reason is None:
        return None
    return rule("GROWTH_FALTERING").flag(
        z={"wfa": z_now},
        values={
            **base,
            "reason": reason,
            "z_now": z_now,
            "from_z": "-" if z_start is None else z_start,
            "from_age_days": "-" if start is None else start.age_days,
            "centile_spaces": "-" if spaces is None else round(spaces, 2),
        },
    )


# --------------------------------------------------------------------------------------------
# Anaemia

HB_PLAUSIBLE_G_L = (20.0, 250.0)


@dataclass(frozen=True)
class AnaemiaResult:
    applicable: bool  # False under 6 months or beyond the table: no cut-off exists there
    grade: str | None  # "none", "mild", "moderate", "severe"; None when not applicable
    cutoff_g_l: float | None
    table_version: str
    flags: tuple[Flag, ...]


def anaemia(hb_g_l: float, *, age_days: int, version: str | None = None) -> AnaemiaResult:
    """Anaemia from haemoglobin (g/L, at sea level) with the cut-off table ``version``
    (default ``who-2011``; ``who-2024`` the alternative). Age in WHO completed months."""
    table = reference.hb_table(version)
    if age_days is None or age_days < 0:
        raise InvalidMeasurementError(field="age_days", value=age_days)
    if hb_g_l is None or not HB_PLAUSIBLE_G_L[0] <= hb_g_l <= HB_PLAUSIBLE_G_L[1]:
        raise InvalidMeasurementError(field="hb_g_l", value=hb_g_l)
    months = who_completed_months(age_days)
    band = next((b for b in table.bands if b.low_months <= months <= b.high_months), None)
    if band is None:
        return AnaemiaResult(False, None, None, table.version, ())
    if hb_g_l >= band.anaemia_below_g_l:
        return AnaemiaResult(True, "none", band.anaemia_below_g_l, table.version, ())
    if hb_g_l < band.severe_below_g_l:
        grade = "severe"
    elif hb_g_l < band.moderate_below_g_l:
        grade = "moderate"
    else:
        grade = "mild"
    flag = rule("ANAEMIA").flag(
        values={
            "hb_g_l": hb_g_l,
            "cutoff_g_l": band.anaemia_below_g_l,
            "grade": grade,
            "table": table.version,
            "age_days": age_days,
            "age_months": round(months_from_days(age_days), 2),
        },
        instrument="hb-cutoffs",
        instrument_version=table.version,
        rule_version=table.rule_version,
        severity=Severity(table.severity),
    )
    return AnaemiaResult(True, grade, band.anaemia_below_g_l, table.version, (flag,))
