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
    """WHO's rounding of z-scores: nearest ``digits``-decimal value, exact ties to even.

    Fast path ``rint(z·10^d)/10^d``. Values whose scaled form lands within 1e-5 of a half are
    rescaled exactly in extended precision (a 53-bit mantissa times 100 fits in 64 bits), so
    2.675 (stored as 2.67499999…) gives 2.67 as in R, and an exact tie goes to even.
    """
    values = np.array(z, dtype=np.float64, ndmin=1)
    scale = 10.0**digits
    scaled = values * scale
    nearest = np.rint(scaled)
    with np.errstate(invalid="ignore"):
        near_half = np.abs(scaled - nearest) > 0.49999
    if near_half.any():
        exact = values[near_half].astype(np.longdouble) * np.longdouble(scale)
        nearest[near_half] = np.rint(exact).astype(np.float64)
    result = nearest / scale + 0.0  # + 0.0 turns −0.0 into 0.0
    return result.reshape(np.shape(z))
