"""A new measurement judged against the child's own trajectory (``docs/trajectory.md``).

Two scores of the change from an earlier value (age t1) to the new one (age t2), ages in days
(corrected for babies born before 37 weeks, as for every growth rule):

- **WHO velocity z** (``growth_charts.velocity.increment_z``) where one of WHO's 2009 velocity
  tables covers the interval (weight 1- and 2-month, length 2-month with both lengths lying,
  head 2-month; the windows of ``docs/growth-velocity.md``). A loss beyond the table's support
  has z = −∞.
- **conditional gain z** elsewhere (weight and length only): Cole's
  (Z2 − r·Z1)/√(1 − r²) on the attained z (WHO weight-for-age, length/height-for-age), with r from
  the Cole correlation model as fitted by van Buuren (2023, Table 3) on the Dutch SMOCC cohort:
  Fisher-z(r) = β0 + β1·V1 + β2·V2 + β3·V3 + β4·V1·V2 + β5·V1², V1 = ln((t1+t2)/2),
  V2 = ln(t2 − t1), V3 = 1/(t2 − t1), ages in months. Outside the fitted range the ages are
  clamped so that r is never higher than the model's (the rule gets less sensitive, never more):
  a gap under :data:`MIN_GAP_DAYS` counts as that gap, a mean age over
  :data:`MAX_MEAN_AGE_MONTHS` as that age; a gap over :data:`MAX_GAP_MONTHS` is not judged.
  Head circumference has no published correlation model here: uncovered head intervals are not
  judged.

Rules (:func:`judge`):

- ``GROWTH_TRAJECTORY_<WEIGHT|LENGTH|HEAD>`` (advice; home entries only): |z| of the score
  against the most recent earlier value above :data:`REMEASURE_ABOVE_Z` → the service asks for a
  re-measure instead of raising growth flags or a case. A professional's value is never
  questioned.
- ``GROWTH_WEIGHT_VELOCITY_LOW`` (review): the weight velocity z against the most recent earlier
  weight whose interval a WHO table covers is below :data:`VELOCITY_REVIEW_BELOW_Z` (the 5th
  centile), −∞ included.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from growth_charts import children, compute
from growth_charts.age import DAYS_PER_MONTH
from growth_charts.classify import percentile
from growth_charts.velocity import Increments, increment_z
from screening.flags import Flag, rule

Array = NDArray[np.float64]
Measure = Literal["weight", "length", "head"]
MEASURES: tuple[Measure, ...] = ("weight", "length", "head")

REMEASURE_ABOVE_Z = 4.0
"""|velocity z| or |conditional z| above this asks a home entry to be measured again."""
VELOCITY_REVIEW_BELOW_Z = -1.645
"""Weight velocity z below this (the 5th centile) is a review flag for the doctor."""
MIN_GAP_DAYS = 7.0
"""Shorter gaps take the correlation of a 7-day gap (the model is fitted from 3 days up)."""
MAX_MEAN_AGE_MONTHS = 24.0
"""Older mean ages take the correlation at 24 months (SMOCC measured 0–24 months)."""
MAX_GAP_MONTHS = 24.0
"""Longer gaps get no conditional z (beyond the fitted data, r would be extrapolated upwards)."""

# van Buuren S. Ann Hum Biol 2023;50(1):247-257, Table 3: β0 … β5 of the Cole model
COLE_COEFFICIENTS: Mapping[str, tuple[float, float, float, float, float, float]] = {
    "weight": (1.539, 0.329, -0.951, -0.190, 0.143, 0.001),
    "length": (1.329, 0.250, -0.672, -0.104, 0.105, -0.003),
}
FLAG_OF: Mapping[str, str] = {
    "weight": "GROWTH_TRAJECTORY_WEIGHT",
    "length": "GROWTH_TRAJECTORY_LENGTH",
    "head": "GROWTH_TRAJECTORY_HEAD",
}
VELOCITY_LOW = "GROWTH_WEIGHT_VELOCITY_LOW"
_UNIT = {"weight": "kg", "length": "cm", "head": "cm"}
_Z_COLUMNS = {"weight": ("zwei", "zwfa"), "length": ("zlen", "zhfa"), "head": ("zhc",)}


def cole_correlation(measure: str, start_days: ArrayLike, end_days: ArrayLike) -> Array:
    """r between the attained z at two ages (days) by the Cole model (module docstring).

    NaN for head (no model), for an end not after the start, a negative start age, or a gap
    over :data:`MAX_GAP_MONTHS`; gaps under 7 days and mean ages over 24 months are clamped.
    """
    t1 = np.asarray(start_days, dtype=np.float64) / DAYS_PER_MONTH
    t2 = np.asarray(end_days, dtype=np.float64) / DAYS_PER_MONTH
    if t1.shape != t2.shape or t1.ndim == 0:
        t1, t2 = (np.atleast_1d(a) for a in np.broadcast_arrays(t1, t2))
    if measure not in COLE_COEFFICIENTS:
        return np.full(t1.shape, np.nan)
    b0, b1, b2, b3, b4, b5 = COLE_COEFFICIENTS[measure]
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.maximum(t2 - t1, MIN_GAP_DAYS / DAYS_PER_MONTH)
        mean = np.minimum((t1 + t2) / 2.0, MAX_MEAN_AGE_MONTHS)
        v1, v2, v3 = np.log(mean), np.log(gap), 1.0 / gap
        r = np.tanh(b0 + b1 * v1 + b2 * v2 + b3 * v3 + b4 * v1 * v2 + b5 * v1**2)
        ok = (t2 > t1) & (t1 >= 0) & (t2 - t1 <= MAX_GAP_MONTHS)
    return np.where(ok, r, np.nan)


def conditional_z(z1: ArrayLike, z2: ArrayLike, r: ArrayLike) -> Array:
    """Cole's conditional gain z: (Z2 − r·Z1)/√(1 − r²); NaN where any input is NaN."""
    a, b, c = (np.asarray(v, dtype=np.float64) for v in (z1, z2, r))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (b - c * a) / np.sqrt(1.0 - c**2)


def attained_z(
    measure: str, sex: ArrayLike, age_days: ArrayLike, value: ArrayLike,
    position: ArrayLike | None = None,
) -> Array:  # fmt: skip
    """Unrounded WHO z of each value (weight-for-age, length/height-for-age with WHO's L/H
    conversion, head-for-age; WHO 2007 after 60 months for weight and height)."""
    value = np.asarray(value, dtype=np.float64)
    kwargs: dict[str, ArrayLike] = {"age_days": age_days}
    if measure == "weight":
        kwargs["weight"] = value
    elif measure == "length":
        kwargs["lenhei"] = value
        kwargs["measure"] = np.broadcast_to(
            np.asarray(position if position is not None else "", dtype=str), value.shape
        )
    else:
        kwargs["headc"] = value
    out = compute(children(sex, **kwargs))  # type: ignore[arg-type]
    columns = _Z_COLUMNS[measure]
    z = out[columns[0]].copy()
    for extra in columns[1:]:
        z = np.where(np.isnan(z), out[extra], z)
    return z


@dataclass(frozen=True)
class PairScores:
    """Scores of pairs (arrays of one length): ``method`` "velocity", "conditional" or "" (not
    judged); ``z`` the score used (NaN when not judged, −∞ below a velocity table); ``velocity_z``
    and ``conditional_z`` both where computable; ``r`` the correlation; ``interval`` WHO's row
    label, ``months`` the velocity table's interval (1 or 2, 0 for none); ``increment`` in the
    velocity table's unit (g for weight, cm otherwise)."""

    method: NDArray[np.str_]
    z: Array
    velocity_z: Array
    conditional_z: Array
    r: Array
    interval: NDArray[np.str_]
    months: NDArray[np.int_]
    increment: Array


def pair_scores(
    measure: Measure,
    sex: ArrayLike,
    start_days: ArrayLike,
    end_days: ArrayLike,
    start_value: ArrayLike,
    end_value: ArrayLike,
    start_position: ArrayLike | None = None,
    end_position: ArrayLike | None = None,
) -> PairScores:
    """Velocity z where a WHO table covers the pair, else conditional z (weight, length).

    Length velocity needs both lengths lying (``position`` "L"); other length pairs go to the
    conditional z, which reads length and height through WHO's conversion."""
    numbers = (np.asarray(a, dtype=np.float64)
               for a in (start_days, end_days, start_value, end_value))  # fmt: skip
    sex_a, t1, t2, v1, v2 = (np.atleast_1d(a) for a in np.broadcast_arrays(sex, *numbers))
    inc = increment_z(measure, sex_a, t1, t2, v1, v2)
    velocity = inc.z.copy()
    p1 = np.broadcast_to(np.asarray("L" if start_position is None else start_position), t1.shape)
    p2 = np.broadcast_to(np.asarray("L" if end_position is None else end_position), t1.shape)
    if measure == "length":
        velocity = np.where((p1 == "L") & (p2 == "L"), velocity, np.nan)
    covered = ~np.isnan(velocity)
    months = np.select([covered & (inc.table == "weight-1mo"), covered], [1, 2], 0)
    r = cole_correlation(measure, t1, t2)
    cz = np.full(t1.shape, np.nan)
    if measure in COLE_COEFFICIENTS:
        n = t1.size  # both ends in one engine call: start rows, then end rows
        ends = attained_z(measure, np.concatenate([sex_a, sex_a]), np.concatenate([t1, t2]),
                          np.concatenate([v1, v2]), np.concatenate([p1, p2]))  # fmt: skip
        cz = conditional_z(ends[:n], ends[n:], r)
    use_velocity = covered
    z = np.where(use_velocity, velocity, cz)
    method = np.where(use_velocity, "velocity", np.where(np.isnan(cz), "", "conditional"))
    interval = np.where(use_velocity, inc.interval, "")
    return PairScores(method, z, velocity, cz, r, interval, months.astype(int), inc.increment)


class TrajectoryPoint(NamedTuple):
    """One earlier or new value: age in days (corrected where it applies), the value (kg or
    cm) and, for length, the position "L" lying / "H" standing. Immutable (a named tuple: a
    series of them is built per entry, cheaply)."""

    age_days: int
    value: float
    position: str | None = None


@dataclass(frozen=True)
class Judgement:
    """What the trajectory rules say about a new entry: ``remeasure`` (advice flags, one per
    suspect measurement; an entry with any asks to be measured again) and ``review`` (the
    weight velocity flag for the doctor, raised only once the entry is accepted)."""

    remeasure: tuple[Flag, ...]
    review: tuple[Flag, ...]

    @property
    def suspect(self) -> frozenset[str]:
        """The measurements (weight, length, head) a re-measure flag names."""
        return frozenset(str(f.evidence.values["measure"]) for f in self.remeasure)


def _z_value(z: float) -> float | str:
    """A score for the evidence: 2 decimals, −∞ as the sign (JSON has no infinity)."""
    return "−∞" if math.isinf(z) and z < 0 else ("+∞" if math.isinf(z) else round(z, 2))


def _fmt(value: float, measure: str) -> float:
    return round(value, 3 if measure == "weight" else 1)


def _pair_flag(
    measure: Measure, prev: TrajectoryPoint, new: TrajectoryPoint, z: float, velocity: bool,
    months: int, r: float,
) -> Flag | None:  # fmt: skip
    """The re-measure flag of one scored pair (``z`` its score), or None."""
    if math.isnan(z) or not abs(z) > REMEASURE_ABOVE_Z:
        return None
    unit = _UNIT[measure]
    values = {
        "measure": measure,
        f"value_{unit}": _fmt(new.value, measure),
        f"previous_{unit}": _fmt(prev.value, measure),
        "age_days": new.age_days,
        "from_age_days": prev.age_days,
        "interval_days": new.age_days - prev.age_days,
        "change_z": _z_value(z),
        "direction": "down" if z < 0 else "up",
        "velocity_months": months if velocity else "—",
        "velocity_z": _z_value(z) if velocity else "—",
        "conditional_z": "—" if velocity else _z_value(z),
        "r": "—" if velocity else round(r, 3),
    }
    return rule(FLAG_OF[measure]).flag(values=values)


def _review_flag(
    before: Sequence[TrajectoryPoint], new: TrajectoryPoint, inc: Increments
) -> Flag | None:
    """``GROWTH_WEIGHT_VELOCITY_LOW`` from the weight increments of ``before`` (age order) to
    ``new``, or None."""
    covered = np.flatnonzero(~np.isnan(inc.z))
    if covered.size == 0:
        return None
    i = int(covered[-1])
    z = float(inc.z[i])
    if not z < VELOCITY_REVIEW_BELOW_Z:
        return None
    prev = before[i]
    values = {
        "weight_kg": _fmt(new.value, "weight"),
        "previous_kg": _fmt(prev.value, "weight"),
        "age_days": new.age_days,
        "from_age_days": prev.age_days,
        "interval_days": new.age_days - prev.age_days,
        "increment_g": math.floor(float(inc.increment[i]) + 0.5),
        "velocity_months": 1 if str(inc.table[i]) == "weight-1mo" else 2,
        "velocity_z": _z_value(z),
        "velocity_centile": round(float(percentile([z])[0]), 1),
    }
    return rule(VELOCITY_LOW).flag(values=values)


def velocity_review(
    sex: str, earlier: Sequence[TrajectoryPoint], new: TrajectoryPoint
) -> Flag | None:
    """``GROWTH_WEIGHT_VELOCITY_LOW`` against the most recent earlier weight whose interval a
    WHO table covers (all earlier weights scored at once), or None."""
    before = _before(earlier, new)
    if not before:
        return None
    return _review_flag(before, new, _weight_increments(sex, before, new))


def _before(earlier: Sequence[TrajectoryPoint], new: TrajectoryPoint) -> list[TrajectoryPoint]:
    """Earlier points with a positive value taken before ``new``, in age order (stable)."""
    age = new.age_days
    return sorted((p for p in earlier if p.age_days < age and p.value > 0),
                  key=lambda p: p.age_days)  # fmt: skip


def _weight_increments(
    sex: str, before: Sequence[TrajectoryPoint], new: TrajectoryPoint
) -> Increments:
    n = len(before)  # the new point repeated: no broadcasting of its two numbers
    return increment_z("weight", sex, [p.age_days for p in before], [new.age_days] * n,
                       [p.value for p in before], [new.value] * n)  # fmt: skip


def _one(value: float) -> Array:
    """One number as pair_scores reads it: a float64 array of shape (1,)."""
    return np.atleast_1d(np.asarray(value, dtype=np.float64))


# previous point, new point, score, by velocity, velocity months, r (NaN unless conditional)
_Pair = tuple[TrajectoryPoint, TrajectoryPoint, float, bool, int, float]


def _conditional(sex: str, pairs: dict[str, _Pair]) -> None:
    """Conditional z (in place) of the weight and length pairs no velocity table covers: the
    ends of all of them in one ``compute`` call (rows are independent), as ``attained_z``."""
    todo: list[tuple[str, _Pair, Array]] = []
    for measure in ("weight", "length"):
        pair = pairs.get(measure)
        if pair is None or pair[3]:
            continue
        r = cole_correlation(measure, _one(pair[0].age_days), _one(pair[1].age_days))
        if not math.isnan(r[0]):  # NaN r: NaN conditional z, whatever the ends
            todo.append((measure, pair, r))
    if not todo:
        return
    n = 2 * len(todo)
    ages, weight, lenhei = np.empty(n), np.full(n, np.nan), np.full(n, np.nan)
    position = np.full(n, "", dtype=object)
    for k, (measure, (prev, point, *_), _r) in enumerate(todo):
        ends = slice(2 * k, 2 * k + 2)
        ages[ends] = (prev.age_days, point.age_days)
        if measure == "weight":
            weight[ends] = (prev.value, point.value)
        else:
            lenhei[ends] = (prev.value, point.value)
            position[ends] = (prev.position or "L", point.position or "L")
    out = compute(children(sex, age_days=ages, weight=weight, lenhei=lenhei,
                           measure=position.astype(str)))  # fmt: skip
    for k, (measure, pair, r) in enumerate(todo):
        columns = _Z_COLUMNS[measure]
        z = out[columns[0]][2 * k : 2 * k + 2].copy()
        for extra in columns[1:]:
            z = np.where(np.isnan(z), out[extra][2 * k : 2 * k + 2], z)
        cz = float(conditional_z(z[:1], z[1:], r)[0])
        pairs[measure] = (pair[0], pair[1], cz, False, pair[4], float(r[0]))


def judge(
    sex: str,
    earlier: Mapping[str, Sequence[TrajectoryPoint]],
    new: Mapping[str, TrajectoryPoint],
    *,
    professional: bool,
) -> Judgement:
    """The trajectory rules for one new entry (``new``: measure → point; ``earlier``: measure →
    the child's accepted earlier points). A professional's entry gets no re-measure flag; the
    velocity review is always judged, and raised by the pipeline only for an accepted entry (a
    value waiting for a re-measure is no evidence yet; a confirmed repeat is).

    The scores are those of :func:`pair_scores` and :func:`velocity_review`, with fewer engine
    calls: the weight pair is a row of the review's increments, the conditional pairs' ends
    share one ``compute`` call, and a pair already scored by velocity (or without r) skips it."""
    pairs: dict[str, _Pair] = {}
    review: list[Flag] = []
    weight = new.get("weight")
    if weight is not None:
        before = _before(earlier.get("weight", ()), weight)
        if before:
            inc = _weight_increments(sex, before, weight)
            low = _review_flag(before, weight, inc)
            if low is not None:
                review.append(low)
            if not professional:  # max() keeps the first of equal ages: first of the last run
                last = before[-1].age_days
                i = next(k for k, p in enumerate(before) if p.age_days == last)
                z = float(inc.z[i])
                months = 1 if str(inc.table[i]) == "weight-1mo" else 2
                pairs["weight"] = (before[i], weight, z, not math.isnan(z), months, math.nan)
    if not professional:
        for measure in ("length", "head"):
            point = new.get(measure)
            if point is None:
                continue
            before = [p for p in earlier.get(measure, ()) if p.age_days < point.age_days
                      and p.value > 0]  # fmt: skip
            if not before:
                continue
            prev = max(before, key=lambda p: p.age_days)
            p1, p2 = prev.position or "L", point.position or "L"
            z = math.nan
            if measure == "head" or (p1 == "L" and p2 == "L"):
                inc = increment_z(measure, sex, prev.age_days, point.age_days, prev.value,
                                  point.value)  # fmt: skip
                z = float(inc.z[0])
            pairs[measure] = (prev, point, z, not math.isnan(z), 2, math.nan)
        _conditional(sex, pairs)
    remeasure = []
    for measure in MEASURES:
        if measure in pairs:
            found = _pair_flag(measure, *pairs[measure])
            if found is not None:
                remeasure.append(found)
    return Judgement(tuple(remeasure), tuple(review))
