"""Growth flags at every cut-off edge, implausible values, the series rules and haemoglobin."""

from __future__ import annotations

import pytest

from growth_charts import CLASSIFICATIONS, classify, is_implausible
from screening import growth
from screening.flags import Severity
from screening.growth import WeightPoint, measurement_flags, series_flags

AGE = 400  # days: 13 months, inside every WHO 2006 indicator and the MUAC ages


def codes(flags) -> list[str]:
    return [f.code for f in flags]


# ------------------------------------------------------------------ one measurement: z cut-offs


@pytest.mark.parametrize(
    ("indicator", "z", "expected"),
    [
        # weight-for-length/height and BMI (0-5 y)
        ("wflh", -3.01, "GROWTH_SEVERE_WASTING"),
        ("wflh", -3.00, "GROWTH_WASTING"),
        ("bmi", -3.01, "GROWTH_SEVERE_WASTING"),
        ("wflh", -2.01, "GROWTH_WASTING"),
        ("wflh", -2.00, None),
        ("wflh", 2.00, None),
        ("wflh", 1.5, None),  # possible risk of overweight: no flag
        ("wflh", 2.01, "GROWTH_OVERWEIGHT"),
        ("wflh", 3.00, "GROWTH_OVERWEIGHT"),
        ("wflh", 3.01, "GROWTH_OBESE"),
        ("bmi", 2.01, "GROWTH_OVERWEIGHT"),
        # length/height-for-age
        ("lhfa", -3.01, "GROWTH_SEVERE_STUNTING"),
        ("lhfa", -3.00, "GROWTH_STUNTING"),
        ("lhfa", -2.01, "GROWTH_STUNTING"),
        ("lhfa", -2.00, None),
        ("lhfa", 3.5, None),
        # weight-for-age
        ("wfa", -3.01, "GROWTH_SEVERE_UNDERWEIGHT"),
        ("wfa", -3.00, "GROWTH_UNDERWEIGHT"),
        ("wfa", -2.01, "GROWTH_UNDERWEIGHT"),
        ("wfa", -2.00, None),
        ("wfa", 2.5, None),
        # head circumference
        ("hcfa", -3.01, "GROWTH_SEVERE_MICROCEPHALY"),
        ("hcfa", -3.00, "GROWTH_MICROCEPHALY"),
        ("hcfa", -2.01, "GROWTH_MICROCEPHALY"),
        ("hcfa", -2.00, None),
        ("hcfa", 2.00, None),
        ("hcfa", 2.01, "GROWTH_MACROCEPHALY"),
        ("hcfa", 3.00, "GROWTH_MACROCEPHALY"),
        ("hcfa", 3.01, "GROWTH_SEVERE_MACROCEPHALY"),
        # WHO 2007 (5-19 y)
        ("bmi_2007", -3.01, "GROWTH_SEVERE_THINNESS"),
        ("bmi_2007", -3.00, "GROWTH_THINNESS"),
        ("bmi_2007", -2.00, None),
        ("bmi_2007", 1.00, None),
        ("bmi_2007", 1.01, "GROWTH_OVERWEIGHT"),
        ("bmi_2007", 2.01, "GROWTH_OBESE"),
        ("hfa_2007", -3.01, "GROWTH_SEVERE_STUNTING"),
        ("wfa_2007", -2.01, "GROWTH_UNDERWEIGHT"),
        # rounding: WHO applies cut-offs to z rounded to 2 decimals
        ("wflh", -3.004, "GROWTH_WASTING"),
        ("wflh", -3.006, "GROWTH_SEVERE_WASTING"),
        ("lhfa", -2.004, None),
        ("lhfa", -2.006, "GROWTH_STUNTING"),
    ],
)
def test_z_cut_offs(indicator, z, expected) -> None:
    flags = measurement_flags({indicator: z}, age_days=AGE)
    assert codes(flags) == ([] if expected is None else [expected])


@pytest.mark.parametrize(
    ("code", "severity"),
    [
        ("GROWTH_SEVERE_WASTING", Severity.URGENT),
        ("GROWTH_SEVERE_STUNTING", Severity.REFER),
        ("GROWTH_SEVERE_UNDERWEIGHT", Severity.REFER),
        ("GROWTH_SEVERE_MICROCEPHALY", Severity.REFER),
        ("GROWTH_SEVERE_MACROCEPHALY", Severity.REFER),
        ("GROWTH_STUNTING", Severity.REVIEW),
        ("GROWTH_OVERWEIGHT", Severity.REVIEW),
        ("GROWTH_SAM_MUAC", Severity.URGENT),
        ("GROWTH_OEDEMA", Severity.URGENT),
        ("GROWTH_IMPLAUSIBLE", Severity.ADVICE),
        ("GROWTH_FALTERING", Severity.REVIEW),
        ("GROWTH_RAPID_WEIGHT_GAIN", Severity.REVIEW),
        ("GROWTH_EARLY_WEIGHT_LOSS", Severity.REVIEW),
        ("ANAEMIA", Severity.REFER),
    ],
)
def test_flag_table_severities(code, severity) -> None:
    from screening.flags import RULES

    assert RULES[code].severity is severity


def test_every_engine_classification_is_mapped() -> None:
    for indicator, names in CLASSIFICATIONS.items():
        assert set(names) == set(growth.CLASS_FLAGS[growth.indicator_code(indicator)]), indicator


def test_only_most_severe_flag_of_a_family_and_evidence_z() -> None:
    flags = measurement_flags({"wflh": -3.2, "bmi": -2.5, "lhfa": -2.5}, age_days=AGE)
    assert codes(flags) == ["GROWTH_SEVERE_WASTING", "GROWTH_STUNTING"]
    assert dict(flags[0].evidence.z) == {"wflh": -3.2}
    both = measurement_flags({"wflh": -2.2, "bmi": -2.4}, age_days=AGE)
    assert codes(both) == ["GROWTH_WASTING"] and dict(both[0].evidence.z) == {
        "wflh": -2.2,
        "bmi": -2.4,
    }


@pytest.mark.parametrize("engine_code", ["wfl", "wfh"])
def test_engine_table_codes_are_refused_wflh_is_the_one_key(engine_code) -> None:
    with pytest.raises(growth.InvalidMeasurementError) as info:
        measurement_flags({engine_code: -3.2}, age_days=AGE)
    assert info.value.params["field"] == engine_code
    assert growth.indicator_code(engine_code) == "wflh"
    assert growth.engine_code("wflh") == "wfl" and growth.engine_code("wfa") == "wfa"


def test_engine_wfl_and_wfh_share_cut_offs_and_limits() -> None:
    z = [-5.01, -5.0, -3.01, -3.0, -2.01, -2.0, 1.01, 2.01, 3.0, 3.01, 5.0, 5.01]
    assert list(classify("wfl", z)) == list(classify("wfh", z))
    assert list(is_implausible("wfl", z)) == list(is_implausible("wfh", z))


# ------------------------------------------------------------------ MUAC and oedema


@pytest.mark.parametrize(
    ("age_days", "muac", "expected"),
    [
        (AGE, 11.4, ["GROWTH_SAM_MUAC"]),
        (AGE, 11.5, ["GROWTH_MAM_MUAC"]),
        (AGE, 12.4, ["GROWTH_MAM_MUAC"]),
        (AGE, 12.5, []),
        (182, 11.0, []),
        (183, 11.0, ["GROWTH_SAM_MUAC"]),  # 6 completed months from day 183
        (1826, 11.0, ["GROWTH_SAM_MUAC"]),
        (1827, 11.0, []),  # 59 months end on day 1826
    ],
)
def test_muac_cut_offs_and_ages(age_days, muac, expected) -> None:
    assert codes(measurement_flags({}, age_days=age_days, muac_cm=muac)) == expected


def test_oedema_is_urgent_at_any_age() -> None:
    for age in (0, 100, 1500):
        assert codes(measurement_flags({"lhfa": 0.0}, age_days=age, oedema=True)) == [
            "GROWTH_OEDEMA"
        ]


# ------------------------------------------------------------------ implausible values


@pytest.mark.parametrize(
    ("z", "implausible"),
    [
        ({"wfa": -6.01}, True),
        ({"wfa": -6.00}, False),
        ({"wfa": 5.01}, True),
        ({"wfa": 5.00}, False),
        ({"lhfa": 6.01}, True),
        ({"lhfa": -6.00}, False),
        ({"wflh": -5.01}, True),
        ({"hcfa": 5.01}, True),
        ({"bmi": 5.00}, False),
    ],
)
def test_implausible_limits(z, implausible) -> None:
    flags = measurement_flags(z, age_days=AGE)
    assert ("GROWTH_IMPLAUSIBLE" in codes(flags)) is implausible


def test_implausible_value_is_never_a_case_until_confirmed() -> None:
    z = {"wfa": -6.5, "wflh": -3.5, "lhfa": -2.5, "hcfa": -2.5}
    flags = measurement_flags(z, age_days=AGE)
    # weight is suspect: no flag from wfa or wflh; length and head are fine
    assert codes(flags) == ["GROWTH_STUNTING", "GROWTH_MICROCEPHALY", "GROWTH_IMPLAUSIBLE"]
    assert flags[-1].evidence.values["measurements"] == "weight"
    confirmed = measurement_flags(z, age_days=AGE, confirmed=True)
    assert codes(confirmed) == [
        "GROWTH_SEVERE_WASTING",
        "GROWTH_SEVERE_UNDERWEIGHT",
        "GROWTH_STUNTING",
        "GROWTH_MICROCEPHALY",
    ]


def test_implausible_muac_suppresses_the_muac_rule() -> None:
    assert codes(measurement_flags({"acfa": -5.5}, age_days=AGE, muac_cm=9.0)) == [
        "GROWTH_IMPLAUSIBLE"
    ]


# ------------------------------------------------------------------ wired to the growth engine


def test_engine_measurement_severe_wasting() -> None:
    z = growth.measurement_z(sex="M", age_days=AGE, weight_kg=7.5, length_cm=78.0, measure="L")
    assert z["wflh"] < -3 and "wfa" in z and "lhfa" in z
    assert not {"wfl", "wfh"} & set(z)
    flags = growth.flags_for_measurement(
        sex="M", age_days=AGE, weight_kg=7.5, length_cm=78.0, measure="L"
    )
    assert "GROWTH_SEVERE_WASTING" in codes(flags)


def test_engine_healthy_child_has_no_flag() -> None:
    flags = growth.flags_for_measurement(
        sex="F",
        age_days=365,
        weight_kg=8.9,
        length_cm=74.0,
        measure="L",
        head_cm=45.0,
        muac_cm=14.5,
    )
    assert flags == ()


def test_engine_oedema_leaves_weight_indicators_out() -> None:
    z = growth.measurement_z(
        sex="F", age_days=AGE, weight_kg=7.0, length_cm=75.0, measure="L", oedema=True
    )
    assert "wfa" not in z and "wflh" not in z
    flags = growth.flags_for_measurement(
        sex="F", age_days=AGE, weight_kg=7.0, length_cm=75.0, measure="L", oedema=True
    )
    assert codes(flags)[0] == "GROWTH_OEDEMA"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"sex": "X"}, "sex"),
        ({"age_days": -1}, "age_days"),
        ({"weight_kg": 0}, "weight_kg"),
        ({"length_cm": -70}, "length_cm"),
        ({"measure": "S"}, "measure"),
        ({"muac_cm": 0}, "muac_cm"),
    ],
)
def test_engine_bad_input(kw, field) -> None:
    args = {"sex": "M", "age_days": AGE, "weight_kg": 9.0, "length_cm": 76.0, "measure": "L"} | kw
    with pytest.raises(growth.InvalidMeasurementError) as info:
        growth.flags_for_measurement(**args)
    assert info.value.params["field"] == field


def test_engine_unknown_or_missing_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="weight"):
        growth.measurement_z(sex="M", age_days=AGE, weight=9.0)
    with pytest.raises(TypeError, match="age_days"):
        growth.flags_for_measurement(sex="M", weight_kg=9.0)


def test_unknown_indicator_code() -> None:
    with pytest.raises(growth.InvalidMeasurementError):
        measurement_flags({"zwei": -2.5}, age_days=AGE)


# ------------------------------------------------------------------ series: NICE NG75 faltering


def _series(*points: tuple[int, float, float | None]) -> list[WeightPoint]:
    return [WeightPoint(d, w, z) for d, w, z in points]


@pytest.mark.parametrize(
    ("z_start", "z_now", "reason"),
    [
        # start below the 9th centile (z < -4/3): 1 space (2/3 z) is enough
        (-1.34, -2.00, None),
        (-1.34, -2.01, "fall_of_1_spaces"),
        (-2.50, -3.16, "below_2nd_centile"),
        (-2.50, -3.17, "fall_of_1_spaces"),
        # between 9th and 91st: 2 spaces (4/3 z)
        (-1.33, -2.00, None),
        (0.0, -1.33, None),
        (0.0, -1.34, "fall_of_2_spaces"),
        (1.33, 0.00, None),
        (1.33, -0.01, "fall_of_2_spaces"),
        # above the 91st (z > 4/3): 3 spaces (2 z)
        (1.34, -0.65, None),
        (1.34, -0.66, "fall_of_3_spaces"),
        (2.5, 0.51, None),
        (2.5, 0.50, "fall_of_3_spaces"),
        # below the 2nd centile whatever the start (even after a rise)
        (-2.5, -2.01, "below_2nd_centile"),
        (-2.5, -2.00, None),
    ],
)
def test_faltering_centile_spaces(z_start, z_now, reason) -> None:
    flags = series_flags(_series((0, 3.3, z_start), (60, 5.0, z_now)))
    found = [f.evidence.values["reason"] for f in flags if f.code == "GROWTH_FALTERING"]
    assert found == ([] if reason is None else [reason])


def test_faltering_evidence_and_early_days() -> None:
    flags = series_flags(_series((0, 3.3, 0.0), (13, 3.2, -1.5)))
    assert "GROWTH_FALTERING" not in codes(flags)  # day 13: early weight-loss period
    flags = series_flags(_series((0, 3.3, 0.0), (5, 3.0, -1.6), (14, 3.4, -1.4)))
    flag = next(f for f in flags if f.code == "GROWTH_FALTERING")
    assert flag.evidence.values["reason"] == "fall_of_2_spaces"
    assert flag.evidence.values["from_z"] == 0.0 and flag.evidence.values["from_age_days"] == 0
    assert flag.evidence.rule_version == "growth-series-1.0"


# ------------------------------------------------------------------ series: rapid weight gain


@pytest.mark.parametrize(
    ("points", "rapid"),
    [
        (((0, 3.3, -1.0), (120, 7.0, -0.33)), False),  # +0.67
        (((0, 3.3, -1.0), (120, 7.0, -0.32)), True),  # +0.68
        (((0, 3.3, -1.0), (200, 7.0, -0.8), (300, 9.0, -0.1)), True),  # from the lowest earlier
        (((0, 3.3, -1.0), (365, 9.9, 0.0)), True),  # day 365 is still infancy
        (((0, 3.3, -1.0), (366, 9.9, 0.0)), False),  # day 366 is not
        (((0, 3.3, 0.0), (5, 3.0, -1.0), (30, 4.4, 0.0)), False),  # the day-5 dip is not a start
    ],
)
def test_rapid_weight_gain(points, rapid) -> None:
    assert ("GROWTH_RAPID_WEIGHT_GAIN" in codes(series_flags(_series(*points)))) is rapid


# ------------------------------------------------------------------ series: early weight loss


@pytest.mark.parametrize(
    ("day", "weight", "expected"),
    [
        (4, 2.700, []),  # exactly 10 %: not more than 10 %
        (4, 2.699, ["GROWTH_EARLY_WEIGHT_LOSS"]),
        (20, 2.699, ["GROWTH_EARLY_WEIGHT_LOSS"]),
        (20, 2.95, []),  # below birth weight on day 20 is still allowed
        (21, 2.999, ["GROWTH_BIRTH_WEIGHT_NOT_REGAINED"]),
        (21, 3.000, []),
    ],
)
def test_early_weight_loss_and_regain(day, weight, expected) -> None:
    flags = series_flags([WeightPoint(0, 3.0), WeightPoint(day, weight)])
    assert codes(flags) == expected
    if expected:
        assert flags[0].evidence.values["birth_weight_kg"] == 3.0


def test_birth_weight_may_be_given_separately() -> None:
    assert codes(series_flags([WeightPoint(3, 2.6)], birth_weight_kg=3.0)) == [
        "GROWTH_EARLY_WEIGHT_LOSS"
    ]
    assert codes(series_flags([WeightPoint(3, 2.6)])) == []  # no birth weight: rule cannot apply


def test_weight_series_uses_the_engine_and_corrected_age() -> None:
    term = growth.weight_series(sex="M", age_days=[0, 60], weight_kg=[3.3, 5.5])
    preterm = growth.weight_series(
        sex="M", age_days=[0, 60], weight_kg=[3.3, 5.5], gestational_weeks=32
    )
    assert term[1].wfa_z is not None and preterm[1].wfa_z is not None
    assert preterm[1].wfa_z > term[1].wfa_z  # younger corrected age: heavier for age
    assert preterm[0].wfa_z is None  # before 40 weeks no z


@pytest.mark.parametrize(
    ("points", "error", "reason"),
    [
        ([], growth.SeriesError, "empty"),
        ([WeightPoint(0, 3.0), WeightPoint(0, 3.1)], growth.SeriesError, "duplicate_day"),
        ([WeightPoint(-1, 3.0)], growth.InvalidMeasurementError, None),
        ([WeightPoint(5, 0.0)], growth.InvalidMeasurementError, None),
    ],
)
def test_series_bad_input(points, error, reason) -> None:
    with pytest.raises(error) as info:
        series_flags(points)
    if reason:
        assert info.value.message_id == f"error.growth.invalid_series.{reason}"


# ------------------------------------------------------------------ anaemia, both table versions


@pytest.mark.parametrize(
    ("version", "age_days", "hb", "grade"),
    [
        # WHO 2011 (default): 6-59 months < 110; mild 100-109, moderate 70-99, severe < 70
        (None, 183, 109.9, "mild"),
        (None, 183, 110.0, "none"),
        (None, 182, 80.0, None),
        (None, 183, 100.0, "mild"),
        (None, 183, 99.9, "moderate"),
        (None, 183, 70.0, "moderate"),
        (None, 183, 69.9, "severe"),
        (None, 700, 106.0, "mild"),
        (None, 1826, 109.0, "mild"),
        # 5-11 years: < 115
        (None, 1827, 114.9, "mild"),
        (None, 1827, 115.0, "none"),
        # WHO 2024: 6-23 months < 105 (mild 95-104, moderate 70-94), 24-59 < 110
        ("who-2024", 183, 104.9, "mild"),
        ("who-2024", 183, 105.0, "none"),
        ("who-2024", 700, 106.0, "none"),
        ("who-2024", 730, 94.9, "moderate"),
        ("who-2024", 730, 95.0, "mild"),
        ("who-2024", 731, 109.9, "mild"),
        ("who-2024", 731, 110.0, "none"),
        ("who-2024", 182, 80.0, None),
    ],
)
def test_anaemia_cut_offs(version, age_days, hb, grade) -> None:
    result = growth.anaemia(hb, age_days=age_days, version=version)
    assert result.grade == grade
    assert result.table_version == (version or "who-2011")
    if grade in (None, "none"):
        assert result.flags == ()
    else:
        flag = result.flags[0]
        assert (flag.code, flag.severity) == ("ANAEMIA", Severity.REFER)
        assert flag.evidence.instrument_version == result.table_version
        assert flag.evidence.values["grade"] == grade


@pytest.mark.parametrize("hb", [11.0, 0.0, 251.0, -5.0])
def test_impossible_haemoglobin(hb) -> None:
    with pytest.raises(growth.InvalidMeasurementError) as info:
        growth.anaemia(hb, age_days=400)
    assert info.value.params["field"] == "hb_g_l"
