"""The data-quality report on small hand-made samples, and its HTML page."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from growth_charts import MissingColumnError
from growth_charts.quality import digit_preference, quality_report
from growth_charts.quality_html import quality_html, z_histogram
from tests.growth_charts.frames import unflagged_z


def sample(n: int = 8, **columns) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "sex": [1, 2] * (n // 2),
            "age_days": 400.0,
            "weight": 10.0,
            "lenhei": 75.0,
            **unflagged_z(),
        },
        index=range(n),
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


def value(report, item: str) -> float:
    summary = report.summary.set_index("item")
    return float(summary.loc[item, "value"])


def test_digit_preference_score_extremes():
    shares, dps, n = digit_preference(np.array([10.0 + d / 10 for d in range(10)]))
    assert n == 10 and dps == pytest.approx(0) and shares == pytest.approx([10] * 10)
    # every value ends in 0: χ² = (10 − 1)² + 9 · (0 − 1)² = 90 → DPS = 100 · √(90 / 90)
    shares, dps, _ = digit_preference(np.array([10.0, 11.0, 12.0, 9.0, 8.0] * 2))
    assert dps == pytest.approx(100) and shares[0] == 100
    # 7.25 is recorded as 7.3 (half up), missing and non-positive values are ignored
    shares, _, n = digit_preference(np.array([7.25, np.nan, 0.0, -1.0]))
    assert n == 1 and shares[3] == 100


def test_moments_of_the_z_scores_by_hand():
    z = [-1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 3.0]
    haz = quality_report(sample(zlen=z)).indicators.set_index("indicator").loc["HAZ"]
    x = np.array(z)
    m = x.mean()  # 3/8
    m2, m3, m4 = (((x - m) ** k).mean() for k in (2, 3, 4))
    assert haz["mean"] == pytest.approx(0.375)
    assert haz["sd"] == pytest.approx(math.sqrt(((x - m) ** 2).sum() / 7))
    assert haz["skewness"] == pytest.approx(m3 / m2**1.5)
    assert haz["kurtosis"] == pytest.approx(m4 / m2**2)
    assert haz["sd_assessment"] == "outside expected range"  # SD ≈ 1.19 < 1.35


def test_missing_and_flagged_shares():
    frame = sample(
        zlen=[np.nan, np.nan, 7.0, 0.5, -0.5, 1.0, -1.0, 0.0],
        flen=[np.nan, np.nan, 1, 0, 0, 0, 0, 0],
    )
    haz = quality_report(frame).indicators.set_index("indicator").loc["HAZ"]
    assert haz["missing"] == 2 and haz["missing_pct"] == pytest.approx(25)
    assert haz["flagged"] == 1 and haz["flagged_pct"] == pytest.approx(100 / 6)
    assert haz["mean"] == pytest.approx(0)  # the flagged 7.0 is left out


def test_sex_ratio_and_age_filter():
    frame = sample(10, sex=[1, 1, 1, 2, 2, 1, 1, 2, 2, 2], age_days=[400.0] * 9 + [1900.0])
    report = quality_report(frame)
    # the tenth child (1900 days) is left out: 5 boys, 4 girls
    assert value(report, "boys") == 5 and value(report, "girls") == 4
    assert value(report, "sex ratio (boys per girl)") == pytest.approx(1.25)
    assert value(report, "sex ratio test p-value (1:1)") == pytest.approx(1.0)


def test_age_heaping_and_children_per_month():
    months = [12.0, 24.0, 36.0, 48.0] * 2
    report = quality_report(sample(age_days=[m * 30.4375 + 1 for m in months]))
    ages = report.age_months.set_index("month")
    # rows 0 and 4 (boys) are 12 months old, rows 1 and 5 (girls) 24 months
    assert ages.loc[12, "all"] == 2 and ages.loc[12, "male"] == 2 and ages.loc[12, "female"] == 0
    assert ages.loc[24, "female"] == 2
    assert ages["all"].sum() == 8
    # all 8 at whole years: observed share 1, expected 4/60 → 1500
    assert value(report, "heaping index at whole years (12, 24, 36, 48 mo)") == pytest.approx(1500)
    assert value(report, "heaping index at half-years (6, 12, ..., 54 mo)") == pytest.approx(
        100 / (9 / 60)
    )


def test_uniform_ages_have_no_heaping():
    report = quality_report(sample(60, age_days=[(m + 0.5) * 30.4375 for m in range(60)]))
    assert value(report, "heaping index at whole years (12, 24, 36, 48 mo)") == pytest.approx(100)


def test_needs_sex_and_age():
    with pytest.raises(MissingColumnError, match="'sex'"):
        quality_report(sample().drop(columns=["sex"]))
    with pytest.raises(MissingColumnError, match="'age_days'"):
        quality_report(sample().drop(columns=["age_days"]))


def test_html_is_self_contained_with_one_histogram_per_z_score():
    rng = np.random.default_rng(1)
    frame = sample(200, zlen=np.round(rng.normal(-1, 1.2, 200), 2))
    page = quality_html(quality_report(frame), title="Survey <2024>")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Survey &lt;2024&gt;</title>" in page
    assert get_plotlyjs() in page  # plotly.js inlined once
    rest = page.replace(get_plotlyjs(), "")
    assert re.search(r"<(script|img|link)[^>]*\b(src|href)\s*=", rest) is None
    assert "http://" not in rest and "https://" not in rest  # nothing fetched from outside
    assert "Plotly.newPlot" in page  # the figures
    assert page.count('class="plotly-graph-div"') == 5  # HAZ, WAZ, WHZ, BMIZ and age
    assert "WHO standard (N(0, 1))" in page


def test_histogram_is_a_density_over_quarter_sd_bins():
    figure = z_histogram("HAZ", np.array([-0.1, 0.1, 0.2, 0.3]))
    bars = figure.data[0]
    # 1 value in [−0.25, 0), 3 in [0, 0.25) + [0.25, 0.5): density = count / (n · 0.25)
    centres = dict(zip(np.round(bars.x, 3), bars.y, strict=True))
    assert centres[-0.125] == pytest.approx(1.0)
    assert centres[0.125] == pytest.approx(2.0) and centres[0.375] == pytest.approx(1.0)
    assert sum(bars.y) * 0.25 == pytest.approx(1.0)
