"""Many recalls: numerator and denominator of every IYCF indicator per group, vectorised.

The result is service data (parents chose to answer), not a survey prevalence; its
``attrs["label"]`` says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from screening import reference
from screening.feeding.frame import completed_months
from screening.feeding.indicators import INDICATORS, indicator_frame
from screening.feeding.recall import MissingFieldError
from screening.reference import RecallBank

AGE_GROUPS: tuple[tuple[int, int, str], ...] = (
    (0, 5, "0-5"),
    (6, 8, "6-8"),
    (9, 11, "9-11"),
    (12, 17, "12-17"),
    (18, 23, "18-23"),
)
AGE_GROUP = "age_group"
SERVICE_DATA_LABEL = "service data (parents chose to answer; not a survey prevalence)"


def age_group(age_days: pd.Series) -> pd.Series:
    """The IYCF age group label ("0-5" … "18-23", completed months) of each age in days."""
    months = completed_months(age_days)
    labels = [label for _, _, label in AGE_GROUPS]
    bins = [low for low, _, _ in AGE_GROUPS] + [AGE_GROUPS[-1][1] + 1]
    return pd.Series(pd.cut(months, bins=bins, right=False, labels=labels), index=age_days.index)


def aggregate(
    frame: pd.DataFrame, by: Sequence[str] = (), bank: RecallBank | None = None
) -> pd.DataFrame:
    """Numerator and denominator of every indicator per group of ``by`` columns (any columns of
    ``frame``, e.g. area, period, sex; ``age_group`` is derived from ``age_days`` when asked for
    and absent). Vectorised: one indicator pass, one groupby.

    Returns a long frame ``[*by, indicator, numerator, denominator, unknown, percent]``:
    ``denominator`` counts recalls where the indicator applies and is known, ``unknown`` those
    where it applies but a "don't know" leaves it open, ``percent`` = 100·numerator/denominator
    (NaN for an empty denominator). The result's ``attrs["label"]`` says it is service data.
    """
    bank = bank or reference.recall_bank()
    by = list(by)
    data = frame
    if AGE_GROUP in by and AGE_GROUP not in frame.columns:
        data = frame.assign(**{AGE_GROUP: age_group(frame["age_days"].astype("int64"))})
    for name in by:
        if name not in data.columns:
            raise MissingFieldError(field=name)
    frames = indicator_frame(data, bank)
    value, applicable = frames.value, frames.applicable
    known = value.notna().to_numpy()
    met = value.fillna(False).to_numpy(dtype=bool)
    app = applicable.to_numpy(dtype=bool)
    parts = {
        "numerator": app & known & met,
        "denominator": app & known,
        "unknown": app & ~known,
    }
    stacked = []
    for name, counts in parts.items():
        part = pd.DataFrame(counts, columns=value.columns, index=data.index).astype("int64")
        if by:
            summed = part.join(data[by]).groupby(by, observed=True, dropna=False).sum()
        else:
            summed = part.sum().to_frame().T
        long = summed.stack()
        long.name = name
        stacked.append(long)
    out = pd.concat(stacked, axis=1)
    out.index = out.index.set_names([*by, "indicator"] if by else [None, "indicator"])
    out = out.reset_index()
    if not by:
        out = out.drop(columns=out.columns[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["percent"] = np.where(
            out["denominator"] > 0,
            100.0 * out["numerator"] / out["denominator"].where(out["denominator"] > 0, 1),
            math.nan,
        )
    out["indicator"] = pd.Categorical(out["indicator"], categories=list(INDICATORS), ordered=True)
    out = out.sort_values([*by, "indicator"], kind="stable").reset_index(drop=True)
    out.attrs["label"] = SERVICE_DATA_LABEL
    out.attrs["indicators_version"] = bank.indicators_version
    return out
