"""Every cell of the table on WHO's 498-child survey against WHO anthro's own shortcut formulas.

Without a design, WHO anthro 1.x skips the survey package and uses closed forms
(``prevalence-simple.R``): for n values of a group among the N rows of the survey,
SE = √(N/(N−1))/n · √Σ(x − r)², limits t(N−1), a proportion's on the logit scale with
SE_logit = √(N/(N−1) / (n r (1 − r))). With sampling weights only (``prevalence-hybrid-sw.R``):
r = Σwx/Σw, SE = √(N/(N−1))/Σw · √Σw²(x − r)², SD = √(Σw(x − r)²/Σw · n/(n−1)).
Those formulas are written out here with pandas, independently of ``growth_charts.survey``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from growth_charts.prevalence import prevalence

CUTS = {"_3": (-3, "<"), "_2": (-2, "<"), "_1": (-1, "<"), "1": (1, ">"), "2": (2, ">"),
        "3": (3, ">")}  # fmt: skip
AGE_LABELS = ["00-05 mo", "06-11 mo", "12-23 mo", "24-35 mo", "36-47 mo", "48-59 mo"]


@pytest.fixture(scope="module")
def survey(igrowup_r_survey: pd.DataFrame) -> pd.DataFrame:
    d = igrowup_r_survey.copy()
    # WHO's file has no implausible value; mark a few as flagged to exercise the exclusion
    d.loc[[3, 40, 41], "flen"] = 1
    d.loc[[7, 99], "fwei"] = 1
    d.loc[[12], "fwfl"] = 1
    d["age.days"] = d["age.days"].astype(float)
    d.loc[[20, 21], "age.days"] = np.nan  # kept, but in no age group
    return pd.DataFrame(
        {
            "sex": d["GENDER"],
            "age_days": d["age.days"],
            "oedema": d["oedema"],
            "region": d["region"],
            "sw": d["SW"],
            **{c: d[c] for c in ("zlen", "flen", "zwei", "fwei", "zwfl", "fwfl", "zbmi", "fbmi")},
        }
    )


def reference(frame: pd.DataFrame, weighted: bool) -> pd.DataFrame:
    data = frame[frame["age_days"].isna() | (frame["age_days"] <= 1826)].reset_index(drop=True)
    big_n = len(data)
    t = stats.t.ppf(0.975, big_n - 1)
    w = data["sw"] if weighted else pd.Series(1.0, index=data.index)
    oedema = data["oedema"] == "y"
    months = data["age_days"] / 30.4375
    age = pd.cut(months, [0, 6, 12, 24, 36, 48, 60], right=False, labels=AGE_LABELS)
    sex = data["sex"].map({1: "Male", 2: "Female"})
    groupings = {
        "All": pd.Series("All", index=data.index),
        "Age group": "Age group: " + age.astype(str).where(age.notna()),
        "Sex": "Sex: " + sex,
        "Age + sex": "Age + sex: " + age.astype(str).where(age.notna()) + "." + sex,
        "Geographical region": "Geographical region: " + data["region"],
    }
    variables = {}
    for label, col in (("HA", "zlen"), ("WA", "zwei"), ("BMI", "zbmi"), ("WH", "zwfl")):
        z = data[col].where(data["f" + col[1:]] != 1)
        summary = z if label == "HA" else z.where(~oedema)
        prev = summary if label == "HA" else summary.where(~oedema, -3.1)
        variables[label] = (prev, summary)
    rows = []
    for groups in groupings.values():
        for group in sorted(groups.dropna().unique(), key=str):
            inside = groups == group
            out = {"Group": group}
            for label, (prev, summary) in variables.items():
                ok = inside & prev.notna()
                out[f"{label}Z_pop"] = w[ok].sum()
                out[f"{label}Z_unwpop"] = ok.sum()
                for suffix, (cut, op) in CUTS.items():
                    x = (prev[ok] < cut) if op == "<" else (prev[ok] > cut)
                    x, ww = x.astype(float), w[ok]
                    r = (ww * x).sum() / ww.sum()
                    se = (
                        np.sqrt(big_n / (big_n - 1))
                        / ww.sum()
                        * np.sqrt((ww**2 * (x - r) ** 2).sum())
                    )
                    if 0 < r < 1:
                        half = t * se / (r * (1 - r))
                        logit = np.log(r / (1 - r))
                        ll, ul = (
                            1 / (1 + np.exp(-(logit - half))),
                            1 / (1 + np.exp(-(logit + half))),
                        )
                    else:
                        ll = ul = r
                    name = f"{label}{suffix}"
                    out.update({f"{name}_r": 100 * r, f"{name}_se": 100 * se,
                                f"{name}_ll": 100 * ll, f"{name}_ul": 100 * ul})  # fmt: skip
                ok = inside & summary.notna()
                x, ww = summary[ok], w[ok]
                n = len(x)
                r = (ww * x).sum() / ww.sum()
                se = np.sqrt(big_n / (big_n - 1)) / ww.sum() * np.sqrt((ww**2 * (x - r) ** 2).sum())
                sd = np.sqrt((ww / ww.sum() * (x - r) ** 2).sum() * n / (n - 1))
                out.update({f"{label}_r": r, f"{label}_se": se, f"{label}_ll": r - t * se,
                            f"{label}_ul": r + t * se, f"{label}_stdev": sd})  # fmt: skip
            rows.append(out)
    return pd.DataFrame(rows).set_index("Group")


@pytest.mark.parametrize("weighted", [False, True], ids=["simple", "weights-only"])
def test_every_cell_matches_whos_closed_forms(survey: pd.DataFrame, weighted: bool):
    with pytest.warns(UserWarning, match="aged over 1826"):
        table = prevalence(survey, gregion="region", weights="sw" if weighted else None)
    table = table.set_index("Group")
    expected = reference(survey, weighted)
    assert len(table) == 21 + 4  # default groups + 4 regions
    common = expected.index.intersection(table.index)
    assert len(common) == len(expected)  # every non-empty group of the reference is there
    for column in expected.columns:
        np.testing.assert_allclose(
            table.loc[common, column].to_numpy(float),
            expected.loc[common, column].to_numpy(float),
            rtol=1e-9,
            atol=1e-12,
            err_msg=column,
        )


def test_the_survey_has_the_shape_we_expect(survey: pd.DataFrame):
    """Guards the fixture: 498 children, oedema cases, flagged values, ages missing and over
    1826 days, four regions."""
    assert len(survey) == 498
    assert (survey["oedema"] == "y").sum() > 0
    assert (survey[["flen", "fwei", "fwfl", "fbmi"]] == 1).any().any()
    assert survey["region"].nunique() == 4
    assert survey["age_days"].isna().any() and (survey["age_days"] > 1826).any()
