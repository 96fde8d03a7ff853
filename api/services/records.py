"""Record what is entered about a child and turn the screening rules' flags into cases.

Stop-gap for the ``health/`` recording services that have not landed yet: each function takes a
``Session`` and explicit times, flushes but does not commit (the request commits).

- A measurement gets the growth engine's z-scores (corrected age for babies born before 37
  weeks, while under 24 months) and the growth flags. An implausible value is refused with
  :class:`ImplausibleMeasurementError` until the person entering it confirms it; a parent's
  confirmed value is stored as ``remeasure`` with a re-measure request and never opens a case;
  a professional's confirmed value is scored as confirmed.
- Flags above ``advice`` go to the doctor: added to the child's open case (opened if none) in
  the queue of the responsible clinic, with an audit event; advice flags stay with the family.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import ImplausibleMeasurementError, ServiceInputError
from growth_charts import children, compute
from growth_charts.age import corrected_age_days
from growth_charts.anthro import WHO2006_COLUMNS, WHO2007_COLUMNS
from health.models import (
    Case,
    CaseClose,
    CaseEvent,
    Child,
    Clinic,
    Enrolment,
    Facility,
    FeedingRecall,
    FlagRecord,
    Measurement,
    MeasurementCreate,
    MilestoneAdministration,
    MilestoneAnswer,
    RemeasureRequest,
)
from health.models.enums import SEVERITY_RANK
from health.models.records import MeasurementBase
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


def age_on(child: Child, day: dt.date, today: dt.date) -> int:
    """Age in days on ``day``; refuses a day before birth or after ``today``."""
    if day > today:
        raise ServiceInputError("The date {date} is in the future.", date=day.isoformat())
    age = (day - child.birth_date).days
    if age < 0:
        raise ServiceInputError("The date {date} is before the birth date.", date=day.isoformat())
    return age


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
    integer codes: its text clean-up (pandas) costs ~7 ms per call, most of a submission.
    Inputs are already validated (sex from the database, values > 0 by the model).
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


def responsible_clinic_id(session: Session, child_id: int, area_id: int) -> int | None:
    """The clinic linked to the facility the child is enrolled in now, else the clinic of the
    child's township (lowest id), else None."""
    linked = session.execute(
        select(Facility.clinic_id)
        .join(Enrolment, Enrolment.facility_id == Facility.id)
        .where(Enrolment.child_id == child_id, Enrolment.end_date.is_(None))
        .order_by(Enrolment.id.desc())
    ).first()
    if linked is not None:
        return int(linked[0])
    own = session.execute(
        select(Clinic.id).where(Clinic.area_id == area_id).order_by(Clinic.id)
    ).first()
    return int(own[0]) if own is not None else None


def _evidence(flag: Flag) -> dict[str, Any]:
    ev = flag.evidence
    return {
        "rule": ev.rule,
        "rule_version": ev.rule_version,
        "instrument": ev.instrument,
        "instrument_version": ev.instrument_version,
        "values": dict(ev.values),
        "z": dict(ev.z),
        "item_ids": list(ev.item_ids),
    }


def raise_flags(
    session: Session,
    child: Child,
    flags: Iterable[Flag],
    *,
    source_kind: str,
    source_id: int | None,
    actor_id: int | None,
    now: dt.datetime,
) -> Case | None:
    """Store the flags above ``advice`` and add them to the child's open case (opening one in
    the responsible clinic's queue when there is none). Returns the case, or None."""
    serious = [f for f in flags if f.severity != "advice"]
    if not serious:
        return None
    top = min((str(f.severity) for f in serious), key=SEVERITY_RANK.__getitem__)
    case = session.execute(
        select(Case).where(Case.child_id == child.id, Case.status == "open")
    ).scalar_one_or_none()
    if case is None:
        case = Case(
            child_id=child.id,
            clinic_id=responsible_clinic_id(session, child.id, child.area_id),
            severity=top,
            opened_at=now,
            updated_at=now,
            oldest_flag_at=now,
        )
        session.add(case)
        session.flush()
        action = "opened"
    else:
        action = "flag_added"
        if SEVERITY_RANK[top] < SEVERITY_RANK[str(case.severity)]:
            case.severity = top
            action = "escalated"
        case.updated_at = now
    for flag in serious:
        session.add(
            FlagRecord(
                child_id=child.id,
                case_id=case.id,
                code=flag.code,
                domain=str(flag.domain),
                severity=str(flag.severity),
                parent_message_id=flag.parent_message_id,
                clinician_message_id=flag.clinician_message_id,
                source_kind=source_kind,
                source_id=source_id,
                evidence=_evidence(flag),
                raised_at=now,
            )
        )
    session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            actor_id=actor_id,
            action=action,
            detail={"flags": [f.code for f in serious], "source": source_kind},
        )
    )
    session.flush()
    return case


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
    """Validate, score and store one measurement (see the module docstring)."""
    if all(v is None for v in (data.weight_kg, data.length_cm, data.head_cm, data.muac_cm)):
        raise ServiceInputError("Enter at least one of weight, length/height, head or arm.")
    if data.length_cm is not None and data.measure is None:
        raise ServiceInputError("Say whether length/height was measured lying or standing.")
    age = age_on(child, data.measured_on, today)
    z = z_scores(str(child.sex), growth_age(child, age), data)
    flags = measurement_flags(
        z,
        age_days=age,
        muac_cm=data.muac_cm,
        oedema=data.oedema,
        confirmed=professional and confirm,
    )
    implausible = next((f for f in flags if f.code == "GROWTH_IMPLAUSIBLE"), None)
    if implausible is not None and not confirm:
        raise ImplausibleMeasurementError(sorted(implausible.evidence.z))
    rounded = {Z_COLUMNS[k]: round(v, 2) for k, v in z.items() if k in Z_COLUMNS}
    row = Measurement(
        child_id=child.id,
        entered_by_id=actor_id,
        clinic_id=clinic_id,
        facility_id=facility_id,
        age_days=age,
        implausible=implausible is not None,
        status="remeasure" if implausible is not None else "accepted",
        rule_set=RULE_SET,
        created_at=now,
        **data.model_dump(),
        **rounded,
    )
    session.add(row)
    session.flush()
    if implausible is not None:
        session.add(
            RemeasureRequest(
                child_id=child.id,
                measurement_id=row.id,
                indicators=sorted(implausible.evidence.z),
                requested_at=now,
            )
        )
        session.flush()
        return MeasurementResult(row, flags, None)
    case = raise_flags(
        session,
        child,
        flags,
        source_kind="measurement",
        source_id=row.id,
        actor_id=actor_id,
        now=now,
    )
    return MeasurementResult(row, flags, case)


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
    """Score and store one administration of ``instrument``; flags above advice open a case."""
    age = age_on(child, administered_on, today)
    result = development.assess(
        instrument,
        sex=str(child.sex),
        birth_date=child.birth_date,
        gestational_weeks=child.gestational_weeks,
        assessment_date=administered_on,
        answers=answers,
    )
    row = MilestoneAdministration(
        child_id=child.id,
        instrument=f"{result.instrument}@{result.instrument_version}",
        administered_on=administered_on,
        source=source,
        entered_by_id=actor_id,
        age_days=age,
        created_at=now,
    )
    session.add(row)
    session.flush()
    session.add_all(
        MilestoneAnswer(administration_id=row.id, item_code=k, answer=v)
        for k, v in result.answers.items()
    )
    case = raise_flags(
        session,
        child,
        result.flags,
        source_kind="milestone",
        source_id=row.id,
        actor_id=actor_id,
        now=now,
    )
    return row, result, case


def assess_stored_recall(row: FeedingRecall) -> feeding.FeedingResult:
    """Re-score a stored recall with the current rules."""
    return feeding.assess_recall(
        feeding.Recall.from_mapping({**row.answers, "age_days": row.age_days})
    )


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
    """Score and store a previous-day recall; a flag that persists from the previous recall, or
    comes with growth faltering, goes to the doctor."""
    age = age_on(child, recalled_on, today)
    answers = {k: v for k, v in answers.items() if k != "age_days"}
    result = feeding.assess_recall(feeding.Recall.from_mapping({**answers, "age_days": age}))
    previous = session.execute(
        select(FeedingRecall)
        .where(FeedingRecall.child_id == child.id)
        .order_by(FeedingRecall.recalled_on.desc(), FeedingRecall.id.desc())
    ).scalar()
    faltering = session.execute(
        select(FlagRecord.id).where(
            FlagRecord.child_id == child.id,
            FlagRecord.resolved_at.is_(None),
            FlagRecord.code.like("GROWTH_FALTER%"),
        )
    ).first()
    before = assess_stored_recall(previous).flags if previous is not None else None
    escalated = feeding.escalate(result.flags, before, growth_faltering=faltering is not None)
    row = FeedingRecall(
        child_id=child.id,
        recalled_on=recalled_on,
        source=source,
        entered_by_id=actor_id,
        age_days=age,
        answers=dict(answers),
        created_at=now,
    )
    session.add(row)
    session.flush()
    case = raise_flags(
        session,
        child,
        escalated,
        source_kind="feeding",
        source_id=row.id,
        actor_id=actor_id,
        now=now,
    )
    return row, result, case


def record_outcome(
    session: Session, case: Case, data: CaseClose, *, actor_id: int, now: dt.datetime
) -> Case:
    """A doctor's outcome: ``recheck`` (needs a date) keeps the case open until that date's
    review; every other outcome closes the case and resolves its flags. Audited."""
    if case.status != "open":
        raise ServiceInputError("This case is already closed.")
    if data.outcome == "recheck" and data.recheck_on is None:
        raise ServiceInputError("A recheck needs its date.")
    if data.outcome == "referred" and not (data.outcome_note or "").strip():
        raise ServiceInputError("Name the institution the child is referred to.")
    case.outcome = data.outcome
    case.outcome_note = data.outcome_note
    case.recheck_on = data.recheck_on
    case.updated_at = now
    action = "updated"
    if data.outcome != "recheck":
        case.status = "closed"
        case.closed_at = now
        case.closed_by_id = actor_id
        action = "closed"
        for flag in session.execute(
            select(FlagRecord).where(
                FlagRecord.case_id == case.id, FlagRecord.resolved_at.is_(None)
            )
        ).scalars():
            flag.resolved_at = now
    session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            actor_id=actor_id,
            action=action,
            detail={
                "outcome": str(data.outcome),
                "recheck_on": data.recheck_on.isoformat() if data.recheck_on else None,
            },
        )
    )
    session.flush()
    return case
