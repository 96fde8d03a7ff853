"""The one recording pipeline: the shape of its complete result, and that what the parent reads
(each indicator's sentence) always follows the flags the service stored, over every indicator
and every cut-off edge."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlmodel import Session, select

from growth_charts import round_z, value_at_z
from health.clock import Moment
from health.errors import ImplausibleMeasurementError, RecordError
from health.models import Case, Child, ChildCreate, Measurement, MeasurementCreate
from health.models.enums import Source
from health.pipeline import (
    INDICATORS,
    Author,
    IndicatorResult,
    MeasurementResult,
    flags_of_source,
    measurement_result,
    record_measurement,
)
from health.pipeline.indicators import CLINICIAN_SENTENCES
from health.registry import create_child
from screening.flags import GROWTH_RULES_VERSION
from tests.health.health_builders import build_geography

TODAY = dt.date(2026, 6, 15)
HOME = Author(Source.home)
AT = Moment(now=dt.datetime(2026, 6, 15, 1, 0, tzinfo=dt.UTC), today=TODAY)
PROMISES = ("review", "refer", "urgent")


@pytest.fixture
def units(session: Session) -> dict:
    return build_geography(session)


def child_born(session: Session, code: str, days_old: int, **extra: object) -> Child:
    birth = TODAY - dt.timedelta(days=days_old)
    data = ChildCreate(code=code, sex="F", birth_date=birth, area_code="T1", **extra)
    return create_child(session, data)


def entry(**values: object) -> MeasurementCreate:
    return MeasurementCreate(measured_on=TODAY, source="home", **values)


def test_the_complete_result_of_a_preterm_babys_measurement(session: Session, units) -> None:
    # born at 34 weeks, 140 days ago: corrected age 140 - 6 * 7 = 98 days
    child = child_born(session, "pre", 140, gestational_weeks=34)
    weight = float(value_at_z("wfa", "F", 98, -2.5)[0])
    result = record_measurement(session, child, entry(weight_kg=weight), by=HOME, at=AT)
    assert isinstance(result, MeasurementResult)
    assert (result.ages.days, result.ages.corrected_days, result.ages.used_days) == (140, 98, 98)
    assert result.rule_set == f"who-anthro+{GROWTH_RULES_VERSION}"
    [wfa] = result.indicators
    assert isinstance(wfa, IndicatorResult)
    assert set(vars(wfa)) == {f.name for f in dataclasses.fields(IndicatorResult)}
    assert (wfa.code, wfa.reference, wfa.engine_code) == ("wfa", "who2006", "wfa")
    assert wfa.z_unrounded == pytest.approx(-2.5, abs=1e-9)  # read at the corrected age
    assert wfa.z == -2.5 and wfa.percentile == 0.6
    assert (wfa.classification, wfa.flag_codes) == ("underweight", ("GROWTH_UNDERWEIGHT",))
    assert wfa.sentence_id == "result.low.review"
    assert [f.code for f in result.flags] == ["GROWTH_UNDERWEIGHT"]
    assert result.flags[0].evidence.rule_version == GROWTH_RULES_VERSION
    assert result.case is not None and result.case_opened and result.remeasure is None
    stored = session.get(Measurement, result.measurement.id)
    assert (stored.age_days, stored.z_wfa, stored.status) == (140, -2.5, "accepted")
    again = measurement_result(session, child, stored)
    assert again.indicators == result.indicators and again.ages == result.ages
    assert [f.code for f in again.flags] == [f.code for f in result.flags]


def test_implausible_values_need_the_confirm_step(session: Session, units) -> None:
    child = child_born(session, "imp", 400)
    length = float(value_at_z("lhfa", "F", 400, -7.0)[0])
    with pytest.raises(ImplausibleMeasurementError) as refused:
        record_measurement(session, child, entry(length_cm=length, measure="L"), by=HOME, at=AT)
    assert refused.value.indicators == ["lhfa"] and isinstance(refused.value, RecordError)
    assert session.exec(select(Measurement)).all() == []  # nothing written
    result = record_measurement(
        session, child, entry(length_cm=length, measure="L"), by=HOME, at=AT, confirm=True
    )
    assert result.remeasure is not None and result.case is None
    assert [f.code for f in result.flags] == ["GROWTH_IMPLAUSIBLE"]
    assert [i.sentence_id for i in result.indicators] == ["result.implausible"]


# one measurement that puts one indicator at z: (age in days, the values)
def _wflh(z: float) -> dict[str, object]:
    length = round(float(value_at_z("lhfa", "F", 400, 0.0)[0]), 1)
    weight = float(value_at_z("wfl", "F", length, z)[0])
    return {"length_cm": length, "measure": "L", "weight_kg": weight}


def _bmi_2007(z: float) -> dict[str, object]:
    height = round(float(value_at_z("hfa_2007", "F", 1900 / 30.4375, 0.0)[0]), 1)
    bmi = float(value_at_z("bmi_2007", "F", 1900 / 30.4375, z)[0])
    return {"length_cm": height, "measure": "H", "weight_kg": bmi * (height / 100) ** 2}


def _at(code: str, z: float) -> float:
    return float(value_at_z(code, "F", 400, z)[0])


SETUPS = {
    "wfa": (400, lambda z: {"weight_kg": _at("wfa", z)}),
    "lhfa": (400, lambda z: {"length_cm": _at("lhfa", z), "measure": "L"}),
    "hcfa": (400, lambda z: {"head_cm": _at("hcfa", z)}),
    "acfa": (400, lambda z: {"muac_cm": _at("acfa", z)}),
    "wflh": (400, _wflh),
    "bmi": (1900, _bmi_2007),
}
# both sides of every cut-off (WHO-rounded z: -3.004 reads -3.00, not below -3)
EDGES = (-3.5, -3.004, -2.996, -2.5, -2.004, -1.996, 0.0, 0.996, 1.004, 1.996, 2.004, 2.5,
         2.996, 3.004, 3.5)  # fmt: skip


@pytest.mark.parametrize("z", EDGES)
@pytest.mark.parametrize("indicator", list(SETUPS))
def test_the_sentence_follows_the_stored_flags(
    session: Session, units, indicator: str, z: float
) -> None:
    days, values = SETUPS[indicator]
    child = child_born(session, f"{indicator}{z}", days)
    result = record_measurement(session, child, entry(**values(z)), by=HOME, at=AT, confirm=True)
    stored = flags_of_source(session, int(child.id), "measurement", int(result.measurement.id))
    assert sorted(f.code for f in stored) == sorted(f.code for f in result.flags)
    shown = {i.code: i for i in result.indicators}
    assert indicator in shown and set(shown) <= set(INDICATORS)
    for item in result.indicators:
        about = [
            f for f in stored
            if f.evidence.rule_version == GROWTH_RULES_VERSION
            and (item.engine_code in f.evidence.z
                 or (item.code == "acfa" and "muac_cm" in f.evidence.values))
        ]  # fmt: skip
        assert sorted(item.flag_codes) == sorted(f.code for f in about)
        level = item.sentence_id.rsplit(".", 1)[-1]
        if about:
            worst = max(about, key=lambda f: f.severity.rank)
            assert level == str(worst.severity), (item, about)
        else:
            assert level not in PROMISES, item  # no flag: never "the clinic will review it"
    promised = any(i.sentence_id.endswith(PROMISES) for i in result.indicators)
    has_case = session.exec(select(Case).where(Case.child_id == child.id)).first() is not None
    assert not promised or has_case
    assert shown[indicator].z == float(round_z(z))


def test_every_result_and_record_message_is_used() -> None:
    """The catalogue texts owned above screening: each sentence the pipeline can choose, each
    indicator name, each refusal the code raises, and nothing else."""
    import re
    from pathlib import Path

    from screening.reference import load_all

    prefixes = ("result.", "indicator.", "error.record.")
    owned = {m for m in load_all().messages if m.startswith(prefixes)}
    sentences = {f"result.{s}" for s in ("usual", "low", "high", "tall", "implausible")}
    sentences |= {f"result.{side}.{level}" for side in ("low", "high") for level in PROMISES}
    sentences |= set(CLINICIAN_SENTENCES.values())
    names = {f"indicator.{code}" for code in INDICATORS}
    root = Path(__file__).resolve().parents[2]
    source = "\n".join(p.read_text() for d in ("health", "api") for p in (root / d).rglob("*.py"))
    raised = set(re.findall(r'"(error\.record\.[a-z_]+)"', source))
    assert owned == sentences | names | raised
