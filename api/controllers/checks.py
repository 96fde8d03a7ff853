"""JSON API of a child's health checks (doctors and admins): record a check with its
measurements, haemoglobin and screening results through :func:`health.pipeline.record_check`,
and list the stored checks. A result that is not allowed is a 422 problem in words."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from pydantic import BaseModel
from sqlmodel import select

from api.access import CLINICIANS
from api.controllers.base import api_get, api_post
from api.controllers.children import AgesOut
from api.request_scope import Visit
from api.services.present import flag_texts
from health import pipeline
from health.models import Check, CheckCreate, CheckPublic


class CheckOut(BaseModel):
    """A stored check, the child's ages on its date, the texts of every flag it raised
    (measurement, haemoglobin and screening results) and whether a case is open for them."""

    check: CheckPublic
    ages: AgesOut
    flags: list[dict[str, Any]]
    case_opened: bool


def check_out(result: pipeline.CheckResult, language: str) -> CheckOut:
    """The JSON view of the pipeline's check result."""
    return CheckOut(
        check=CheckPublic.model_validate(result.check, from_attributes=True),
        ages=AgesOut(age_days=result.ages.days, corrected_age_days=result.ages.corrected_days),
        flags=flag_texts(result.flags, language),
        case_opened=result.case is not None,
    )


class ChecksController(Controller):
    """A child's health checks."""

    path = "/api/v1/children"
    tags = ["checks"]
    opt = {"roles": CLINICIANS}

    @api_post("/{child_id:int}/checks")
    def add_check(
        self,
        visit: NamedDependency[Visit],
        data: JSONBody[CheckCreate],
        confirm: Annotated[
            bool, QueryParameter(description="Store measurements beyond WHO's flag limits")
        ] = True,
    ) -> CheckOut:
        """Record a check (the caller's clinic unless ``clinic_code`` names one). Results:
        ``hearing_left``/``hearing_right`` pass or refer; ``red_reflex``, ``eye_position``,
        ``visual_behaviour`` normal or abnormal; ``acuity_left``/``acuity_right`` a 5-point
        record with one decimal (3.0-5.3) from 36 months; ``caries_teeth`` 0-20;
        ``vitamin_d_given`` true/false. Each becomes flags by the rules of
        ``screening.checks``; anything refused is 422 with the rule's words and its field."""
        result = visit.record(pipeline.record_check, data, confirm=confirm)
        return check_out(result, visit.language)

    @api_get("/{child_id:int}/checks")
    def list_checks(self, visit: NamedDependency[Visit]) -> list[CheckPublic]:
        """The child's checks, oldest first, with their results."""
        rows = visit.db.exec(
            select(Check).where(Check.child_id == visit.child.id).order_by(Check.check_date)
        ).all()
        return [CheckPublic.model_validate(c, from_attributes=True) for c in rows]
