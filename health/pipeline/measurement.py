"""Record a measurement (one call, one complete result) and read a stored one back the same way.

Path of a value: date check on the local "today" → ages (corrected before 37 weeks) → the
growth engine's z (once) → the one-measurement flags (``screening.growth``) → confirm step for
values beyond WHO's flag limits → the stored row with WHO-rounded z → re-measure request, or the
weight-series flags and the case → per-indicator results with their sentences.

Implausible values never open a case: the row waits in status ``remeasure`` with a pending
:class:`~health.models.RemeasureRequest` and the advice flag ``GROWTH_IMPLAUSIBLE``. The next
measurement settles it: a plausible value replaces it; an implausible one taken by a
professional (clinic or facility) confirms it, and its flags are then raised as usual.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from health.clock import Moment
from health.errors import ImplausibleMeasurementError, RecordError
from health.models import Child, Measurement, MeasurementCreate, RemeasureRequest
from health.models.enums import MeasurementStatus, RequestStatus
from health.models.records import MeasurementBase
from health.pipeline.ages import Ages, ages_of, ages_on
from health.pipeline.author import Author
from health.pipeline.indicators import ENGINE_CODES, IMPLAUSIBLE, indicator_results, stored_columns
from health.pipeline.results import MeasurementResult
from health.pipeline.stored import flags_of_source
from health.services.cases import raise_flags
from screening import growth as growth_rules
from screening.flags import GROWTH_RULES_VERSION, Flag

RULE_SET = f"who-anthro+{GROWTH_RULES_VERSION}"
"""The engine's rule set and the growth flag rules' version, stored on every measurement."""


def _z(child: Child, ages: Ages, data: MeasurementBase) -> dict[str, float]:
    """Unrounded z of every indicator the engine computes for ``data`` at the age used."""
    return growth_rules.measurement_z(
        sex=str(child.sex),
        age_days=ages.used_days,
        weight_kg=data.weight_kg,
        length_cm=data.length_cm,
        measure=str(data.measure) if data.measure else None,
        head_cm=data.head_cm,
        muac_cm=data.muac_cm,
        oedema=bool(data.oedema),
    )


def _flags(
    z: dict[str, float], ages: Ages, data: MeasurementBase, confirmed: bool
) -> tuple[Flag, ...]:
    return growth_rules.measurement_flags(
        z, age_days=ages.used_days, muac_cm=data.muac_cm, oedema=bool(data.oedema),
        confirmed=confirmed,
    )  # fmt: skip


def _check_entry(data: MeasurementCreate) -> None:
    if all(v is None for v in (data.weight_kg, data.length_cm, data.head_cm, data.muac_cm)):
        raise RecordError("error.record.no_value", "weight_kg", "at least one value is needed")
    if data.length_cm is not None and data.measure is None:
        raise RecordError(
            "error.record.length_needs_position", "measure", "length/height needs L or H"
        )


def _pending(session: Session, child_id: int) -> list[RemeasureRequest]:
    return list(
        session.exec(
            select(RemeasureRequest).where(
                RemeasureRequest.child_id == child_id,
                RemeasureRequest.status == RequestStatus.pending,
            )
        ).all()
    )


def record_measurement(
    session: Session,
    child: Child,
    data: MeasurementCreate,
    *,
    by: Author,
    at: Moment,
    confirm: bool = False,
) -> MeasurementResult:
    """Store ``data`` for ``child`` and return the complete result (see the module docstring);
    the row's source is ``by.source`` (not ``data.source``).

    Values beyond WHO's flag limits raise :class:`ImplausibleMeasurementError` (nothing
    written) unless ``confirm``. Flushes; the caller commits."""
    _check_entry(data)
    ages = ages_on(child, data.measured_on, at.today, "measured_on")
    z = _z(child, ages, data)
    flags = _flags(z, ages, data, confirmed=False)
    implausible = next((f for f in flags if f.code == IMPLAUSIBLE), None)
    if implausible is not None and not confirm:
        raise ImplausibleMeasurementError([ENGINE_CODES[c][0] for c in implausible.evidence.z])
    pending = _pending(session, int(child.id))  # type: ignore[arg-type]
    confirmed = bool(pending) and by.professional
    if confirmed and implausible is not None:
        flags = _flags(z, ages, data, confirmed=True)
        implausible = None
    row = Measurement(
        **data.model_dump(exclude={"source"}),
        **stored_columns(z),
        source=by.source,
        child_id=child.id,
        entered_by_id=by.actor_id,
        clinic_id=by.clinic_id,
        facility_id=by.facility_id,
        age_days=ages.days,
        implausible=implausible is not None or confirmed,
        status=MeasurementStatus.remeasure if implausible else MeasurementStatus.accepted,
        rule_set=RULE_SET,
        created_at=at.now,
    )
    session.add(row)
    session.flush()
    _settle(session, pending, confirmed=confirmed, implausible=implausible is not None, at=at)
    request = None
    if implausible is not None:
        flags = (implausible,)
        request = RemeasureRequest(
            child_id=child.id,  # type: ignore[arg-type]
            measurement_id=row.id,  # type: ignore[arg-type]
            indicators=sorted(implausible.evidence.z),
            requested_at=at.now,
        )
        session.add(request)
    elif data.weight_kg is not None:
        flags = (*flags, *_series_flags(session, child))
    case = raise_flags(session, child, flags, source_kind="measurement", source_id=row.id,
                       at=at, actor_id=by.actor_id)  # fmt: skip
    return MeasurementResult(
        measurement=row,
        ages=ages,
        rule_set=RULE_SET,
        indicators=indicator_results(z, flags),
        flags=tuple(flags),
        case=case,
        remeasure=request,
    )


def _settle(
    session: Session, pending: list[RemeasureRequest], *, confirmed: bool, implausible: bool,
    at: Moment,
) -> None:  # fmt: skip
    """The new value settles earlier requests: a professional's confirms them, a plausible one
    replaces them (the old row becomes ``superseded``); another implausible one leaves them."""
    if not confirmed and implausible:
        return
    for request in pending:
        request.status = RequestStatus.confirmed if confirmed else RequestStatus.replaced
        request.resolved_at = at.now
        if request.status == RequestStatus.replaced:
            old = session.get(Measurement, request.measurement_id)
            if old is not None:
                old.status = MeasurementStatus.superseded
                session.add(old)
        session.add(request)


def _series_flags(session: Session, child: Child) -> tuple[Flag, ...]:
    """Faltering, rapid gain and early weight loss over the child's accepted weights (a
    withdrawn entry does not count)."""
    rows = session.exec(
        select(Measurement.age_days, Measurement.weight_kg)
        .where(
            Measurement.child_id == child.id,
            col(Measurement.weight_kg).is_not(None),
            Measurement.status == MeasurementStatus.accepted,
            col(Measurement.withdrawn_at).is_(None),
        )
        .order_by(col(Measurement.age_days), col(Measurement.id))
    ).all()
    by_day = {int(a): float(w) for a, w in rows}  # the latest weight of a day wins
    if len(by_day) < 2:
        return ()
    points = growth_rules.weight_series(
        sex=str(child.sex),
        age_days=list(by_day),
        weight_kg=list(by_day.values()),
        gestational_weeks=child.gestational_weeks,
    )
    return tuple(growth_rules.series_flags(points))


def measurement_result(session: Session, child: Child, row: Measurement) -> MeasurementResult:
    """A stored measurement read back as the same complete result: z from the engine at the
    stored age, the flags exactly as stored for it, the child's open case and pending request."""
    from health.services.cases import open_case_of

    ages = ages_of(child, row.measured_on)
    flags = flags_of_source(session, int(child.id), "measurement", int(row.id))  # type: ignore[arg-type]
    request = session.exec(
        select(RemeasureRequest).where(
            RemeasureRequest.measurement_id == row.id,
            RemeasureRequest.status == RequestStatus.pending,
        )
    ).first()
    return MeasurementResult(
        measurement=row,
        ages=ages,
        rule_set=row.rule_set,
        indicators=indicator_results(_z(child, ages, row), flags),
        flags=flags,
        case=open_case_of(session, int(child.id)),  # type: ignore[arg-type]
        remeasure=request,
    )
