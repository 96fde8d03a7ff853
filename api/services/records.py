"""What the web layer adds around the ``health.services`` recording functions.

- The confirm step: a value beyond WHO's flag limits is refused with
  :class:`ImplausibleMeasurementError` until the person entering it confirms it (then
  ``health.services`` stores it as ``remeasure`` with a re-measure request, or, when a
  professional confirms a pending one, scores it as confirmed).
- Scoring results for display (the development outcome, the feeding indicators and advice): the
  pure rules run again on the stored answers, exactly as the service scored them.
- Input rules of the forms: length needs its position; a referral names the institution.

Each function takes a ``Session`` and explicit times; it flushes but does not commit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from api.errors import ImplausibleMeasurementError, ServiceInputError
from growth_charts import children, compute
from growth_charts.age import corrected_age_days
from growth_charts.anthro import WHO2006_COLUMNS, WHO2007_COLUMNS
from health.models import (
    Case,
    CaseClose,
    Child,
    FeedingRecall,
    FeedingRecallCreate,
    Measurement,
    MeasurementCreate,
    MilestoneAdministration,
    MilestoneAdministrationCreate,
    User,
)
from health.models.records import MeasurementBase
from health.services import cases as case_service
from health.services import records as record_service
from screening import development, feeding
from screening.flags import Flag
from screening.growth import measurement_flags

RULE_SET = "who-anthro"
SEX_CODES = {"M": 0, "F": 1}  # the growth engine's integer codes
MEASURE_CODES = {None: -1, "L": 0, "H": 1}
Z_COLUMNS = {"lhfa": "z_lhfa", "wfa": "z_wfa", "wfl": "z_wflh", "wfh": "z_wflh", "bmi": "z_bmi"}
Z_COLUMNS |= {"hcfa": "z_hcfa", "acfa": "z_acfa"}
PARENT_MILESTONES = "milestone-checklist"


@dataclass(frozen=True)
class MeasurementResult:
    """A stored measurement with every flag of its rules (advice ones included)."""

    measurement: Measurement
    flags: tuple[Flag, ...]
    case: Case | None


def growth_age(child: Child, age_days: int) -> float:
    """The age the growth standards are read at: corrected before 37 weeks (never below 0)."""
    if child.gestational_weeks is None:
        return float(age_days)
    return max(0.0, float(corrected_age_days([age_days], [child.gestational_weeks])[0]))


def _value(value: float | None) -> list[float]:
    return [np.nan if value is None else float(value)]


def z_scores(sex: str, age_days: float, data: MeasurementBase) -> dict[str, float]:
    """Unrounded z of every indicator the engine can compute for one measurement, keyed as
    :func:`screening.growth.measurement_z` keys them (``wfl`` for weight-for-length/height).

    Same engine call as that function, but with the sex and position passed as the engine's
    integer codes: its text clean-up (pandas) costs ~7 ms per call. Inputs are already
    validated (sex from the database, values > 0 by the model).
    """
    kids = children(
        np.array([SEX_CODES[sex]], dtype=np.int8),
        age_days=[age_days],
        weight=_value(data.weight_kg),
        lenhei=_value(data.length_cm),
        measure=np.array([MEASURE_CODES[data.measure]], dtype=np.int8),
        oedema=np.array([1 if data.oedema else 0], dtype=np.int8),
        headc=_value(data.head_cm),
        armc=_value(data.muac_cm),
    )
    result = compute(kids, rules=RULE_SET)  # type: ignore[arg-type]
    out = {}
    for column, code in {**WHO2006_COLUMNS, **WHO2007_COLUMNS}.items():
        value = float(result[column][0])
        if not math.isnan(value):
            out[code] = value
    return out


def age_on(child: Child, day: dt.date, today: dt.date) -> int:
    """Age in days on ``day``; refuses a day before birth or after ``today``."""
    if day > today:
        raise ServiceInputError("The date {date} is in the future.", date=day.isoformat())
    age = (day - child.birth_date).days
    if age < 0:
        raise ServiceInputError("The date {date} is before the birth date.", date=day.isoformat())
    return age


def _user(session: Session, actor_id: int | None) -> User | None:
    return session.get(User, actor_id) if actor_id is not None else None


def record_measurement(
    session: Session,
    child: Child,
    data: MeasurementCreate,
    *,
    actor_id: int | None,
    professional: bool,
    confirm: bool,
    today: dt.date,
    now: dt.datetime,
    clinic_id: int | None = None,
    facility_id: int | None = None,
) -> MeasurementResult:
    """Check the entry (confirm step for implausible values), then record it through
    :func:`health.services.records.record_measurement`. ``professional`` is informative here:
    the service decides from ``data.source`` (clinic, facility)."""
    del professional
    if all(v is None for v in (data.weight_kg, data.length_cm, data.head_cm, data.muac_cm)):
        raise ServiceInputError("Enter at least one of weight, length/height, head or arm.")
    if data.length_cm is not None and data.measure is None:
        raise ServiceInputError("Say whether length/height was measured lying or standing.")
    age = age_on(child, data.measured_on, today)
    z = z_scores(str(child.sex), growth_age(child, age), data)
    flags = measurement_flags(z, age_days=age, muac_cm=data.muac_cm, oedema=data.oedema)
    implausible = next((f for f in flags if f.code == "GROWTH_IMPLAUSIBLE"), None)
    if implausible is not None and not confirm:
        raise ImplausibleMeasurementError(sorted(implausible.evidence.z))
    result = record_service.record_measurement(
        session,  # type: ignore[arg-type]
        int(child.id),  # type: ignore[arg-type]
        data,
        now=now,
        entered_by=_user(session, actor_id),
        clinic_id=clinic_id,
        facility_id=facility_id,
    )
    return MeasurementResult(result.record, tuple(result.flags), result.case)


def record_milestones(
    session: Session,
    child: Child,
    *,
    instrument: str,
    administered_on: dt.date,
    answers: Mapping[str, str],
    source: str,
    actor_id: int | None,
    today: dt.date,
    now: dt.datetime,
) -> tuple[MilestoneAdministration, development.DevelopmentResult, Case | None]:
    """Record an administration through :func:`health.services.records.record_milestones`;
    returns the stored row, the scoring (outcome, band, flags) and the open case if any."""
    age_on(child, administered_on, today)
    scored = development.assess(
        instrument,
        sex=str(child.sex),
        birth_date=child.birth_date,
        gestational_weeks=child.gestational_weeks,
        assessment_date=administered_on,
        answers=answers,
    )
    data = MilestoneAdministrationCreate(
        instrument=instrument, administered_on=administered_on, source=source, answers=answers
    )
    result = record_service.record_milestones(
        session,  # type: ignore[arg-type]
        int(child.id),  # type: ignore[arg-type]
        data,
        now=now,
        entered_by=_user(session, actor_id),
    )
    return result.record, scored, result.case


def assess_stored_recall(row: FeedingRecall) -> feeding.FeedingResult:
    """Score a stored recall with the current rules (for display)."""
    recall = feeding.Recall.from_mapping({**row.answers, "age_days": row.age_days})
    return feeding.assess_recall(recall)


def record_feeding(
    session: Session,
    child: Child,
    *,
    recalled_on: dt.date,
    answers: Mapping[str, Any],
    source: str,
    actor_id: int | None,
    today: dt.date,
    now: dt.datetime,
) -> tuple[FeedingRecall, feeding.FeedingResult, Case | None]:
    """Record a previous-day recall through :func:`health.services.records.record_feeding`;
    returns the stored row, its indicators/advice and the open case if any."""
    age_on(child, recalled_on, today)
    data = FeedingRecallCreate(
        recalled_on=recalled_on,
        source=source,
        answers={k: v for k, v in answers.items() if k != "age_days"},
    )
    result = record_service.record_feeding(
        session,  # type: ignore[arg-type]
        int(child.id),  # type: ignore[arg-type]
        data,
        now=now,
        entered_by=_user(session, actor_id),
    )
    return result.record, result.assessment or assess_stored_recall(result.record), result.case


def record_outcome(
    session: Session, case: Case, data: CaseClose, *, actor_id: int, now: dt.datetime
) -> Case:
    """A doctor's outcome through :func:`health.services.cases.close_case` (closes the case,
    resolves its flags, audited); a referral must name the institution."""
    if case.status != "open":
        raise ServiceInputError("This case is already closed.")
    if data.outcome == "recheck" and data.recheck_on is None:
        raise ServiceInputError("A recheck needs its date.")
    if data.outcome == "referred" and not (data.outcome_note or "").strip():
        raise ServiceInputError("Name the institution the child is referred to.")
    return case_service.close_case(
        session,  # type: ignore[arg-type]
        int(case.id),  # type: ignore[arg-type]
        data,
        actor_id=actor_id,
        now=now,
    )
