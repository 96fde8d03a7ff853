"""JSON API about children and their measurements (parents, doctors, facility staff, admins;
never bureaus). Recording goes through :mod:`health.pipeline`; the answer renders its result."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from pydantic import BaseModel, Field

from api.access import CHILD_ROLES, CLINICIANS, ENTERING, PARENT
from api.controllers.base import api_get, api_post
from api.request_scope import Caller, Visit
from api.services import views
from api.services.present import IndicatorView, flag_texts, indicator_views
from health import pipeline
from health.models import (
    Child,
    ChildCreate,
    ChildPublic,
    FlagPublic,
    MeasurementCreate,
    MeasurementPublic,
    User,
)
from health.models.enums import MeasurementStatus, Sex
from health.registry import add_guardian, create_child, phone_number


class NewChild(BaseModel):
    """A child added by a parent: the area is the parent's township code."""

    sex: Sex
    birth_date: dt.date
    gestational_weeks: float | None = Field(default=None, ge=22, le=45)
    name: str | None = Field(default=None, max_length=200)
    area_code: str = Field(max_length=32)
    guardian_phone: str | None = Field(
        default=None,
        max_length=64,
        description="Guardian's phone, optional: digits (5-20), an optional leading +, spaces "
        "or hyphens; shown to the child's clinic only, never in a child's public view",
    )


class AgesOut(BaseModel):
    """Chronological age and, before 37 weeks, the corrected age the standards read (days)."""

    age_days: int
    corrected_age_days: int | None


class MeasurementOut(BaseModel):
    """A stored measurement, its ages, indicators and the texts of its flags for the family."""

    measurement: MeasurementPublic
    ages: AgesOut
    indicators: list[IndicatorView]
    flags: list[dict[str, Any]]
    case_opened: bool
    remeasure_requested: bool


class ResultsOut(BaseModel):
    """The latest accepted measurement's indicators, each with a plain-language sentence."""

    measurement: MeasurementPublic | None
    indicators: list[IndicatorView]


_PUBLIC = MeasurementPublic.__pydantic_validator__


def measurement_out(result: pipeline.MeasurementResult, language: str) -> MeasurementOut:
    """The JSON view of the pipeline's complete result (the stored row read by the public
    model's validator: the model ``MeasurementPublic.model_validate`` builds, without SQLModel's
    wrapper around it)."""
    return MeasurementOut(
        measurement=_PUBLIC.validate_python(result.measurement, from_attributes=True),
        ages=AgesOut(age_days=result.ages.days, corrected_age_days=result.ages.corrected_days),
        indicators=indicator_views(result, language),
        flags=flag_texts(result.flags, language),
        case_opened=result.case_opened,
        remeasure_requested=result.remeasure is not None,
    )


def _child_out(child: Child) -> ChildPublic:
    return ChildPublic.model_validate(child, from_attributes=True)


class ChildrenController(Controller):
    """Children in the caller's scope, their measurements, results and flags."""

    path = "/api/v1/children"
    tags = ["children"]
    opt = {"roles": CHILD_ROLES}

    @api_get("/")
    def list_children(self, request: Request, caller: NamedDependency[Caller]) -> list[ChildPublic]:
        """Children in the caller's scope (youngest first, at most 500). Audited
        (``children.list``, the number of children) unless the caller is a parent."""
        return [_child_out(c) for c in views.children_read(request, caller)]

    @api_post("/", opt={"roles": (PARENT,)})
    def add_child(self, caller: NamedDependency[Caller], data: JSONBody[NewChild]) -> ChildPublic:
        """A parent adds their child (linked to their account), registered on the local today.
        A phone number that is not one is refused (422 with the rule's words)."""
        db = caller.writing()
        entry = data.model_dump() | {"guardian_phone": phone_number(data.guardian_phone)}
        child = create_child(db, ChildCreate(**entry), today=caller.at.today)
        add_guardian(db, db.get(User, caller.user.id), child)  # type: ignore[arg-type]
        db.commit()
        return _child_out(child)

    @api_get("/{child_id:int}")
    def get_child(self, child: NamedDependency[Child]) -> ChildPublic:
        """One child in scope (404 otherwise)."""
        return _child_out(child)

    @api_get("/{child_id:int}/measurements", tags=["measurements"])
    def list_measurements(
        self,
        visit: NamedDependency[Visit],
        withdrawn: Annotated[
            bool, QueryParameter(description="Include withdrawn and corrected entries")
        ] = False,
    ) -> list[MeasurementPublic]:
        """The child's measurements that count, oldest first; with ``withdrawn`` also those
        withdrawn or corrected by their author (``withdrawn_at`` set)."""
        rows = views.measurements(visit.db, int(visit.child.id), withdrawn=withdrawn)  # type: ignore[arg-type]
        return [MeasurementPublic.model_validate(m, from_attributes=True) for m in rows]

    @api_post("/{child_id:int}/measurements", tags=["measurements"], opt={"roles": ENTERING})
    def add_measurement(
        self,
        visit: NamedDependency[Visit],
        data: JSONBody[MeasurementCreate],
        confirm: Annotated[
            bool, QueryParameter(description="Store values beyond WHO's flag limits")
        ] = False,
    ) -> MeasurementOut:
        """Record a measurement: z-scores, flags, and a case when a flag needs the doctor.
        Values beyond WHO's flag limits are refused (422 ``implausible-measurement``) unless
        ``confirm``; then they are stored for a re-measure. The source is the caller's."""
        result = visit.record(pipeline.record_measurement, data, confirm=confirm)
        return measurement_out(result, visit.language)

    @api_get("/{child_id:int}/results", tags=["measurements"])
    def get_results(self, visit: NamedDependency[Visit]) -> ResultsOut:
        """z-score, percentile and a sentence per indicator of the latest accepted
        measurement."""
        rows = views.measurements(visit.db, int(visit.child.id))  # type: ignore[arg-type]
        accepted = [m for m in rows if m.status == MeasurementStatus.accepted]
        if not accepted:
            return ResultsOut(measurement=None, indicators=[])
        result = pipeline.measurement_result(visit.db, visit.child, accepted[-1])
        out = measurement_out(result, visit.language)
        return ResultsOut(measurement=out.measurement, indicators=out.indicators)

    @api_get("/{child_id:int}/flags", tags=["cases"], opt={"roles": CLINICIANS})
    def get_flags(self, visit: NamedDependency[Visit]) -> list[FlagPublic]:
        """Every flag of the child with its evidence and rule version (doctors)."""
        rows = views.open_flags(visit.db, int(visit.child.id))  # type: ignore[arg-type]
        return [FlagPublic.model_validate(f, from_attributes=True) for f in rows]
