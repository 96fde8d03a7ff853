"""Take back or correct a measurement: only the account that entered it may, once.

Nothing is deleted. A withdrawn row stays stored with ``withdrawn_at`` (UTC) and
``withdrawn_by_id``; every read that counts measurements (the latest result, the growth chart,
the series rules, the z-score table) leaves it out, and the history lists it as withdrawn.
Withdrawing resolves the flags the row raised (advice included; a ``flag_withdrawn`` event on
their case), cancels a re-measure request waiting on it, and closes the child's open case when
no open flag is left (event ``closed_withdrawn``, shown in the outcome history); otherwise the
case's severity follows its remaining flags. Each withdrawal and correction is in the access
audit (``measurement.withdraw``, ``measurement.correct``; the row's id only).

A correction is a withdrawal of the old row and a new entry through
:func:`~health.pipeline.measurement.record_measurement` (same checks, confirm step, flags, case
and re-measure request as any entry) whose ``corrects_id`` names the old row. The case is
settled after the new entry, so a corrected value that still needs the doctor keeps the case
open. A refused correction (its values, its date, or unconfirmed implausible values) writes
nothing: the old row stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from health.clock import Moment
from health.errors import RecordError
from health.models import (
    Case,
    Child,
    FlagRecord,
    Measurement,
    MeasurementCreate,
    RemeasureRequest,
    User,
)
from health.models.enums import RequestStatus
from health.pipeline.author import Author
from health.pipeline.measurement import record_measurement
from health.pipeline.results import MeasurementResult
from health.services import audit
from health.services.cases import settle_after_withdrawal, withdraw_flags

MAX_ID = 2**63 - 1
"""The largest row id either database stores (signed 64-bit)."""


class EntryNotFoundError(RecordError):
    """No measurement with this id (of this child)."""

    slug = "entry-not-found"
    status_code = 404

    def __init__(self, measurement_id: int) -> None:
        super().__init__(
            "error.record.entry_not_found", "measurement_id",
            f"no measurement {measurement_id} of this child",
        )  # fmt: skip


class NotYourEntryError(RecordError):
    """The measurement was entered by another account (or by an import)."""

    slug = "not-your-entry"
    status_code = 403

    def __init__(self, measurement_id: int) -> None:
        super().__init__(
            "error.record.not_your_entry", "measurement_id",
            f"measurement {measurement_id} was entered by another account",
        )  # fmt: skip


class AlreadyWithdrawnError(RecordError):
    """The measurement was already withdrawn (or corrected)."""

    slug = "already-withdrawn"
    status_code = 409

    def __init__(self, measurement_id: int) -> None:
        super().__init__(
            "error.record.already_withdrawn", "measurement_id",
            f"measurement {measurement_id} is already withdrawn",
        )  # fmt: skip


@dataclass(frozen=True)
class WithdrawalResult:
    """A withdrawal: the row (kept, now withdrawn), the flags it had raised that were resolved,
    the child's case they belonged to (None when none did), whether that case closed, and the
    re-measure request that was cancelled with it."""

    measurement: Measurement
    flags_resolved: tuple[FlagRecord, ...]
    case: Case | None
    case_closed: bool
    remeasure_cancelled: RemeasureRequest | None


@dataclass(frozen=True)
class CorrectionResult:
    """A correction: the withdrawal of the old row and the new entry's complete result (its
    ``measurement.corrects_id`` is the old row's id). ``withdrawal.case_closed`` is True only
    when the new entry left the case without an open flag."""

    withdrawal: WithdrawalResult
    result: MeasurementResult


def own_entry(
    session: Session, measurement_id: int, by: Author, *, child_id: int | None = None
) -> Measurement:
    """The measurement ``measurement_id`` when ``by`` may withdraw or correct it: it exists (of
    ``child_id`` when given), ``by``'s account entered it, and it is not withdrawn yet."""
    if not 1 <= measurement_id <= MAX_ID:  # no row has it, and the database cannot bind it
        raise EntryNotFoundError(measurement_id)
    row = session.get(Measurement, measurement_id)
    if row is None or (child_id is not None and row.child_id != child_id):
        raise EntryNotFoundError(measurement_id)
    if by.actor_id is None or row.entered_by_id != by.actor_id:
        raise NotYourEntryError(measurement_id)
    if row.withdrawn_at is not None:
        raise AlreadyWithdrawnError(measurement_id)
    return row


def _id(row: Measurement) -> int:
    return int(row.id)  # type: ignore[arg-type]  # a stored row has its id


def _audit(session: Session, by: Author, action: str, row: Measurement, at: Moment) -> None:
    account = session.get(User, by.actor_id)
    role = str(account.role) if account is not None else str(by.source)
    audit.record(session, actor_id=by.actor_id, role=role, action=action,
                 object_kind="measurement", object_ref=_id(row), at=at.now)  # fmt: skip


def _take_back(
    session: Session, row: Measurement, by: Author, at: Moment
) -> tuple[list[FlagRecord], Case | None, RemeasureRequest | None]:
    """Mark ``row`` withdrawn, resolve its flags, cancel its pending re-measure request."""
    row.withdrawn_at, row.withdrawn_by_id = at.now, by.actor_id
    session.add(row)
    request = session.exec(
        select(RemeasureRequest)
        .where(
            RemeasureRequest.measurement_id == row.id,
            RemeasureRequest.status == RequestStatus.pending,
        )
        .order_by(col(RemeasureRequest.id))
    ).first()
    if request is not None:
        request.status, request.resolved_at = RequestStatus.cancelled, at.now
        session.add(request)
    flags, case = withdraw_flags(session, row.child_id, source_kind="measurement",
                                 source_id=_id(row), at=at, actor_id=by.actor_id)  # fmt: skip
    return flags, case, request


def withdraw_measurement(
    session: Session,
    measurement_id: int,
    *,
    by: Author,
    at: Moment,
    child_id: int | None = None,
) -> WithdrawalResult:
    """Withdraw the measurement ``by`` entered (see the module docstring). Refusals:
    :class:`EntryNotFoundError`, :class:`NotYourEntryError`, :class:`AlreadyWithdrawnError`
    (nothing written). Flushes; the caller commits."""
    row = own_entry(session, measurement_id, by, child_id=child_id)
    flags, case, request = _take_back(session, row, by, at)
    closed = case is not None and settle_after_withdrawal(
        session, case, at=at, actor_id=by.actor_id, source_id=_id(row)
    )
    _audit(session, by, "measurement.withdraw", row, at)
    session.flush()
    return WithdrawalResult(row, tuple(flags), case, closed, request)


def correct_measurement(
    session: Session,
    measurement_id: int,
    data: MeasurementCreate,
    *,
    by: Author,
    at: Moment,
    confirm: bool = False,
    child_id: int | None = None,
) -> CorrectionResult:
    """Replace the measurement ``by`` entered with ``data`` (see the module docstring):
    the same refusals as :func:`withdraw_measurement`, then those of ``record_measurement``
    (``ImplausibleMeasurementError`` unless ``confirm``); a refusal writes nothing. Flushes;
    the caller commits."""
    row = own_entry(session, measurement_id, by, child_id=child_id)
    child = session.get(Child, row.child_id)
    assert child is not None  # a measurement's child is a foreign key
    with session.begin_nested():  # a refused new entry leaves the old row untouched
        flags, case, request = _take_back(session, row, by, at)
        result = record_measurement(session, child, data, by=by, at=at, confirm=confirm)
        result.measurement.corrects_id = row.id
        session.add(result.measurement)
        closed = case is not None and settle_after_withdrawal(
            session, case, at=at, actor_id=by.actor_id, source_id=_id(row)
        )
        _audit(session, by, "measurement.correct", row, at)
        session.flush()
    withdrawal = WithdrawalResult(row, tuple(flags), case, closed, request)
    return CorrectionResult(withdrawal, result)
