"""WS/T 423-2022: the tables, their consistency check, z between SD columns, the categories.

Golden values are worked by hand from the printed rows (reference_data/ws423/*.csv), e.g. boys'
weight-for-age at 12 months: −3…+3 SD = 7.4, 8.2, 9.1, 10.1, 11.2, 12.4, 13.9 kg.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

import reference_data
from growth_charts import ws423
from growth_charts.age import DAYS_PER_MONTH

SOURCE_SHA256 = "163edebf602b6634f570f3987f6045c16ccff6fe0528ef39d397a55f6633855f"
SOURCE_CHARS = 79942


def _rows(code: str, sex: str) -> list[list[float]]:
    tab = ws423.table(code)
    sd = tab.sd[0 if sex == "M" else 1]
    return [[int(k), *map(float, row)] for k, row in zip(tab.keys, sd, strict=True)]


def test_tables_rebuild_the_source_file_exactly() -> None:
    """The CSVs hold every value of the transcription: rebuilt in its generator's layout
    (json.dumps, indent 2) they give the stored file's length and the sha256 in PROVENANCE."""
    meta = {
        "code": "WS/T 423—2022", "name": "7岁以下儿童生长标准",
        "publisher": "中华人民共和国国家卫生健康委员会", "publishedAt": "2022-09-19",
        "effectiveAt": "2023-03-01", "ageRangeMonths": [0, 84],
        "sdColumns": [-3, -2, -1, 0, 1, 2, 3],
    }  # fmt: skip
    names = {"weight": "wfa", "stature": "lhfa", "bmi": "bmi", "headCircumference": "hcfa"}
    data = {
        "metadata": meta,
        "ageBased": {g: {k: _rows(c, s) for k, c in names.items()} for g, s in
                     (("boy", "M"), ("girl", "F"))},
        "statureBasedWeight": {g: {"length": _rows("wfl", s), "height": _rows("wfh", s)}
                               for g, s in (("boy", "M"), ("girl", "F"))},
    }  # fmt: skip
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    assert len(text) == SOURCE_CHARS
    assert hashlib.sha256(text.encode()).hexdigest() == SOURCE_SHA256
    assert SOURCE_SHA256 in reference_data.read_bytes("PROVENANCE.md").decode()


@pytest.mark.parametrize(
    ("code", "first", "last", "rows"),
    [("wfa", 0, 81, 44), ("lhfa", 0, 81, 44), ("bmi", 0, 81, 44), ("hcfa", 0, 36, 29),
     ("wfl", 45, 100, 56), ("wfh", 75, 130, 56)],
)  # fmt: skip
def test_table_ranges(code: str, first: float, last: float, rows: int) -> None:
    tab = ws423.table(code)
    assert (tab.keys[0], tab.keys[-1], tab.keys.size, tab.sd.shape) == (
        first,
        last,
        rows,
        (2, rows, 7),
    )


def _corrupt(code: str, sex: int, row: int, col: int, value: float) -> None:
    tab = ws423.table(code)
    sd = tab.sd.copy()
    sd[sex, row, col] = value
    ws423.check_table(code, tab.keys, sd)


def test_every_table_passes_its_consistency_check() -> None:
    for code in ws423.TABLES:
        tab = ws423.table(code)
        ws423.check_table(code, tab.keys, tab.sd)  # raises on failure


def test_check_refuses_a_row_not_increasing_in_sd() -> None:
    # boys' weight at 12 months with +1 SD typed as 10.0 (below the median 10.1)
    with pytest.raises(ws423.Ws423TableError, match=r"at 12: sd1 is not above sd0"):
        _corrupt("wfa", 0, 12, 4, 10.0)


def test_check_refuses_a_value_not_smooth_in_age() -> None:
    # girls' length at 10 months, median 72.8 typed 73.8: 0.4 of the 2.5 cm SD step off the
    # line 71.5 → 74.0 between 9 and 11 months, and no longer monotone with 74.0 at 11 months
    with pytest.raises(
        ws423.Ws423TableError, match=r"length_height_for_age\.csv: F sd0 at 10 is not smooth"
    ):
        _corrupt("lhfa", 1, 10, 3, 73.8)


def test_check_refuses_a_fall_with_age() -> None:
    with pytest.raises(ws423.Ws423TableError, match=r"falls from 30 to 33"):
        _corrupt("hcfa", 0, 27, 0, 45.2)  # boys' −3 SD head 45.3 at 30 m → 45.2 at 33 m


# --- z between the SD columns ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "z"),
    [(7.4, -3), (8.2, -2), (9.1, -1), (10.1, 0), (11.2, 1), (12.4, 2), (13.9, 3)],
)
def test_a_value_on_an_sd_column_gives_its_integer_z(value: float, z: int) -> None:
    assert ws423.zscore("wfa", "M", 12, value)[0] == z


@pytest.mark.parametrize(
    ("code", "sex", "x", "value", "z"),
    [
        ("wfa", "M", 12, 10.65, 0.5),  # midway 10.1 → 11.2
        ("wfa", "M", 12, 7.8, -2.5),  # midway 7.4 → 8.2
        ("wfa", "M", 12, 15.4, 4.0),  # beyond +3: 3 + (15.4 − 13.9)/(13.9 − 12.4)
        ("wfa", "M", 12, 6.6, -4.0),  # beyond −3: −3 + (6.6 − 7.4)/(8.2 − 7.4)
        ("wfa", "M", 25.5, 12.85, 0.0),  # median midway between 24 m (12.6) and 27 m (13.1)
        ("lhfa", "F", 0, 49.35, -0.5),  # girls at birth: −1 SD 48.4, median 50.3
        ("hcfa", "F", 36, 49.2, 0.5),  # girls at 36 m: 48.5 → 49.9
        ("bmi", "M", 60, 16.0, 0.5),  # boys at 60 m: 15.3 → 16.7
        ("wfl", "F", 45.5, 2.15, -1.5),  # rows 45 (2.0, 2.2) and 46 (2.1, 2.3) cm
        ("wfh", "M", 110, 24.2, 3.0),  # boys' +3 SD at 110 cm
    ],
)
def test_golden_values(code: str, sex: str, x: float, value: float, z: float) -> None:
    assert ws423.zscore(code, sex, x, value)[0] == pytest.approx(z, abs=1e-9)


def test_length_rows_continue_to_24_months_and_height_rows_start_there() -> None:
    """Boys 23.5 months lying: median 88.0 at 23 m plus half the 22→23 rise (1.0 cm) = 88.5;
    at 24.5 months standing: between the 24 m (88.2) and 27 m (90.8) height medians."""
    days = 23.5 * DAYS_PER_MONTH
    assert ws423.zscore("lhfa", "M", 23.5, 88.5, days)[0] == pytest.approx(0.0, abs=1e-9)
    median = 88.2 + (0.5 / 3) * (90.8 - 88.2)
    assert ws423.zscore("lhfa", "M", 24.5, median)[0] == pytest.approx(0.0, abs=1e-9)


def test_ranges_and_missing_values() -> None:
    z = ws423.zscore("wfa", ["M", "M", "F", "x", "M"], [82.0, 85.0, -1.0, 12.0, 12.0],
                     [23.4, 23.4, 3.3, 10.1, 0.0])  # fmt: skip
    assert z[0] == pytest.approx(0.0)  # 81–84 months: the 81-month row holds
    assert np.isnan(z[1:]).all()  # over 84 m, before birth, unknown sex, a value ≤ 0
    assert np.isnan(ws423.zscore("hcfa", "M", 37.0, 49.3)[0])  # head only to 36 months
    assert np.isnan(ws423.zscore("wfl", "M", 44.9, 2.3)[0])


def test_vectorised_matches_one_by_one() -> None:
    rng = np.random.default_rng(4)
    months = rng.uniform(0, 81, 500)
    weight = rng.uniform(2, 30, 500)
    sex = rng.choice(["M", "F"], 500)
    together = ws423.zscore("wfa", sex, months, weight)
    apart = [ws423.zscore("wfa", s, m, w)[0] for s, m, w in zip(sex, months, weight, strict=True)]
    np.testing.assert_allclose(together, apart)
    back = ws423.value_at_z("wfa", sex, months, together)
    np.testing.assert_allclose(back, weight)


# --- categories ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "z", "expected"),
    [
        ("wfa", -2.0, "normal"), ("wfa", -2.001, "underweight"), ("wfa", -3.0, "underweight"),
        ("wfa", -3.001, "severe_underweight"), ("wfa", 2.5, "normal"),
        ("lhfa", -2.0, "normal"), ("lhfa", -2.01, "stunting"), ("lhfa", -3.5, "severe_stunting"),
        ("wfl", -2.01, "wasting"), ("wfh", -3.01, "severe_wasting"), ("bmi", -2.0, "normal"),
        ("bmi", 1.0, "normal"), ("bmi", 1.001, "overweight"), ("bmi", 2.0, "overweight"),
        ("bmi", 2.001, "obesity"), ("wflh", 1.5, "overweight"), ("wfh", 3.5, "obesity"),
        ("hcfa", -4.0, ""), ("bmi", float("nan"), ""),
    ],
)  # fmt: skip
def test_categories_at_their_cut_offs(code: str, z: float, expected: str) -> None:
    assert ws423.category(code, [z])[0] == expected


def test_a_value_exactly_on_minus_2_sd_is_not_underweight() -> None:
    """ "< M − 2SD": girls at 12 months weighing the printed −2 SD value, 7.7 kg."""
    z = ws423.zscore("wfa", "F", 12, [7.7, 7.69])
    assert list(ws423.category("wfa", z)) == ["normal", "underweight"]
