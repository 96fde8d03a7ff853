"""Check results → flags at each rule's edge (screening.md 2b; acuity table cn-2021.1)."""

from __future__ import annotations

import numpy as np
import pytest

from screening import checks
from screening.flags import Severity

# completed months = floor(days / 30.4375): 48 m starts at day 1461, 60 m at 1827, 84 m at 2557
M47_LAST, M48_FIRST, M59_LAST, M60_FIRST = 1460, 1461, 1826, 1827
M83_LAST, M84_FIRST = 2556, 2557


def codes(**kw) -> list[str]:
    return [f.code for f in checks.check_flags(**kw)]


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("pass", "pass", []),
        ("refer", "pass", ["CHECK_HEARING_REFER_LEFT"]),
        ("pass", "refer", ["CHECK_HEARING_REFER_RIGHT"]),
        ("refer", "refer", ["CHECK_HEARING_REFER_LEFT", "CHECK_HEARING_REFER_RIGHT"]),
        (None, "refer", ["CHECK_HEARING_REFER_RIGHT"]),
        (None, None, []),
    ],
)
def test_hearing_refer_on_either_ear(left, right, expected) -> None:
    flags = checks.check_flags(age_days=183, hearing_left=left, hearing_right=right)
    assert [f.code for f in flags] == expected
    assert all(f.severity is Severity.REFER and f.domain == "hearing" for f in flags)


@pytest.mark.parametrize("field", ["red_reflex", "eye_position", "visual_behaviour"])
def test_each_eye_check_abnormal_refers(field: str) -> None:
    assert codes(age_days=90, **{field: "normal"}) == []
    (flag,) = checks.check_flags(age_days=90, **{field: "abnormal"})
    assert flag.code == f"CHECK_{field.upper()}_ABNORMAL"
    assert flag.severity is Severity.REFER and flag.domain == "vision"
    assert flag.evidence.item_ids == (field,)


@pytest.mark.parametrize(
    ("age_days", "acuity", "low"),
    [
        (M47_LAST, 3.0, False),  # 47 months: no threshold applies
        (M48_FIRST, 4.7, True),  # 4 y: below 4.8
        (M48_FIRST, 4.8, False),  # at the threshold: not below
        (M59_LAST, 4.7, True),
        (M60_FIRST, 4.8, True),  # 5 y: below 4.9
        (M60_FIRST, 4.9, False),
        (M83_LAST, 4.8, True),
        (M84_FIRST, 4.0, False),  # beyond the table
    ],
)
def test_acuity_below_the_age_threshold(age_days: int, acuity: float, low: bool) -> None:
    found = codes(age_days=age_days, acuity_left=acuity, acuity_right=acuity)
    assert found == (["CHECK_ACUITY_LOW"] if low else [])
    batch = checks.acuity_refer([acuity], [age_days])
    assert batch.tolist() == [low]


def test_acuity_evidence_names_the_worse_eye_and_threshold() -> None:
    (flag,) = checks.check_flags(age_days=M60_FIRST, acuity_left=4.9, acuity_right=4.8)
    assert flag.evidence.values["acuity"] == 4.8
    assert flag.evidence.values["threshold"] == 4.9
    assert flag.evidence.values["age_months"] == 60
    assert flag.evidence.item_ids == ("acuity_right",)
    assert flag.evidence.rule_version == "acuity-rule-1.0"
    assert flag.evidence.instrument_version == "cn-2021.1"


@pytest.mark.parametrize(
    ("left", "right", "unequal"),
    [(5.0, 4.9, False), (5.1, 4.9, True), (4.9, 5.1, True), (5.2, 5.1, False)],
)
def test_two_lines_between_the_eyes_refer(left: float, right: float, unequal: bool) -> None:
    found = codes(age_days=M60_FIRST, acuity_left=left, acuity_right=right)
    assert ("CHECK_ACUITY_UNEQUAL" in found) is unequal


def test_acuity_batch_is_vectorised_and_missing_values_do_not_refer() -> None:
    out = checks.acuity_refer(
        np.array([4.7, 4.8, np.nan, 4.8, 4.9]),
        np.array([M48_FIRST, M48_FIRST, M48_FIRST, M60_FIRST, 1000]),
    )
    assert out.tolist() == [True, False, False, True, False]


@pytest.mark.parametrize(("teeth", "flagged"), [(None, False), (0, False), (1, True), (20, True)])
def test_caries_refers_to_dental_care(teeth, flagged: bool) -> None:
    flags = checks.check_flags(age_days=900, caries_teeth=teeth)
    assert [f.code for f in flags] == (["CHECK_CARIES"] if flagged else [])
    if flagged:
        assert flags[0].severity is Severity.REFER and flags[0].domain == "oral"
        assert flags[0].evidence.values["caries_teeth"] == teeth


@pytest.mark.parametrize(
    ("age_days", "given", "advice"),
    [
        (200, False, True),
        (200, True, False),
        (200, None, False),
        (395, False, True),  # 12 completed months (395 / 30.4375 = 12.98)
        (396, False, False),  # 13 months: no longer an infant check
    ],
)
def test_vitamin_d_not_given_at_infant_checks_is_advice(age_days, given, advice) -> None:
    flags = checks.check_flags(age_days=age_days, vitamin_d_given=given)
    assert [f.code for f in flags] == (["CHECK_NO_VITAMIN_D"] if advice else [])
    if advice:
        assert flags[0].severity is Severity.ADVICE
