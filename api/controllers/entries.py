"""JSON API: the author of a measurement withdraws or corrects it (:mod:`health.pipeline.withdraw`).

Refusals are problem details: 404 ``entry-not-found`` for a measurement that is not this
child's, 403 ``not-your-entry`` when another account (or an import) entered it, 409
``already-withdrawn`` the second time, and a correction's values as when creating (422, with
``implausible-measurement`` unless ``confirm``). The withdrawn row stays stored:
``GET …/measurements`` leaves it out unless asked for ``withdrawn=true``.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from pydantic import BaseModel

from api.access import ENTERING
from api.controllers.base import api_post
from api.controllers.children import MeasurementOut, measurement_out
from api.request_scope import Visit
from health import pipeline
from health.models import MeasurementCreate, MeasurementPublic


class WithdrawalOut(BaseModel):
    """A withdrawn measurement (kept, with ``withdrawn_at``), how many open flags it had raised
    were resolved, whether the child's case closed, and whether a re-measure request waiting
    on it was cancelled."""

    measurement: MeasurementPublic
    flags_resolved: int
    case_closed: bool
    remeasure_cancelled: bool


class CorrectionOut(BaseModel):
    """A correction: the old entry as withdrawn, and the new entry's complete result (its
    ``measurement.corrects_id`` names the old one)."""

    withdrawn: WithdrawalOut
    result: MeasurementOut


def withdrawal_out(done: pipeline.WithdrawalResult) -> WithdrawalOut:
    """The JSON view of a withdrawal."""
    return WithdrawalOut(
        measurement=MeasurementPublic.model_validate(done.measurement, from_attributes=True),
        flags_resolved=len(done.flags_resolved),
        case_closed=done.case_closed,
        remeasure_cancelled=done.remeasure_cancelled is not None,
    )


class EntriesController(Controller):
    """One measurement of a child, taken back or corrected by the account that entered it."""

    path = "/api/v1/children/{child_id:int}/measurements/{measurement_id:int}"
    tags = ["measurements"]
    opt = {"roles": ENTERING}

    @api_post("/withdraw")
    def withdraw(self, visit: NamedDependency[Visit], measurement_id: int) -> WithdrawalOut:
        """Withdraw an own entry: it stays stored and in the audit trail, and no longer counts
        for the results, the chart or the flags (its open flags are resolved; the case closes
        when none is left)."""
        db = visit.writing()
        done = pipeline.withdraw_measurement(
            db, measurement_id, by=visit.author, at=visit.at,
            child_id=int(visit.child.id),  # type: ignore[arg-type]
        )  # fmt: skip
        db.commit()
        return withdrawal_out(done)

    @api_post("/correct")
    def correct(
        self,
        visit: NamedDependency[Visit],
        measurement_id: int,
        data: JSONBody[MeasurementCreate],
        confirm: Annotated[
            bool, QueryParameter(description="Store values beyond WHO's flag limits")
        ] = False,
    ) -> CorrectionOut:
        """Correct an own entry: the old one is withdrawn and ``data`` recorded as a new entry
        (same checks, confirm step, flags and case as creating one), in one transaction."""
        db = visit.writing()
        fixed = pipeline.correct_measurement(
            db, measurement_id, data, by=visit.author, at=visit.at, confirm=confirm,
            child_id=int(visit.child.id),  # type: ignore[arg-type]
        )  # fmt: skip
        db.commit()
        return CorrectionOut(
            withdrawn=withdrawal_out(fixed.withdrawal),
            result=measurement_out(fixed.result, visit.language),
        )
