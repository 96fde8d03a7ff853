"""The LMS method (WHO 2006, chapter 7): z from a measurement and back, with restricted tails.

All functions are elementwise over numpy arrays; NaN in any input gives NaN out.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def value_at(z: Array | float, l: Array, m: Array, s: Array) -> Array:
    """Measurement at z on the plain LMS curve: M·(1 + L·S·z)^(1/L)."""
    return m * (1.0 + l * s * z) ** (1.0 / l)


def plain_z(y: Array, l: Array, m: Array, s: Array) -> Array:
    """z = ((y/M)^L − 1) / (L·S)."""
    return ((y / m) ** l - 1.0) / (s * l)


def restrict_tails(z: Array, y: Array, l: Array, m: Array, s: Array) -> Array:
    """WHO's rule beyond ±3 SD: distances measured in the SD2–SD3 interval of each side.

    z > 3: 3 + (y − SD3)/(SD3 − SD2); z < −3: −3 + (y − SD−3)/(SD−2 − SD−3). Only the rows beyond
    ±3 are recomputed, so the cost is proportional to how many there are.
    """
    out = np.array(z, dtype=np.float64, copy=True)
    with np.errstate(invalid="ignore"):
        upper = np.flatnonzero(out > 3.0)
        lower = np.flatnonzero(out < -3.0)
    if upper.size:
        lu, mu, su, yu = l[upper], m[upper], s[upper], y[upper]
        sd3 = value_at(3.0, lu, mu, su)
        sd2 = value_at(2.0, lu, mu, su)
        out[upper] = 3.0 + (yu - sd3) / (sd3 - sd2)
    if lower.size:
        ll, ml, sl, yl = l[lower], m[lower], s[lower], y[lower]
        sd3 = value_at(-3.0, ll, ml, sl)
        sd2 = value_at(-2.0, ll, ml, sl)
        out[lower] = -3.0 + (yl - sd3) / (sd2 - sd3)
    return out


def restricted_value_at(z: Array, l: Array, m: Array, s: Array) -> Array:
    """Inverse of ``restrict_tails``: the measurement at z, linear in the SD2–SD3 step beyond ±3."""
    z = np.asarray(z, dtype=np.float64)
    inner = np.clip(z, -3.0, 3.0)
    value = value_at(inner, l, m, s)
    with np.errstate(invalid="ignore"):
        upper = z > 3.0
        lower = z < -3.0
    if upper.any():
        sd3, sd2 = value_at(3.0, l, m, s), value_at(2.0, l, m, s)
        value = np.where(upper, sd3 + (z - 3.0) * (sd3 - sd2), value)
    if lower.any():
        sd3, sd2 = value_at(-3.0, l, m, s), value_at(-2.0, l, m, s)
        value = np.where(lower, sd3 + (z + 3.0) * (sd2 - sd3), value)
    return value
