"""Small statistics for reported rates: Wilson score interval, target gap."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal

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


def target_gap(numerator: int, denominator: int, target: float) -> int:
    """Children still needed to reach ``target``: ``max(0, ⌈target × denominator⌉ − numerator)``,
    in decimal arithmetic so that 0.95 × 20 is exactly 19."""
    needed = (Decimal(str(target)) * denominator).to_integral_value(rounding=ROUND_CEILING)
    return max(0, int(needed) - numerator)


def meets_target(numerator: int, denominator: int, target: float) -> bool | None:
    """Whether ``numerator / denominator >= target`` (exact); None when the denominator is 0."""
    if denominator <= 0:
        return None
    return Decimal(numerator) >= Decimal(str(target)) * denominator
