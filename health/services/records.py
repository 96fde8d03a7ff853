"""Record a measurement, a health check, a milestone checklist or a feeding recall, compute the
z-scores (growth engine) and flags (screening layer), and route what needs a doctor to a case.

Implausible growth values (WHO flag limits) never open a case: the measurement waits in status
``remeasure`` with a pending :class:`~health.models.RemeasureRequest`. The next measurement
settles it: a plausible value replaces it; an implausible one taken by a professional (clinic or
facility) confirms it, and its flags are then raised as usual.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from growth_charts import round_z
from growth_charts.age import corrected_age_days
from health.models import (
    Case,
    Check,
    CheckCreate,
    Child,
    FeedingRecall,
    FeedingRecallCreate,
    FlagRecord,
    Measurement,
    MeasurementCreate,
    MilestoneAdministration,
    MilestoneAdministrationCreate,
    MilestoneAnswer,
    RemeasureRequest,
    User,
)
from health.registry import NotFoundError, clinic_by_code
from health.services.cases import raise_flags
from health.services.errors import RecordError
from screening import development, feeding
from screening import growth as growth_rules
from screening.flags import GROWTH_RULES_VERSION

RULE_SET = f"who-anthro+{GROWTH_RULES_VERSION}"
Z_COLUMNS = {  # screening/engine indicator code → Measurement column
    "lhfa": "z_lhfa",
    "hfa_2007": "z_lhfa",
    "wfa": "z_wfa",
    "wfa_2007": "z_wfa",
    "wfl": "z_wflh",
    "wfh": "z_wflh",
    "bmi": "z_bmi",
    "bmi_2007": "z_bmi",
    "hcfa": "z_hcfa",
    "acfa": "z_acfa",
}


@dataclass
class RecordResult:
    """What recording produced: the stored row, every flag raised, the open case (if a flag
    needs a doctor) and the re-measure request (if a value was implausible)."""

    record: Any
    flags: list[Any] = field(default_factory=list)
    case: Case | None = None
    remeasure: RemeasureRequest | None = None
    assessment: Any = None  # the scoring of the record itself, when the rules produce one


def _child(session: Session, child_id: int) -> Child:
    child = session.get(Child, child_id)
    if child is None:
        raise NotFoundError("child", child_id)
    return child


def _age_days(child: Child, on: dt.date, today: dt.date, field_name: str) -> int:
    """Days from birth to ``on``; refuses dates before birth or after ``today``."""
    if on > today:
        raise RecordError("record.date_in_future", field_name, f"{on} is after today ({today})")
    days = (on - child.birth_date).days
    if days < 0:
        raise RecordError("record.date_before_birth", field_name, f"{on} is before the birth date")
    return days


def _z_age(child: Child, age_days: int) -> float:
    """Age used for z-scores: corrected for babies born before 37 weeks (under 24 months)."""
    weeks = math.nan if child.gestational_weeks is None else child.gestational_weeks
    return float(max(corrected_age_days([age_days], [weeks])[0], 0.0))


def _actor(entered_by: User | None) -> int | None:
    return entered_by.id if entered_by is not None else None


def record_measurement(
    session: Session,
    child_id: int,
    data: MeasurementCreate,
    *,
    now: dt.datetime,
    entered_by: User | None = None,
    clinic_id: int | None = None,
    facility_id: int | None = None,
) -> RecordResult:
    """Store a measurement with its WHO z-scores, raise growth flags (one measurement and the
    weight series), and open/update the case; implausible values ask for a re-measure."""
    child = _child(session, child_id)
    if all(v is None for v in (data.weight_kg, data.length_cm, data.head_cm, data.muac_cm)):
        raise RecordError("record.no_value", "weight_kg", "at least one measurement is needed")
    age = _age_days(child, data.measured_on, now.date(), "measured_on")
    z_age = _z_age(child, age)
    z = growth_rules.measurement_z(
        sex=child.sex,
        age_days=z_age,
        weight_kg=data.weight_kg,
        length_cm=data.length_cm,
        measure=data.measure,
        head_cm=data.head_cm,
        muac_cm=data.muac_cm,
        oedema=data.oedema,
    )
    pending = session.exec(
        select(RemeasureRequest).where(
            RemeasureRequest.child_id == child_id, RemeasureRequest.status == "pending"
        )
    ).all()
    professional = str(data.source) in ("clinic", "facility")
    confirmed = bool(pending) and professional
    flags = list(
        growth_rules.measurement_flags(
            z, age_days=z_age, muac_cm=data.muac_cm, oedema=data.oedema, confirmed=confirmed
        )
    )
    implausible = any(f.code == "GROWTH_IMPLAUSIBLE" for f in flags)
    row = Measurement(
        **data.model_dump(),
        child_id=child_id,
        entered_by_id=_actor(entered_by),
        clinic_id=clinic_id,
        facility_id=facility_id,
        age_days=age,
        implausible=implausible or confirmed,
        status="remeasure" if implausible else "accepted",
        rule_set=RULE_SET,
        created_at=now,
    )
    for code, value in z.items():
        if code in Z_COLUMNS and getattr(row, Z_COLUMNS[code]) is None:
            setattr(row, Z_COLUMNS[code], float(round_z(value)))
    session.add(row)
    session.flush()
    for request in pending:  # the new value settles earlier requests
        request.status = (
            "confirmed" if confirmed else ("replaced" if not implausible else "pending")
        )
        if request.status != "pending":
            request.resolved_at = now
            old = session.get(Measurement, request.measurement_id)
            if old is not None and request.status == "replaced":
                old.status = "superseded"
        session.add(request)
    if implausible:
        suspect = [c for f in flags if f.code == "GROWTH_IMPLAUSIBLE" for c in f.evidence.z]
        request = RemeasureRequest(
            child_id=child_id, measurement_id=row.id, indicators=suspect, requested_at=now
        )  # type: ignore[arg-type]
        session.add(request)
        session.flush()
        return RecordResult(row, flags, None, request)
    if data.weight_kg is not None:
        flags += list(_series_flags(session, child))
    case = raise_flags(session, child, flags, source_kind="measurement", source_id=row.id,
                       now=now, actor_id=_actor(entered_by))  # fmt: skip
    return RecordResult(row, flags, case)


def _series_flags(session: Session, child: Child) -> tuple[Any, ...]:
    """Faltering, rapid gain and early weight loss over the child's accepted weights."""
    rows = session.exec(
        select(Measurement.age_days, Measurement.weight_kg)
        .where(
            Measurement.child_id == child.id,
            col(Measurement.weight_kg).is_not(None),
            Measurement.status == "accepted",
        )
        .order_by(col(Measurement.age_days), col(Measurement.id))
    ).all()
    by_day = {int(a): float(w) for a, w in rows}  # the latest weight of a day wins
    if len(by_day) < 2:
        return ()
    points = growth_rules.weight_series(
        sex=child.sex,
        age_days=list(by_day),
        weight_kg=list(by_day.values()),
        gestational_weeks=child.gestational_weeks,
    )
    return growth_rules.series_flags(points)


def record_check(
    session: Session,
    child_id: int,
    data: CheckCreate,
    *,
    now: dt.datetime,
    entered_by: User | None = None,
) -> RecordResult:
    """Store a health check (one per child, date and kind); its weight/length/head become a
    clinic measurement (flags as for any measurement) and its haemoglobin is screened."""
    child = _child(session, child_id)
    age = _age_days(child, data.check_date, now.date(), "check_date")
    clinic_id = clinic_by_code(session, data.clinic_code).id if data.clinic_code else None
    duplicate = session.exec(
        select(Check).where(
            Check.child_id == child_id, Check.check_date == data.check_date, Check.kind == data.kind
        )
    ).first()
    if duplicate is not None:
        detail = f"a {data.kind} check on {data.check_date} is already recorded"
        raise RecordError("record.duplicate_check", "check_date", detail)
    check = Check(
        **data.model_dump(exclude={"clinic_code"}), child_id=child_id, clinic_id=clinic_id
    )
    session.add(check)
    session.flush()
    result = RecordResult(check)
    if any(v is not None for v in (data.weight_kg, data.length_cm, data.head_cm)):
        measured = record_measurement(
            session,
            child_id,
            MeasurementCreate(
                measured_on=data.check_date,
                source="clinic",  # type: ignore[arg-type]
                weight_kg=data.weight_kg,
                length_cm=data.length_cm,
                measure=data.measure,
                head_cm=data.head_cm,
            ),
            now=now,
            entered_by=entered_by,
            clinic_id=clinic_id,
        )
        result.flags += measured.flags
        result.case, result.remeasure = measured.case, measured.remeasure
    if data.hb_g_l is not None:
        anaemia = growth_rules.anaemia(data.hb_g_l, age_days=age)
        if anaemia.flags:
            result.flags += list(anaemia.flags)
            result.case = raise_flags(session, child, anaemia.flags, source_kind="check",
                                      source_id=check.id, now=now,
                                      actor_id=_actor(entered_by)) or result.case  # fmt: skip
    return result


def record_milestones(
    session: Session,
    child_id: int,
    data: MilestoneAdministrationCreate,
    *,
    now: dt.datetime,
    entered_by: User | None = None,
) -> RecordResult:
    """Score a milestone instrument (``data.instrument`` = instrument code), store the answers
    and route warning signs / "not yet" answers to the case."""
    child = _child(session, child_id)
    age = _age_days(child, data.administered_on, now.date(), "administered_on")
    result = development.assess(
        data.instrument,
        sex=child.sex,
        birth_date=child.birth_date,
        gestational_weeks=child.gestational_weeks,
        assessment_date=data.administered_on,
        answers=data.answers,
    )
    row = MilestoneAdministration(
        instrument=f"{result.instrument}@{result.instrument_version}",
        administered_on=data.administered_on,
        source=data.source,
        child_id=child_id,
        entered_by_id=_actor(entered_by),
        age_days=age,
        created_at=now,
    )
    session.add(row)
    session.flush()
    session.add_all(
        MilestoneAnswer(administration_id=row.id, item_code=item, answer=answer)  # type: ignore[arg-type]
        for item, answer in result.answers.items()
    )
    case = raise_flags(session, child, result.flags, source_kind="milestone", source_id=row.id,
                       now=now, actor_id=_actor(entered_by))  # fmt: skip
    return RecordResult(row, list(result.flags), case)


def record_feeding(
    session: Session,
    child_id: int,
    data: FeedingRecallCreate,
    *,
    now: dt.datetime,
    entered_by: User | None = None,
) -> RecordResult:
    """Assess a previous-day recall (WHO/UNICEF IYCF); its advice flags go to the family, and
    become a review flag for the doctor when they persist over two recalls or come with growth
    faltering (open ``GROWTH_FALTERING`` flag)."""
    child = _child(session, child_id)
    age = _age_days(child, data.recalled_on, now.date(), "recalled_on")
    recall = feeding.Recall.from_mapping({**data.answers, "age_days": age})
    assessed = feeding.assess_recall(recall)
    previous_row = session.exec(
        select(FeedingRecall)
        .where(FeedingRecall.child_id == child_id)
        .order_by(col(FeedingRecall.recalled_on).desc(), col(FeedingRecall.id).desc())
    ).first()
    previous = None
    if previous_row is not None:
        before = feeding.Recall.from_mapping(
            {**previous_row.answers, "age_days": previous_row.age_days}
        )
        previous = feeding.assess_recall(before).flags
    faltering = session.exec(
        select(FlagRecord.id).where(
            FlagRecord.child_id == child_id,
            FlagRecord.code == "GROWTH_FALTERING",
            col(FlagRecord.resolved_at).is_(None),
        )
    ).first()
    escalated = feeding.escalate(assessed.flags, previous, growth_faltering=faltering is not None)
    row = FeedingRecall(
        recalled_on=data.recalled_on,
        source=data.source,
        child_id=child_id,
        entered_by_id=_actor(entered_by),
        age_days=age,
        answers={k: v for k, v in data.answers.items() if k != "age_days"},
        created_at=now,
    )
    session.add(row)
    session.flush()
    flags = [*assessed.flags, *escalated]
    case = raise_flags(session, child, flags, source_kind="feeding", source_id=row.id, now=now,
                       actor_id=_actor(entered_by))  # fmt: skip
    return RecordResult(row, flags, case, assessment=assessed)
