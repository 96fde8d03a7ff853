"""The two roundings WHO's software uses.

- Ages in days are rounded **half up** (730.5 → 731), never half to even.
- z-scores are reported to 2 decimals as R's ``round(z, 2)`` does (R ≥ 4.0): the 2-decimal number
  nearest to the double ``z``, exact ties to even. Flags and cut-offs use the rounded z.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def round_half_up(x: ArrayLike) -> NDArray[np.float64]:
    """Round non-negative numbers to integers, halves up; NaN stays NaN (result is float)."""
    values = np.asarray(x, dtype=np.float64)
    floor = np.floor(values)
    return floor + ((values - floor) >= 0.5)


def round_z(z: ArrayLike, digits: int = 2) -> NDArray[np.float64]:
    """WHO's rounding of z-scores: nearest ``digits``-decimal value, exact ties to even."""
    values = np.asarray(z, dtype=np.float64)
    scale = 10.0**digits
    scaled = values * scale
    low = np.floor(scaled)
    high = low + 1.0
    low_value = low / scale
    high_value = high / scale
    below = values - low_value
    above = high_value - values
    pick_high = (above < below) | ((above == below) & (np.fmod(low, 2.0) != 0.0))
    result = np.where(pick_high, high_value, low_value)
    return np.where(np.isfinite(values), result, values) + 0.0
