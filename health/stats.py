"""Small statistics for reported rates: Wilson score interval, target gap."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal

import numpy as np

Z95 = 1.959963984540054  # standard normal quantile for a two-sided 95 % interval


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of the proportion ``successes / trials``; None when ``trials`` is 0."""
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError(f"successes {successes} outside 0..{trials}")
    p = successes / trials
    z2 = z * z
    denom = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_intervals(
    successes: np.ndarray, trials: np.ndarray, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`wilson_interval` of arrays of counts, operation for operation (so the same
    floats); NaN where ``trials`` is 0. A count outside ``0..trials`` raises ValueError."""
    s = np.asarray(successes, dtype=np.int64)
    t = np.asarray(trials, dtype=np.int64)
    if np.any((t > 0) & ((s < 0) | (s > t))):
        raise ValueError("successes outside 0..trials")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = s / t
        z2 = z * z
        denom = 1 + z2 / t
        centre = (p + z2 / (2 * t)) / denom
        half = z * np.sqrt(p * (1 - p) / t + z2 / (4 * t * t)) / denom
        low, high = np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)
    none = t <= 0
    low[none], high[none] = np.nan, np.nan
    return low, high


def target_gap(numerator: int, denominator: int, target: float) -> int:
    """Children still needed to reach ``target``: ``max(0, ⌈target × denominator⌉ − numerator)``,
    in decimal arithmetic so that 0.95 × 20 is exactly 19."""
    needed = (Decimal(str(target)) * denominator).to_integral_value(rounding=ROUND_CEILING)
    return max(0, int(needed) - numerator)


def target_gaps(numerators: np.ndarray, denominators: np.ndarray, target: float) -> np.ndarray:
    """:func:`target_gap` of arrays of counts (integers, same shape), exactly: ``target`` is
    read as the decimal it prints as (0.95 is 95/100), so ``⌈target × d⌉`` is integer
    arithmetic."""
    top, bottom = Decimal(str(target)).as_integer_ratio()
    needed = -((-top * np.asarray(denominators, dtype=np.int64)) // bottom)
    return np.maximum(0, needed - np.asarray(numerators, dtype=np.int64))


def meets_targets(numerators: np.ndarray, denominators: np.ndarray, target: float) -> np.ndarray:
    """:func:`meets_target` of arrays of counts, exactly (False where the denominator is 0)."""
    top, bottom = Decimal(str(target)).as_integer_ratio()
    n = np.asarray(numerators, dtype=np.int64)
    d = np.asarray(denominators, dtype=np.int64)
    return (d > 0) & (n * bottom >= top * d)


def meets_target(numerator: int, denominator: int, target: float) -> bool | None:
    """Whether ``numerator / denominator >= target`` (exact); None when the denominator is 0."""
    if denominator <= 0:
        return None
    return Decimal(numerator) >= Decimal(str(target)) * denominator
