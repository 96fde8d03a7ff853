"""WHO's rounding of one z-score, remembered per process (a pure function of the value)."""

from __future__ import annotations

from functools import lru_cache

from growth_charts import round_z


@lru_cache(maxsize=8192)
def rounded_z(z: float | None) -> float:
    """``float(round_z(z))``: 2 decimals, exact ties to even, never −0.0; NaN for None or NaN.

    Values equal as floats (0.0 and −0.0) round alike, so one cache entry serves both."""
    return float(round_z(z))  # type: ignore[arg-type]
