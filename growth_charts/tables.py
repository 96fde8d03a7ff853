"""The WHO LMS tables as numpy arrays, loaded once per process.

A table is indexed by sex (row 0 = male, 1 = female) and by an integer key: age in days, age in
months, or length/height in tenths of a centimetre (450 = 45.0 cm). Keys without data hold NaN.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from numpy.typing import NDArray

import reference_data
from growth_charts.indicators import INDICATORS, Axis

# indicator code → its LMS file in reference_data; the file's key column is the indicator's axis
LMS_FILES: dict[str, str] = {
    "lhfa": "who2006/lhfa.csv",
    "wfa": "who2006/wfa.csv",
    "bmi": "who2006/bmifa.csv",
    "hcfa": "who2006/hcfa.csv",
    "acfa": "who2006/acfa.csv",
    "tsfa": "who2006/tsfa.csv",
    "ssfa": "who2006/ssfa.csv",
    "wfl": "who2006/wfl.csv",
    "wfh": "who2006/wfh.csv",
    "hfa_2007": "who2007/hfa.csv",
    "wfa_2007": "who2007/wfa.csv",
    "bmi_2007": "who2007/bmifa.csv",
}
# axis → the factor that makes its values integer keys (length/height in tenths of a centimetre)
_KEY_SCALE: dict[Axis, int] = {"age_days": 1, "age_months": 1, "length_cm": 10}


@dataclass(frozen=True)
class LmsTable:
    """L, M and S by sex and integer key ``first_key … last_key`` (arrays of shape (2, n))."""

    code: str
    first_key: int
    last_key: int
    key_scale: int
    l: NDArray[np.float64]
    m: NDArray[np.float64]
    s: NDArray[np.float64]

    @property
    def width(self) -> int:
        return self.last_key - self.first_key + 1

    @property
    def l_is_one(self) -> bool:
        """True when every L is 1 (length/height, head): z = (y/M − 1)/S, no power needed."""
        return bool(np.all(self.l[np.isfinite(self.l)] == 1.0))

    def flat(self, column: str) -> NDArray[np.float64]:
        """One parameter as a flat array indexed by ``sex_index * width + key - first_key``."""
        return getattr(self, column).reshape(-1)


@cache
def lms_table(code: str) -> LmsTable:
    """The LMS table for an indicator code (see ``growth_charts.indicators``)."""
    key_column = INDICATORS[code].axis
    scale = _KEY_SCALE[key_column]
    frame = pd.read_csv(
        io.BytesIO(reference_data.read_bytes(LMS_FILES[code])),
        dtype={"sex": str, key_column: np.float64, "l": float, "m": float, "s": float},
    )
    keys = np.rint(frame[key_column].to_numpy() * scale).astype(np.int64)
    first, last = int(keys.min()), int(keys.max())
    params = {name: np.full((2, last - first + 1), np.nan) for name in ("l", "m", "s")}
    sex_row = np.where(frame["sex"].to_numpy() == "M", 0, 1)
    for name in params:
        params[name][sex_row, keys - first] = frame[name].to_numpy()
        params[name].setflags(write=False)
    return LmsTable(code, first, last, scale, params["l"], params["m"], params["s"])
