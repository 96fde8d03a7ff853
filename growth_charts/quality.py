"""Data-quality report of an anthropometric survey, in the spirit of WHO's Anthro Survey Analyser.

From a frame with WHO Anthro's input and output columns (``sex``, ``age_days``/``age_months``,
``weight``, ``lenhei``, ``oedema``, ``z*``/``f*``), for children aged 0–1826 days (or without
age), unweighted:

- per z-score (HAZ, WAZ, WHZ, BMIZ): missing and flagged shares, mean, SD, skewness and
  kurtosis of the non-flagged z, with expected ranges: SD within the 5th–95th percentiles of 51
  DHS surveys (Mei & Grummer-Strawn, Bull WHO 2007;85:441–8, quoted by the WHO/UNICEF 2019
  recommendations): HAZ 1.35–1.95, WAZ 1.17–1.46, WHZ 1.08–1.50, BMIZ 1.08–1.55; skewness
  (moment coefficient g1) within −0.5..+0.5 and kurtosis (m4/m2², 3 for a normal distribution)
  within 2..4 — the rule-of-thumb bands of those recommendations as we read them;
- terminal-digit preference of weight (0.1 kg) and length/height (0.1 cm): share of each last
  digit and the digit preference score DPS = 100·√(χ²/(n·9)) (0 = no preference; SMART grades
  ≤ 7 excellent, ≤ 12 good, ≤ 20 acceptable);
- age heaping: children per completed month of age (0–59) by sex, and the heaping index at
  whole years and half-years: observed share of those months / expected share × 100 (100 = none);
- sex ratio (boys per girl) with an exact binomial test against 1:1.

``quality_report(frame)`` returns a ``QualityReport``; ``.summary`` is one long DataFrame
(section, item, value, expected, assessment) for printing; ``growth_charts.quality_html``
renders the self-contained HTML report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from growth_charts.age import DAYS_PER_MONTH
from growth_charts.codes import oedema_codes, sex_codes
from growth_charts.frame import MissingColumnError, numeric_column
from growth_charts.rounding import round_half_up

Array = NDArray[np.float64]
LAST_DAY = 1826
# label, z column, expected SD range
Z_SCORES = (
    ("HAZ", "zlen", (1.35, 1.95)),
    ("WAZ", "zwei", (1.17, 1.46)),
    ("WHZ", "zwfl", (1.08, 1.50)),
    ("BMIZ", "zbmi", (1.08, 1.55)),
)
SKEWNESS_RANGE = (-0.5, 0.5)
KURTOSIS_RANGE = (2.0, 4.0)
DPS_GRADES = ((7.0, "excellent"), (12.0, "good"), (20.0, "acceptable"))
SEX_RATIO_ALPHA = 0.05


@dataclass(frozen=True)
class QualityReport:
    """The report's tables.

    ``indicators``: one row per z-score; ``digits``: share (%) of each terminal digit per
    measurement, with the DPS; ``age_months``: children per completed month by sex;
    ``summary``: everything in long form; ``z_values``: the non-flagged z per indicator, for the
    histograms.
    """

    indicators: pd.DataFrame
    digits: pd.DataFrame
    age_months: pd.DataFrame
    summary: pd.DataFrame
    z_values: dict[str, Array]


def _within(value: float, low: float, high: float) -> str:
    if np.isnan(value):
        return "not computed"
    return "within expected range" if low <= value <= high else "outside expected range"


def _indicator_row(label: str, z: Array, flag: Array, sd_range: tuple[float, float]) -> dict:
    n = len(z)
    flagged = flag == 1
    computed = ~np.isnan(z)
    clean = z[computed & ~flagged]
    m = len(clean)
    mean = float(clean.mean()) if m else np.nan
    sd = float(clean.std(ddof=1)) if m > 1 else np.nan
    skew = float(stats.skew(clean, bias=True)) if m > 2 else np.nan
    kurt = float(stats.kurtosis(clean, fisher=False, bias=True)) if m > 3 else np.nan
    return {
        "indicator": label,
        "n": n,
        "missing": int((~computed).sum()),
        "missing_pct": 100 * (~computed).sum() / n if n else np.nan,
        "flagged": int(flagged.sum()),
        "flagged_pct": 100 * flagged.sum() / computed.sum() if computed.any() else np.nan,
        "mean": mean,
        "sd": sd,
        "sd_expected": f"{sd_range[0]:.2f}-{sd_range[1]:.2f}",
        "sd_assessment": _within(sd, *sd_range),
        "skewness": skew,
        "skewness_assessment": _within(skew, *SKEWNESS_RANGE),
        "kurtosis": kurt,
        "kurtosis_assessment": _within(kurt, *KURTOSIS_RANGE),
    }


def digit_preference(values: Array) -> tuple[Array, float, int]:
    """(share in % of last digits 0–9 of values recorded to 0.1, DPS, n) ignoring NaN/≤ 0."""
    valid = values[~np.isnan(values) & (values > 0)]
    n = len(valid)
    if n == 0:
        return np.full(10, np.nan), np.nan, 0
    digits = (round_half_up(valid * 10) % 10).astype(np.int64)
    counts = np.bincount(digits, minlength=10).astype(np.float64)
    expected = n / 10
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    return 100 * counts / n, 100 * np.sqrt(chi2 / (n * 9)), n


def _dps_grade(dps: float) -> str:
    if np.isnan(dps):
        return "not computed"
    for limit, grade in DPS_GRADES:
        if dps <= limit:
            return grade
    return "problematic"


def _heaping_index(counts: Array, months: range) -> float:
    """Observed share of children in ``months`` over the share expected without heaping."""
    total = counts.sum()
    if total == 0:
        return np.nan
    observed = counts[list(months)].sum() / total
    return 100 * observed / (len(months) / len(counts))


def _ages(frame: pd.DataFrame) -> tuple[Array, Array]:
    if "age_days" in frame:
        days = numeric_column(frame, "age_days")
        return days, days / DAYS_PER_MONTH
    if "age_months" in frame:
        months = numeric_column(frame, "age_months")
        return months * DAYS_PER_MONTH, months
    raise MissingColumnError("age_days")


def quality_report(frame: pd.DataFrame) -> QualityReport:
    """The data-quality report of ``frame`` (see the module doc); needs ``sex`` and an age."""
    if "sex" not in frame:
        raise MissingColumnError("sex")
    days, months = _ages(frame)
    keep = np.isnan(days) | (round_half_up(days) <= LAST_DAY)
    data = frame.iloc[np.flatnonzero(keep)]
    months = months[keep]
    sex = sex_codes(data["sex"].to_numpy())  # 0 male, 1 female
    oedema = (
        oedema_codes(data["oedema"].to_numpy()) == 1
        if "oedema" in data
        else np.zeros(len(data), bool)
    )
    rows, z_values = [], {}
    for label, column, sd_range in Z_SCORES:
        if column not in data:
            continue
        z = numeric_column(data, column)
        flag_column = "f" + column[1:]
        flag = numeric_column(data, flag_column) if flag_column in data else np.zeros(len(z))
        rows.append(_indicator_row(label, z, flag, sd_range))
        z_values[label] = z[~np.isnan(z) & (flag != 1)]
    indicators = pd.DataFrame(rows)
    digit_rows, digit_summary = [], []
    for label, column, unit in (("weight", "weight", "kg"), ("length/height", "lenhei", "cm")):
        if column not in data:
            continue
        shares, dps, n = digit_preference(numeric_column(data, column))
        digit_rows.append({"measurement": f"{label} ({unit})", "n": n,
                           **{str(d): shares[d] for d in range(10)}, "dps": dps,
                           "dps_assessment": _dps_grade(dps)})  # fmt: skip
        digit_summary.append(("digit preference", f"{label} DPS", dps, "0-20", _dps_grade(dps)))
    digits = pd.DataFrame(digit_rows)
    completed = np.floor(months)
    in_range = (completed >= 0) & (completed < 60)
    month = completed[in_range].astype(np.int64)
    by_sex = {
        "female": np.bincount(month[sex[in_range] == 1], minlength=60),
        "male": np.bincount(month[sex[in_range] == 0], minlength=60),
    }
    age_months = pd.DataFrame(
        {"month": np.arange(60), **by_sex, "all": np.bincount(month, minlength=60)}
    )
    counts = age_months["all"].to_numpy(np.float64)
    years = _heaping_index(counts, range(12, 60, 12))
    half_years = _heaping_index(counts, range(6, 60, 6))
    boys, girls = int((sex == 0).sum()), int((sex == 1).sum())
    ratio = boys / girls if girls else np.nan
    p_value = stats.binomtest(boys, boys + girls, 0.5).pvalue if boys + girls else np.nan
    summary = []
    for row in rows:
        name = row["indicator"]
        summary += [
            ("z-scores", f"{name} missing (%)", row["missing_pct"], "", ""),
            ("z-scores", f"{name} flagged (%)", row["flagged_pct"], "", ""),
            ("z-scores", f"{name} mean", row["mean"], "", ""),
            ("z-scores", f"{name} SD", row["sd"], row["sd_expected"], row["sd_assessment"]),
            ("z-scores", f"{name} skewness", row["skewness"], "-0.5 to 0.5",
             row["skewness_assessment"]),
            ("z-scores", f"{name} kurtosis", row["kurtosis"], "2 to 4",
             row["kurtosis_assessment"]),
        ]  # fmt: skip
    summary += digit_summary
    summary += [
        ("children", "children aged 0-1826 days or of unknown age", float(len(data)), "", ""),
        ("children", "with oedema", float(oedema.sum()), "", ""),
        ("sex", "boys", float(boys), "", ""),
        ("sex", "girls", float(girls), "", ""),
        ("sex", "sex ratio (boys per girl)", ratio, "about 1.0-1.05",
         "balanced" if not p_value < SEX_RATIO_ALPHA else "unbalanced (p < 0.05)"),
        ("sex", "sex ratio test p-value (1:1)", p_value, "", ""),
        ("age", "heaping index at whole years (12, 24, 36, 48 mo)", years, "100", ""),
        ("age", "heaping index at half-years (6, 12, ..., 54 mo)", half_years, "100", ""),
        ("age", "children with age in 0-59 months", float(in_range.sum()), "", ""),
    ]  # fmt: skip
    columns = ["section", "item", "value", "expected", "assessment"]
    summary_frame = pd.DataFrame(summary, columns=columns)
    return QualityReport(indicators, digits, age_months, summary_frame, z_values)
