"""Growth flags of a child's weight series, judged at the latest measurement.

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
37 weeks: pass z-scores at corrected age (:func:`weight_series` does it). z-scores are compared
WHO-rounded (2 decimals).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from growth_charts import zscore
from growth_charts.age import corrected_age_days
from screening.errors import ScreeningInputError
from screening.flags import Flag, rule
from screening.growth.errors import (
    InvalidMeasurementError,
    check_age_days,
    check_positive,
    check_sex,
)
from screening.growth.rounded import rounded_z

CENTILE_SPACE_Z = 2.0 / 3.0
NINTH_CENTILE_Z = -4.0 / 3.0
NINETY_FIRST_CENTILE_Z = 4.0 / 3.0
SECOND_CENTILE_Z = -2.0
RAPID_GAIN_ABOVE_Z = 0.67
INFANCY_LAST_DAY = 365  # age < 12 months: 365 / 30.4375 = 11.99
EARLY_DAYS_END = 14  # days 1-13: early weight loss period, not a comparison start
REGAIN_BY_DAY = 21
EARLY_LOSS_ABOVE = 0.10


class SeriesError(
    ScreeningInputError,
    message_id="error.growth.invalid_series",
    reasons=("empty", "length_mismatch", "duplicate_day"),
):
    """A weight series that cannot be judged; ``reason`` is one of :attr:`REASONS`, each with
    its own catalogue text ``error.growth.invalid_series.<reason>``."""


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
    check_sex(sex)
    if len(age_days) != len(weight_kg):
        raise SeriesError(reason="length_mismatch")
    days = np.asarray(age_days, dtype=np.float64)
    weeks = np.nan if gestational_weeks is None else gestational_weeks
    used = corrected_age_days(days, weeks)
    z = zscore("wfa", sex, used, np.asarray(weight_kg, dtype=np.float64))
    return [
        WeightPoint(int(d), float(w), None if math.isnan(v) else float(v))
        for d, w, v in zip(age_days, weight_kg, z, strict=True)
    ]


def _grams(kg: float) -> int:
    return math.floor(kg * 1000 + 0.5)


def _rounded(z: float | None) -> float:
    return rounded_z(z)


def _ordered(points: Sequence[WeightPoint]) -> list[WeightPoint]:
    """The points by age, after refusing an empty series, bad values and a repeated day."""
    if not points:
        raise SeriesError(reason="empty")
    for p in points:
        check_age_days(p.age_days)
        if not p.weight_kg > 0:
            raise InvalidMeasurementError(field="weight_kg", value=p.weight_kg)
    ordered = sorted(points, key=lambda p: p.age_days)
    days = [p.age_days for p in ordered]
    if len(set(days)) != len(days):
        raise SeriesError(
            reason="duplicate_day",
            age_days=days[next(i for i in range(1, len(days)) if days[i] == days[i - 1])],
        )
    return ordered


def series_flags(
    points: Sequence[WeightPoint], *, birth_weight_kg: float | None = None
) -> tuple[Flag, ...]:
    """Faltering, rapid weight gain, early weight loss and birth weight not regained, judged at
    the latest point (see the module docstring). ``birth_weight_kg`` defaults to the weight at
    day 0 of the series."""
    ordered = _ordered(points)
    if birth_weight_kg is None and ordered[0].age_days == 0:
        birth_weight_kg = ordered[0].weight_kg
    check_positive(birth_weight_kg=birth_weight_kg)

    now = ordered[-1]
    flags: list[Flag] = []
    base = {"age_days": now.age_days, "weight_kg": now.weight_kg}
    if birth_weight_kg is not None and now.age_days > 0:
        flags += _birth_weight(birth_weight_kg, now, base)
    starts = [
        p
        for p in ordered[:-1]
        if p.wfa_z is not None and (p.age_days == 0 or p.age_days >= EARLY_DAYS_END)
    ]
    if now.wfa_z is not None and now.age_days >= EARLY_DAYS_END:
        z_now = _rounded(now.wfa_z)
        falter = _faltering(starts[0] if starts else None, z_now, base)
        if falter is not None:
            flags.append(falter)
        if now.age_days <= INFANCY_LAST_DAY:
            gain = _rapid_gain([p for p in starts if p.age_days <= INFANCY_LAST_DAY], z_now, base)
            if gain is not None:
                flags.append(gain)
    return tuple(flags)


def _birth_weight(birth_weight_kg: float, now: WeightPoint, base: dict) -> list[Flag]:
    """Early loss of > 10 % before day 21 (exact in grams); below birth weight from day 21."""
    birth_g, now_g = _grams(birth_weight_kg), _grams(now.weight_kg)
    loss = birth_g - now_g
    values = {
        **base,
        "birth_weight_kg": birth_weight_kg,
        "weight_loss_pct": round(100 * loss / birth_g, 1),
    }
    flags = []
    if now.age_days < REGAIN_BY_DAY and loss * 10 > birth_g:
        flags.append(rule("GROWTH_EARLY_WEIGHT_LOSS").flag(values=values))
    if now.age_days >= REGAIN_BY_DAY and now_g < birth_g:
        flags.append(rule("GROWTH_BIRTH_WEIGHT_NOT_REGAINED").flag(values=values))
    return flags


def _rapid_gain(infancy: list[WeightPoint], z_now: float, base: dict) -> Flag | None:
    """A rise of more than 0.67 z from the lowest earlier infancy value."""
    if not infancy:
        return None
    low = min(infancy, key=lambda p: _rounded(p.wfa_z))
    z_low = _rounded(low.wfa_z)
    gain = round(z_now - z_low, 2)
    if not gain > RAPID_GAIN_ABOVE_Z:
        return None
    values = {**base, "from_age_days": low.age_days, "from_z": z_low, "z_now": z_now}
    values["z_change"] = gain
    return rule("GROWTH_RAPID_WEIGHT_GAIN").flag(z={"wfa": z_now}, values=values)


def _faltering(start: WeightPoint | None, z_now: float, base: dict) -> Flag | None:
    """NICE NG75 on rounded z: below the 2nd centile now, or a fall of the centile spaces its
    starting centile requires (1 below the 9th, 2 between 9th and 91st, 3 above the 91st)."""
    reason = None
    z_start = spaces = None
    if start is not None:
        z_start = _rounded(start.wfa_z)
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
