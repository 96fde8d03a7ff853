"""Record a measurement (one call, one complete result) and read a stored one back the same way.

Path of a value: date check on the local "today" → ages (corrected before 37 weeks) → the
growth engine's z (once) → the one-measurement flags (``screening.growth``) → confirm step for
values beyond WHO's flag limits → the stored row with WHO-rounded z → re-measure request, or the
weight-series flags and the case → per-indicator results with their sentences.

Implausible values never open a case: the row waits in status ``remeasure`` with a pending
:class:`~health.models.RemeasureRequest` and the advice flag ``GROWTH_IMPLAUSIBLE``. The next
measurement settles it: a plausible value replaces it; an implausible one taken by a
professional (clinic or facility) confirms it, and its flags are then raised as usual.

A home value far off the child's own trajectory (``screening.growth.trajectory``: WHO velocity
z or conditional gain z beyond ±4 against the latest accepted earlier value; withdrawn and
waiting rows do not count) takes the same path with its ``GROWTH_TRAJECTORY_*`` advice flag,
without the confirm step (the value is within WHO's limits). A second home value off the
trajectory in the same direction confirms the first (the family measured again and found it
again); a professional's value is never questioned. An accepted weight is also judged for the
doctor: WHO weight velocity below the 5th centile over a covered interval is a review flag.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from growth_charts.age import corrected_age_days
from health.clock import Moment
from health.errors import ImplausibleMeasurementError, RecordError
from health.models import Child, Measurement, MeasurementCreate, RemeasureRequest
from health.models.enums import MeasurementStatus, RequestStatus
from health.models.records import MeasurementBase
from health.pipeline.ages import Ages, ages_of, ages_on
from health.pipeline.author import Author
from health.pipeline.indicators import (
    ENGINE_CODES,
    IMPLAUSIBLE,
    IndicatorResult,
    indicator_results,
    stored_columns,
)
from health.pipeline.results import MeasurementResult
from health.pipeline.stored import flags_of_source
from health.services.cases import raise_flags
from screening import growth as growth_rules
from screening.flags import GROWTH_RULES_VERSION, Flag
from screening.growth import trajectory

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


Row = tuple[int, int, float | None, float | None, str | None, float | None]
"""An accepted earlier measurement: id, age in days, weight, length, position, head."""


@cache
def _history_query() -> Any:
    """The statement of :func:`_history`, built once over the bind parameter ``child_id``."""
    child_id = bindparam("child_id", type_=Measurement.__table__.c.child_id.type)  # type: ignore[attr-defined]
    accepted = (Measurement.status == MeasurementStatus.accepted) & col(
        Measurement.withdrawn_at
    ).is_(None)
    return (
        select(
            Measurement.id, Measurement.age_days, Measurement.weight_kg, Measurement.length_cm,
            Measurement.measure, Measurement.head_cm, accepted, RemeasureRequest,
        )
        .outerjoin(RemeasureRequest, (col(RemeasureRequest.measurement_id) == col(Measurement.id))
                   & (col(RemeasureRequest.child_id) == child_id)
                   & (RemeasureRequest.status == RequestStatus.pending))
        .where(col(Measurement.child_id) == child_id,
               accepted | col(RemeasureRequest.id).is_not(None))
        .order_by(col(Measurement.age_days), col(Measurement.id))
    )  # fmt: skip


def _history(session: Session, child_id: int) -> tuple[list[RemeasureRequest], list[Row]]:
    """In one query: the child's pending re-measure requests, and its accepted, not withdrawn
    measurements in the series rules' order (age, then entry) — an outer join of each
    measurement to the pending request waiting on it."""
    rows = session.exec(_history_query(), params={"child_id": child_id}).all()  # type: ignore[call-overload]
    pending = sorted({r[7].id: r[7] for r in rows if r[7] is not None}.values(),
                     key=lambda r: r.id)  # fmt: skip
    series = {r[0]: (r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows if r[6]}
    return pending, list(series.values())


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
    written) unless ``confirm``. Writes the row at once; the caller commits."""
    _check_entry(data)
    ages = ages_on(child, data.measured_on, at.today, "measured_on")
    z = _z(child, ages, data)
    flags = _flags(z, ages, data, confirmed=False)
    implausible = next((f for f in flags if f.code == IMPLAUSIBLE), None)
    if implausible is not None and not confirm:
        raise ImplausibleMeasurementError([ENGINE_CODES[c][0] for c in implausible.evidence.z])
    pending, history = _history(session, int(child.id))  # type: ignore[arg-type]
    confirmed = bool(pending) and by.professional
    if confirmed and implausible is not None:
        flags = _flags(z, ages, data, confirmed=True)
        implausible = None
    judged = None if implausible is not None else _trajectory(history, child, ages, data, by)
    off_track = judged.remeasure if judged is not None else ()
    if off_track and _repeat_confirms(session, int(child.id), pending, judged):  # type: ignore[arg-type]
        confirmed, off_track = True, ()
    row = _stored(session, {
        **data.model_dump(exclude={"source"}),
        **stored_columns(z),
        "source": by.source,
        "child_id": child.id,
        "entered_by_id": by.actor_id,
        "clinic_id": by.clinic_id,
        "facility_id": by.facility_id,
        "age_days": ages.days,
        "implausible": implausible is not None or confirmed,
        "status": (
            MeasurementStatus.remeasure if implausible or off_track else MeasurementStatus.accepted
        ),
        "rule_set": RULE_SET,
        "created_at": at.now,
    })  # fmt: skip
    waiting = implausible is not None or bool(off_track)
    superseded = _settle(session, pending, confirmed=confirmed, implausible=waiting, at=at)
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
    elif off_track:
        flags = off_track
        request = RemeasureRequest(
            child_id=child.id,  # type: ignore[arg-type]
            measurement_id=row.id,  # type: ignore[arg-type]
            indicators=_indicators_using(z, _suspect(off_track)),
            requested_at=at.now,
        )
        session.add(request)
    elif data.weight_kg is not None:
        review = judged.review if judged is not None else ()
        earlier = [r for r in history if r[0] not in superseded]
        new: Row = (int(row.id), ages.days, row.weight_kg, None, None, None)  # type: ignore[arg-type]
        flags = (*flags, *_series_flags(child, [*earlier, new]), *review)
    case = raise_flags(session, child, flags, source_kind="measurement", source_id=row.id,
                       at=at, actor_id=by.actor_id)  # fmt: skip
    return MeasurementResult(
        measurement=row,
        ages=ages,
        rule_set=RULE_SET,
        indicators=_marked(indicator_results(z, flags), _suspect(flags)),
        flags=tuple(flags),
        case=case,
        remeasure=request,
    )


@cache
def _insert_statement() -> Any:
    """``INSERT INTO measurements … RETURNING id`` over every column but ``id``, built once."""
    table = Measurement.__table__  # type: ignore[attr-defined]
    return insert(table).returning(table.c.id)


@cache
def _defaults() -> dict[str, Any]:
    """The model's default of every field not given (``withdrawn_at`` None …), ``id`` left out."""
    return {
        name: field.get_default(call_default_factory=True)
        for name, field in Measurement.model_fields.items()
        if name != "id" and not field.is_required()
    }


def _stored(session: Session, given: dict[str, Any]) -> Measurement:
    """The measurement of the fields ``given`` (the model's defaults for the others), written by
    one ``INSERT … RETURNING id`` on the session's connection and returned as the session's
    persistent row, as if loaded (no unit of work): ``session.get`` finds it, and a change to it
    (a correction's ``corrects_id``) is one ``UPDATE``, never a second ``INSERT``."""
    values = {**_defaults(), **given}
    new_id = session.connection().execute(_insert_statement(), values).scalar_one()
    row = sa_inspect(Measurement).class_manager.new_instance()
    row.__dict__.update(id=new_id, **values)
    object.__setattr__(row, "__pydantic_fields_set__", set(given))
    make_transient_to_detached(row)
    session.add(row)
    return row


def _earlier_points(
    history: list[Row], child: Child
) -> dict[str, list[trajectory.TrajectoryPoint]]:
    """The child's accepted, not withdrawn values (``history``, in age order) by measure, at
    the age the rules read (corrected before 37 weeks), for the trajectory rules."""
    weeks = child.gestational_weeks if child.gestational_weeks is not None else float("nan")
    out: dict[str, list[trajectory.TrajectoryPoint]] = {m: [] for m in trajectory.MEASURES}
    if not history:
        return out
    ages = corrected_age_days([float(r[1]) for r in history], weeks)  # one pass for the series
    point = trajectory.TrajectoryPoint
    weights, lengths, heads = out["weight"], out["length"], out["head"]
    for (_, _, weight, length, measure, head), age in zip(history, ages.tolist(), strict=True):
        used = max(int(age), 0)
        if weight is not None:
            weights.append(point(used, float(weight)))
        if length is not None:
            lengths.append(point(used, float(length), str(measure or "") or None))
        if head is not None:
            heads.append(point(used, float(head)))
    return out


def _trajectory(
    history: list[Row], child: Child, ages: Ages, data: MeasurementBase, by: Author
) -> trajectory.Judgement:
    """The trajectory rules for the new values against the child's earlier accepted ones."""
    new: dict[str, trajectory.TrajectoryPoint] = {}
    if data.weight_kg is not None:
        new["weight"] = trajectory.TrajectoryPoint(ages.used_days, float(data.weight_kg))
    if data.length_cm is not None:
        position = str(data.measure) if data.measure else None
        new["length"] = trajectory.TrajectoryPoint(ages.used_days, float(data.length_cm), position)
    if data.head_cm is not None:
        new["head"] = trajectory.TrajectoryPoint(ages.used_days, float(data.head_cm))
    if not new:
        return trajectory.Judgement((), ())
    return trajectory.judge(
        str(child.sex), _earlier_points(history, child), new, professional=by.professional
    )


_TRAJECTORY_CODES = frozenset(trajectory.FLAG_OF.values())


def _suspect(flags: tuple[Flag, ...] | list[Flag]) -> frozenset[str]:
    """The measurements a trajectory re-measure flag among ``flags`` names."""
    return frozenset(
        str(f.evidence.values.get("measure")) for f in flags if f.code in _TRAJECTORY_CODES
    )


def _indicators_using(z: dict[str, float], suspect: frozenset[str]) -> list[str]:
    """The engine codes of ``z`` that read a suspect measurement (the request's indicators)."""
    used = growth_rules.MEASUREMENTS_USED
    return sorted(code for code in z if code in used and used[code] & suspect)


def _marked(
    indicators: tuple[IndicatorResult, ...], suspect: frozenset[str]
) -> tuple[IndicatorResult, ...]:
    """Indicators reading a measurement off the child's trajectory say "please measure again"
    (``result.implausible``), as for values beyond WHO's limits."""
    if not suspect:
        return indicators
    used = growth_rules.MEASUREMENTS_USED
    return tuple(
        replace(i, sentence_id="result.implausible") if used[i.engine_code] & suspect else i
        for i in indicators
    )


def _repeat_confirms(
    session: Session, child_id: int, pending: list[RemeasureRequest],
    judged: trajectory.Judgement,
) -> bool:  # fmt: skip
    """Whether a home value off the trajectory repeats a waiting one: every measurement it
    questions is questioned, in the same direction, by a pending trajectory request."""
    waiting: set[tuple[str, str]] = set()
    for request in pending:
        for flag in flags_of_source(session, child_id, "measurement", request.measurement_id):
            if flag.code in _TRAJECTORY_CODES:
                values = flag.evidence.values
                waiting.add((str(values.get("measure")), str(values.get("direction"))))
    asked = {(str(f.evidence.values["measure"]), str(f.evidence.values["direction"]))
             for f in judged.remeasure}  # fmt: skip
    return bool(asked) and asked <= waiting


def _settle(
    session: Session, pending: list[RemeasureRequest], *, confirmed: bool, implausible: bool,
    at: Moment,
) -> set[int]:  # fmt: skip
    """The new value settles earlier requests: a professional's confirms them, a plausible one
    replaces them (the old rows become ``superseded``, in one ``UPDATE``); another implausible
    one leaves them. Returns the ids of the rows superseded."""
    if not confirmed and implausible:
        return set()
    for request in pending:
        request.status = RequestStatus.confirmed if confirmed else RequestStatus.replaced
        request.resolved_at = at.now
        session.add(request)
    replaced = {r.measurement_id for r in pending if r.status == RequestStatus.replaced}
    if replaced:
        session.execute(
            update(Measurement)
            .where(col(Measurement.id).in_(replaced))
            .values(status=MeasurementStatus.superseded)
        )
    return replaced


def _series_flags(child: Child, series: list[Row]) -> tuple[Flag, ...]:
    """Faltering, rapid gain and early weight loss over the child's accepted weights
    (``series``: the accepted, not withdrawn rows with the new one, in age then entry order)."""
    weights = sorted((r for r in series if r[2] is not None), key=lambda r: (r[1], r[0]))
    by_day = {int(r[1]): float(r[2]) for r in weights}  # type: ignore[arg-type]  # latest wins
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
        indicators=_marked(indicator_results(_z(child, ages, row), flags), _suspect(flags)),
        flags=flags,
        case=open_case_of(session, int(child.id)),  # type: ignore[arg-type]
        remeasure=request,
    )
