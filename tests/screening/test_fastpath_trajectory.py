"""The pair scores' one engine call for both ends gives the bits of one call per end."""

from __future__ import annotations

import numpy as np
import pytest

from screening.growth.trajectory import attained_z, cole_correlation, conditional_z, pair_scores


def _pairs(measure: str, n: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["M", "F"], n)
    t1 = rng.integers(0, 1900, n).astype(float)
    t2 = t1 + rng.integers(1, 800, n)
    base = (3.0 + t1 / 120.0) if measure == "weight" else (50.0 + t1 / 25.0)
    spread = 1.5 if measure == "weight" else 6.0
    v1 = np.round(base + rng.uniform(-spread, spread, n), 2)
    v2 = np.round(v1 * rng.uniform(0.8, 1.4, n), 2)
    p1, p2 = rng.choice(["L", "H"], n), rng.choice(["L", "H"], n)
    return sex, t1, t2, v1, v2, p1, p2


@pytest.mark.parametrize("measure", ["weight", "length"])
def test_conditional_z_as_one_call_per_end(measure: str) -> None:
    sex, t1, t2, v1, v2, p1, p2 = _pairs(measure, 400, 7)
    r = cole_correlation(measure, t1, t2)
    one_by_one = [
        float(conditional_z(attained_z(measure, sex[i], t1[i], v1[i], p1[i]),
                            attained_z(measure, sex[i], t2[i], v2[i], p2[i]), r[i])[0])
        for i in range(sex.size)
    ]  # fmt: skip
    single = [
        float(pair_scores(measure, sex[i], t1[i], t2[i], v1[i], v2[i], p1[i], p2[i])
              .conditional_z[0])
        for i in range(sex.size)
    ]  # fmt: skip
    batch = pair_scores(measure, sex, t1, t2, v1, v2, p1, p2).conditional_z
    expected = np.array(one_by_one)
    assert np.isfinite(expected).sum() > 200  # the comparison is about real scores
    np.testing.assert_array_equal(np.array(single), expected)
    np.testing.assert_array_equal(batch, expected)


def test_a_known_pair() -> None:
    s = pair_scores("weight", "M", 61, 200, 5.6, 7.4)
    z1 = attained_z("weight", "M", 61, 5.6)[0]
    z2 = attained_z("weight", "M", 200, 7.4)[0]
    r = cole_correlation("weight", 61, 200)[0]
    assert str(s.method[0]) == "conditional"
    assert float(s.z[0]) == float((z2 - r * z1) / np.sqrt(1.0 - r**2))


def _judged_by_pair_scores(sex, earlier, new):
    """The re-measure flags ``judge`` must give, from :func:`pair_scores` one measure at a time
    (the latest earlier point, the first of equal ages) and the same flag builder."""
    from screening.growth.trajectory import MEASURES, _pair_flag

    flags = []
    for measure in MEASURES:
        point = new.get(measure)
        before = [p for p in earlier.get(measure, ()) if point and p.age_days < point.age_days
                  and p.value > 0]  # fmt: skip
        if not before:
            continue
        prev = max(before, key=lambda p: p.age_days)
        s = pair_scores(measure, sex, prev.age_days, point.age_days, prev.value, point.value,
                        prev.position or "L", point.position or "L")  # fmt: skip
        found = _pair_flag(measure, prev, point, float(s.z[0]), str(s.method[0]) == "velocity",
                           int(s.months[0]), float(s.r[0]))  # fmt: skip
        if found is not None:
            flags.append(found)
    return flags


def test_judge_flags_as_pair_scores_one_measure_at_a_time() -> None:
    from screening.growth.trajectory import TrajectoryPoint, judge

    rng = np.random.default_rng(11)
    flagged = 0
    for _ in range(300):
        sex = str(rng.choice(["M", "F"]))
        new_age = int(rng.integers(30, 1800))
        earlier, new = {}, {}
        for measure, base, step in (("weight", 3.3, 1 / 110), ("length", 50.0, 1 / 25),
                                    ("head", 35.0, 1 / 120)):  # fmt: skip
            ages = np.sort(rng.integers(0, new_age + 60, int(rng.integers(0, 6))))
            wild = rng.uniform(0.6, 1.6) if rng.random() < 0.3 else 1.0
            earlier[measure] = [
                TrajectoryPoint(int(a), round(base + a * step * rng.uniform(0.9, 1.1), 2),
                                str(rng.choice(["L", "H"])) if measure == "length" else None)
                for a in ages
            ]  # fmt: skip
            new[measure] = TrajectoryPoint(
                new_age, round((base + new_age * step) * wild, 2),
                str(rng.choice(["L", "H"])) if measure == "length" else None,
            )  # fmt: skip
        got = judge(sex, earlier, new, professional=False).remeasure
        assert list(got) == _judged_by_pair_scores(sex, earlier, new)
        flagged += bool(got)
    assert flagged > 30  # the comparison is about real flags
