"""Columns in WHO anthro's layout for hand-made samples (prevalence and quality tests)."""

from __future__ import annotations

from typing import Any

PREVALENCE_INDICATORS = ("len", "wei", "wfl", "bmi")


def unflagged_z(**columns: Any) -> dict[str, Any]:
    """The z-score and flag columns of the four prevalence indicators (``zlen``, ``flen``, ...
    ``zbmi``, ``fbmi``) at z = 0 and not flagged; ``columns`` replace some of them."""
    zero: dict[str, Any] = {}
    for indicator in PREVALENCE_INDICATORS:
        zero[f"z{indicator}"] = 0.0
        zero[f"f{indicator}"] = 0
    return zero | columns
