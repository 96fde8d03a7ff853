"""The pandas interface: WHO Anthro's column names in, WHO Anthro's z-score columns out.

Input columns (any subset; names are case-sensitive, as in WHO Anthro): ``sex`` (1/2 or m/f),
``age_days`` or ``age_months`` (``age_days`` wins when both are present), ``weight`` (kg),
``lenhei`` (cm), ``measure`` (l/h), ``oedema`` (y/n or 1/2), ``headc``, ``armc`` (cm),
``triskin``, ``subskin`` (mm). Other columns pass through unchanged, in order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from growth_charts.anthro import OUTPUT_ORDER, RuleSet, children, rounded_matrix
from growth_charts.codes import UNKNOWN, measure_codes, oedema_codes, sex_codes

NUMERIC_COLUMNS = ("age_days", "age_months", "weight", "lenhei", "headc", "armc", "triskin",
                   "subskin")  # fmt: skip
OUTPUT_COLUMNS = (
    "clenhei", "cbmi", "c9mo_flag", "zlen", "flen", "zwei", "fwei", "zwfl", "fwfl", "zbmi",
    "fbmi", "zhc", "fhc", "zac", "fac", "zts", "fts", "zss", "fss",
    "zhfa", "fhfa", "zwfa", "fwfa", "zbfa", "fbfa",
)  # fmt: skip
MISSING_TEXT = ("", "na", "nan", ".", "null", "none")
_EXPECTED = {
    "sex": "1, 2, m or f",
    "measure": "l or h",
    "oedema": "y, n, 1 or 2",
}


class MissingColumnError(ValueError):
    """A required input column is absent."""

    def __init__(self, column: str) -> None:
        self.column = column
        super().__init__(f"required column '{column}' is missing")


class InvalidValueError(ValueError):
    """A value that is not allowed in its column; ``row`` is the 0-based position in the frame."""

    def __init__(self, column: str, row: int, value: object, expected: str) -> None:
        self.column = column
        self.row = row
        self.value = value
        self.expected = expected
        super().__init__(f"column '{column}', row {row}: {value!r} is not valid ({expected})")


def _first_bad(frame: pd.DataFrame, column: str, bad: np.ndarray, expected: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(column, row, frame[column].iloc[row], expected)


def numeric_column(frame: pd.DataFrame, column: str) -> np.ndarray | None:
    """A column as float64 (missing-value text → NaN); ``InvalidValueError`` for other text."""
    if column not in frame:
        return None
    series = frame[column]
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    text = series.astype("string").str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    missing = text.isna() | text.str.lower().isin(MISSING_TEXT)
    _first_bad(frame, column, np.isnan(values) & ~missing.to_numpy(dtype=bool), "a number")
    return values


def _coded(frame: pd.DataFrame, column: str, coder) -> np.ndarray | None:
    if column not in frame:
        return None
    codes = coder(frame[column].to_numpy())
    _first_bad(frame, column, codes == UNKNOWN, _EXPECTED[column])
    return codes


def zscores(frame: pd.DataFrame, rules: RuleSet = "who-anthro") -> pd.DataFrame:
    """``frame`` with WHO's output columns appended (z rounded to 2 decimals, flags 0/1).

    Raises ``MissingColumnError`` without ``sex`` or without any age or measurement column, and
    ``InvalidValueError`` for the first value that cannot be read (e.g. sex "x", weight "abc").
    A missing value, a measurement ≤ 0 or an age outside a table's range gives NaN.
    """
    if "sex" not in frame:
        raise MissingColumnError("sex")
    kids = children(
        _coded(frame, "sex", sex_codes),
        age_days=numeric_column(frame, "age_days"),
        age_months=numeric_column(frame, "age_months"),
        weight=numeric_column(frame, "weight"),
        lenhei=numeric_column(frame, "lenhei"),
        measure=_coded(frame, "measure", measure_codes),
        oedema=_coded(frame, "oedema", oedema_codes),
        headc=numeric_column(frame, "headc"),
        armc=numeric_column(frame, "armc"),
        triskin=numeric_column(frame, "triskin"),
        subskin=numeric_column(frame, "subskin"),
    )
    # rounded as round_and_flag(compute(kids, rules)) does, in one (25, n) matrix that becomes
    # the appended columns' one block without a copy
    matrix = rounded_matrix(kids, rules)
    out = frame.drop(columns=[c for c in OUTPUT_COLUMNS if c in frame.columns])
    appended = pd.DataFrame(matrix.T, index=frame.index, columns=list(OUTPUT_ORDER), copy=False)
    return pd.concat([out, appended], axis=1)
