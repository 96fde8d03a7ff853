"""JSON API about children and their measurements (parents, doctors, facility staff, admins;
never bureaus). Recording goes through :mod:`health.pipeline`; the answer renders its result."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.access import CHILD_ROLES, CLINICIANS, ENTERING, PARENT, SOURCE, CurrentUser
from api.context import lang, moment, today
from api.controllers.base import api_get, api_post
from api.database import begin_write
from api.services import views
from api.services.present import flag_texts, indicator_views
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
from health.registry import add_guardian, create_child


class NewChild(BaseModel):
    """A child added by a parent: the area is the parent's township code."""

    sex: Sex
    birth_date: dt.date
    gestational_weeks: float | None = Field(default=None, ge=22, le=45)
    name: str | None = Field(default=None, max_length=200)
    area_code: str = Field(max_length=32)


class IndicatorOut(BaseModel):
    """One indicator: WHO-rounded ``z`` (and unrounded), percentile 0-100, the WHO class, the
    reference (``who2006``/``who2007``) and the plain-language sentence (with its id)."""

    code: str
    name: str
    reference: str
    z: float
    z_unrounded: float
    percentile: float
    classification: str
    sentence_id: str
    sentence: str


class AgesOut(BaseModel):
    """Chronological age and, before 37 weeks, the corrected age the standards read (days)."""

    age_days: int
    corrected_age_days: int | None


class MeasurementOut(BaseModel):
    """A stored measurement, its ages, indicators and the texts of its flags for the family."""

    measurement: MeasurementPublic
    ages: AgesOut
    indicators: list[IndicatorOut]
    flags: list[dict[str, Any]]
    case_opened: bool
    remeasure_requested: bool


class ResultsOut(BaseModel):
    """The latest accepted measurement's indicators, each with a plain-language sentence."""

    measurement: MeasurementPublic | None
    indicators: list[IndicatorOut]


def measurement_out(result: pipeline.MeasurementResult, language: str) -> MeasurementOut:
    """The JSON view of the pipeline's complete result."""
    return MeasurementOut(
        measurement=MeasurementPublic.model_validate(result.measurement, from_attributes=True),
        ages=AgesOut(age_days=result.ages.days, corrected_age_days=result.ages.corrected_days),
        indicators=[
            IndicatorOut(**{k: getattr(v, k) for k in IndicatorOut.model_fields})
            for v in indicator_views(result, language)
        ],
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
    def list_children(
        self, db: NamedDependency[Session], user: NamedDependency[CurrentUser]
    ) -> list[ChildPublic]:
        """Children in the caller's scope (youngest first, at most 500)."""
        return [_child_out(c) for c in views.scope_children(db, user)]

    @api_post("/", opt={"roles": (PARENT,)})
    def add_child(
        self,
        request: Request,
        db: NamedDependency[Session],
        user: NamedDependency[CurrentUser],
        data: JSONBody[NewChild],
    ) -> ChildPublic:
        """A parent adds their child (linked to their account)."""
        begin_write(db)
        child = create_child(db, ChildCreate(**data.model_dump()), today=today(request))
        add_guardian(db, db.get(User, user.id), child)  # type: ignore[arg-type]
        db.commit()
        return _child_out(child)

    @api_get("/{child_id:int}")
    def get_child(self, child: NamedDependency[Child]) -> ChildPublic:
        """One child in scope (404 otherwise)."""
        return _child_out(child)

    @api_get("/{child_id:int}/measurements", tags=["measurements"])
    def list_measurements(
        self, db: NamedDependency[Session], child: NamedDependency[Child]
    ) -> list[MeasurementPublic]:
        """Every measurement of the child, oldest first."""
        return [
            MeasurementPublic.model_validate(m, from_attributes=True)
            for m in views.measurements(db, int(child.id))  # type: ignore[arg-type]
        ]

    @api_post("/{child_id:int}/measurements", tags=["measurements"], opt={"roles": ENTERING})
    def add_measurement(
        self,
        request: Request,
        db: NamedDependency[Session],
        user: NamedDependency[CurrentUser],
        child: NamedDependency[Child],
        data: JSONBody[MeasurementCreate],
        confirm: Annotated[
            bool, QueryParameter(description="Store values beyond WHO's flag limits")
        ] = False,
    ) -> MeasurementOut:
        """Record a measurement: z-scores, flags, and a case when a flag needs the doctor.
        Values beyond WHO's flag limits are refused (422 ``implausible-measurement``) unless
        ``confirm``; then they are stored for a re-measure."""
        begin_write(db)
        result = pipeline.record_measurement(
            db,
            child,
            data.model_copy(update={"source": SOURCE[user.role]}),
            at=moment(request),
            actor_id=user.id,
            confirm=confirm,
            clinic_id=user.clinic_id,
            facility_id=user.facility_id,
        )
        db.commit()  # inside the handler: no other request's write interleaves before it
        return measurement_out(result, lang(request))

    @api_get("/{child_id:int}/results", tags=["measurements"])
    def get_results(
        self, request: Request, db: NamedDependency[Session], child: NamedDependency[Child]
    ) -> ResultsOut:
        """z-score, percentile and a sentence per indicator of the latest accepted
        measurement."""
        rows = views.measurements(db, int(child.id))  # type: ignore[arg-type]
        accepted = [m for m in rows if m.status == MeasurementStatus.accepted]
        if not accepted:
            return ResultsOut(measurement=None, indicators=[])
        out = measurement_out(pipeline.measurement_result(db, child, accepted[-1]), lang(request))
        return ResultsOut(measurement=out.measurement, indicators=out.indicators)

    @api_get("/{child_id:int}/flags", tags=["cases"], opt={"roles": CLINICIANS})
    def get_flags(
        self, db: NamedDependency[Session], child: NamedDependency[Child]
    ) -> list[FlagPublic]:
        """Every flag of the child with its evidence and rule version (doctors)."""
        return [
            FlagPublic.model_validate(f, from_attributes=True)
            for f in views.open_flags(db, int(child.id))  # type: ignore[arg-type]
        ]
