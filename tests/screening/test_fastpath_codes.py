"""Sex, position and oedema codes of the usual spellings read directly, as by the full rules."""

from __future__ import annotations

import numpy as np

from growth_charts.codes import MISSING, UNKNOWN, measure_codes, oedema_codes, sex_codes


def test_usual_spellings() -> None:
    got = sex_codes(["M", "F", "m", "f", "Male", "FEMALE", "male", "1", "2"])
    assert got.tolist() == [0, 1, 0, 1, 0, 1, 0, 0, 1]
    assert measure_codes(np.array(["L", "H", "l", "h"])).tolist() == [0, 1, 0, 1]
    assert oedema_codes(["Y", "N", "y", "n", "1", "2"]).tolist() == [1, 0, 1, 0, 1, 0]


def test_other_spellings_take_the_full_rules() -> None:
    got = sex_codes([" m ", "mAlE", "2.0", "1.00", "", "  ", None, float("nan"), "x", "3"])
    assert got.tolist() == [0, 0, 1, 0, MISSING, MISSING, MISSING, MISSING, UNKNOWN, UNKNOWN]
    assert measure_codes([" h", "Lh", ""]).tolist() == [1, UNKNOWN, MISSING]
