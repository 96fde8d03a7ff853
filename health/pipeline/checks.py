"""Record a health check: one per child, date and kind. Its weight, length and head become a
clinic measurement through the measurement pipeline; its haemoglobin is screened for anaemia;
its screening results (hearing, eyes, acuity, teeth, vitamin D) go through
:func:`screening.checks.check_flags`. All the flags of the check are raised in one call.

Results are validated before anything is stored (:func:`validate_results`): a hearing result is
``pass``/``refer``, an eye result ``normal``/``abnormal``, an acuity a 5-point record with one
decimal (3.0-5.3) and only from 36 months (a chart is not read earlier). Every other result is
accepted at any age 0-6 and raises a flag only where its rule applies (acuity thresholds at
48-83 months, vitamin D advice up to 12 months, anaemia from 6 months)."""

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
from screening import checks as check_rules
from screening import growth as growth_rules
from screening.vocabulary import who_completed_months

RESULT_FIELDS = (
    *check_rules.HEARING_FIELDS, *check_rules.EYE_FIELDS, *check_rules.ACUITY_FIELDS,
    "caries_teeth", "vitamin_d_given",
)  # fmt: skip
"""The screening results a check may carry (columns of ``checks``, migration 0006)."""
RESULT_CHOICES: dict[str, tuple[str, ...]] = {
    **{name: check_rules.HEARING_RESULTS for name in check_rules.HEARING_FIELDS},
    **{name: check_rules.EYE_RESULTS for name in check_rules.EYE_FIELDS},
}
"""The allowed values of each result chosen from a list (for forms and validation)."""


def validate_results(data: CheckCreate, age_days: int) -> None:
    """Refuse a result that is not one of the allowed values, an acuity not on the 5-point
    record (one decimal, 3.0-5.3) or read under 36 completed months (RecordError, its field)."""
    for name, choices in RESULT_CHOICES.items():
        value = getattr(data, name)
        if value is not None and value not in choices:
            raise RecordError("error.record.check_choice", name,
                              f"{name} must be one of {', '.join(choices)}")  # fmt: skip
    low, high = check_rules.ACUITY_RANGE
    for name in check_rules.ACUITY_FIELDS:
        value = getattr(data, name)
        if value is None:
            continue
        if not low <= value <= high or abs(value * 10 - round(value * 10)) > 1e-6:
            detail = f"{name} must be a 5-point record 3.0-5.3 with one decimal"
            raise RecordError("error.record.acuity_scale", name, detail)
        if who_completed_months(age_days) < check_rules.ACUITY_MIN_MONTHS:
            raise RecordError("error.record.acuity_too_young", name,
                              "visual acuity is read from 36 months")  # fmt: skip


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
    validate_results(data, ages.days)
    clinic_id = clinic_by_code(session, data.clinic_code).id if data.clinic_code else by.clinic_id
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
    found = check_rules.check_flags(
        age_days=ages.days, **data.model_dump(include=set(RESULT_FIELDS))
    )
    if data.hb_g_l is not None:
        found = (*found, *growth_rules.anaemia(data.hb_g_l, age_days=ages.days).flags)
    if found:
        flags = (*flags, *found)
        raised = raise_flags(session, child, found, source_kind="check",
                             source_id=check.id, at=at, actor_id=by.actor_id)  # fmt: skip
        case = raised or case
    return CheckResult(check, ages, measured, tuple(flags), case)
