"""Vectorised cleaning of the categorical inputs: sex, measuring position and oedema.

Each returns small integer codes, with one code for "missing" and one for "not a known value", so
that the batch interface can leave a missing value missing but name the row of an unknown one.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

MISSING = -1
UNKNOWN = -2
SMALL = 64  # arrays up to this size are mapped value by value
_WHOLE_NUMBER = re.compile(r"^(\d+)\.0+$")

# sex: 0 = male, 1 = female
_SEX = {"m": 0, "1": 0, "male": 0, "f": 1, "2": 1, "female": 1}
# measuring position: 0 = lying (recumbent length), 1 = standing (height)
_MEASURE = {"l": 0, "h": 1}
# oedema: 1 = bilateral pitting oedema, 0 = none
_OEDEMA = {"y": 1, "1": 1, "n": 0, "2": 0}


# the usual spellings of each known value (as is, upper case, capitalised): read without the
# trim, case fold and number pattern of _code_of, which they would pass through unchanged
_EXACT = {
    id(mapping): {v: code for text, code in mapping.items()
                  for v in (text, text.upper(), text.capitalize())}
    for mapping in (_SEX, _MEASURE, _OEDEMA)
}  # fmt: skip


def _codes(values: ArrayLike, mapping: dict[str, int]) -> NDArray[np.int8]:
    array = np.asarray(values)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.dtype.kind in "iuf":
        numeric = array.astype(np.float64)
        codes = np.full(numeric.shape, UNKNOWN, dtype=np.int8)
        codes[np.isnan(numeric)] = MISSING
        for text, code in mapping.items():
            if text.isdigit():
                codes[numeric == float(text)] = code
        return codes
    flat = array.reshape(-1)
    if flat.size <= SMALL:  # one child or a few: no pandas machinery
        codes = np.array([_code_of(value, mapping) for value in flat], dtype=np.int8)
        return codes.reshape(array.shape)
    # map each distinct value once (a survey has a handful), then spread by the factor codes
    factor, uniques = pd.factorize(flat, use_na_sentinel=True)
    unique_codes = np.array([_code_of(value, mapping) for value in uniques], dtype=np.int8)
    codes = np.append(unique_codes, np.int8(MISSING))[factor]  # factor −1 (NaN/None) → missing
    return codes.reshape(array.shape)


def _code_of(value: object, mapping: dict[str, int]) -> int:
    """The code of one raw value: trimmed, case-folded, "1.0" read as "1"; blank → missing."""
    if isinstance(value, str):
        exact = _EXACT.get(id(mapping))
        if exact is not None and value in exact:
            return exact[value]
    elif value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    text = _WHOLE_NUMBER.sub(r"\1", str(value).strip().lower())
    if not text:
        return MISSING
    return mapping.get(text, UNKNOWN)


def sex_codes(sex: ArrayLike) -> NDArray[np.int8]:
    """0 male, 1 female from 1/2, "m"/"f", "M"/"F" or "male"/"female"; −1 missing, −2 unknown."""
    return _codes(sex, _SEX)


def measure_codes(measure: ArrayLike) -> NDArray[np.int8]:
    """0 lying ("l"), 1 standing ("h"), any case; −1 missing, −2 unknown."""
    return _codes(measure, _MEASURE)


def oedema_codes(oedema: ArrayLike) -> NDArray[np.int8]:
    """1 oedema ("y" or 1), 0 none ("n" or 2); −1 missing (counts as none), −2 unknown."""
    return _codes(oedema, _OEDEMA)


_MAPPINGS = {"sex": _SEX, "measure": _MEASURE, "oedema": _OEDEMA}


def single_code(value: object, kind: str) -> int | None:
    """The code ``*_codes`` gives one Python ``str`` or ``None`` (``kind``: sex, measure or
    oedema); ``None`` for any other value, which the array functions read."""
    if value is None or (type(value) is str and "\x00" not in value):
        return _code_of(value, _MAPPINGS[kind])
    return None
