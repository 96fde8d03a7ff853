"""Record a health check: one per child, date and kind. Its weight, length and head become a
clinic measurement through the measurement pipeline; its haemoglobin is screened for anaemia."""

from __future__ import annotations

from sqlmodel import Session, select

from health.clock import Moment
from health.errors import RecordError
from health.models import Check, CheckCreate, Child, MeasurementCreate
from health.pipeline.ages import ages_on
from health.pipeline.author import Author
from health.pipeline.measurement import record_measurement
from health.pipeline.results import CheckResult
from health.registry import clinic_by_code
from health.services.cases import raise_flags
from screening import growth as growth_rules


def record_check(
    session: Session,
    child: Child,
    data: CheckCreate,
    *,
    by: Author,
    at: Moment,
    confirm: bool = True,
) -> CheckResult:
    """Store a check and what it carries (see the module docstring); ``by.source`` is the
    clinic's. Values beyond WHO's flag limits are stored for re-measure unless ``confirm`` is
    False."""
    ages = ages_on(child, data.check_date, at.today, "check_date")
    clinic_id = clinic_by_code(session, data.clinic_code).id if data.clinic_code else None
    duplicate = session.exec(
        select(Check.id).where(
            Check.child_id == child.id, Check.check_date == data.check_date, Check.kind == data.kind
        )
    ).first()
    if duplicate is not None:
        raise RecordError(
            "error.record.duplicate_check", "check_date",
            f"a {data.kind} check on {data.check_date} is already recorded",
            kind=str(data.kind), date=data.check_date.isoformat(),
        )  # fmt: skip
    check = Check(
        **data.model_dump(exclude={"clinic_code"}), child_id=child.id, clinic_id=clinic_id
    )
    session.add(check)
    session.flush()
    measured = None
    if any(v is not None for v in (data.weight_kg, data.length_cm, data.head_cm)):
        values = data.model_dump(include={"weight_kg", "length_cm", "measure", "head_cm"})
        entry = MeasurementCreate(measured_on=data.check_date, source=by.source, **values)
        author = Author(by.source, by.actor_id, clinic_id=clinic_id)
        measured = record_measurement(session, child, entry, by=author, at=at, confirm=confirm)
    flags = measured.flags if measured else ()
    case = measured.case if measured else None
    if data.hb_g_l is not None:
        anaemia = growth_rules.anaemia(data.hb_g_l, age_days=ages.days)
        if anaemia.flags:
            flags = (*flags, *anaemia.flags)
            raised = raise_flags(session, child, anaemia.flags, source_kind="check",
                                 source_id=check.id, at=at, actor_id=by.actor_id)  # fmt: skip
            case = raised or case
    return CheckResult(check, ages, measured, tuple(flags), case)
