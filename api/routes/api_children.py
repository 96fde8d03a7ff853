"""JSON API about children (parents, doctors, facility staff, admins; never bureaus)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.access import CHILD_ROLES, PARENT, CurrentUser, child_for
from api.database import begin_write
from api.errors import PROBLEM_RESPONSES
from api.routes.common import lang, moment, today
from api.services import views
from api.services.present import flag_texts, indicator_views
from health import pipeline
from health.models import (
    Child,
    ChildCreate,
    ChildPublic,
    FeedingRecallPublic,
    FlagPublic,
    MeasurementCreate,
    MeasurementPublic,
    MilestoneAdministrationPublic,
    User,
)
from health.models.enums import MeasurementStatus, Sex, Source
from health.registry import add_guardian, create_child

ENTERING = ("parent", "doctor", "facility", "admin")
SOURCE = {"parent": "home", "doctor": "clinic", "facility": "facility", "admin": "clinic"}


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
    """A stored measurement, its indicators and the texts of its flags for the family."""

    measurement: MeasurementPublic
    ages: AgesOut
    indicators: list[IndicatorOut]
    flags: list[dict[str, Any]]
    case_opened: bool
    remeasure_requested: bool


def measurement_out(result: pipeline.MeasurementResult, language: str) -> MeasurementOut:
    """The JSON view of the pipeline's complete result."""
    return MeasurementOut(
        measurement=MeasurementPublic.model_validate(result.measurement, from_attributes=True),
        ages=AgesOut(
            age_days=result.ages.days, corrected_age_days=result.ages.corrected_days
        ),
        indicators=[
            IndicatorOut(**{k: getattr(v, k) for k in IndicatorOut.model_fields})
            for v in indicator_views(result, language)
        ],
        flags=flag_texts(result.flags, language),
        case_opened=result.case_opened,
        remeasure_requested=result.remeasure is not None,
    )


class MilestonesIn(BaseModel):
    instrument: str = Field(default=pipeline.PARENT_MILESTONES, max_length=64)
    administered_on: dt.date
    answers: dict[str, str]


class FeedingIn(BaseModel):
    recalled_on: dt.date
    answers: dict[str, Any]


class ScheduleOut(BaseModel):
    code: str
    kind: str
    target: dt.date
    opens: dt.date
    closes: dt.date
    status: str
    done_on: dt.date | None


def _child_out(child: Child) -> ChildPublic:
    return ChildPublic.model_validate(child, from_attributes=True)


@get(
    "/api/v1/children",
    responses=PROBLEM_RESPONSES,
    opt={"roles": CHILD_ROLES},
    sync_to_thread=False,
    tags=["children"],
)
def list_children(
    db: NamedDependency[Session], user: NamedDependency[CurrentUser]
) -> list[ChildPublic]:
    """Children in the caller's scope (youngest first, at most 500)."""
    return [_child_out(c) for c in views.scope_children(db, user)]


@post(
    "/api/v1/children",
    responses=PROBLEM_RESPONSES,
    opt={"roles": (PARENT,)},
    sync_to_thread=False,
    tags=["children"],
)
def add_child(
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    data: JSONBody[NewChild],
    request: Request,
) -> ChildPublic:
    """A parent adds their child (linked to their account)."""
    begin_write(db)
    child = create_child(db, ChildCreate(**data.model_dump()), today=today(request))
    add_guardian(db, db.get(User, user.id), child)  # type: ignore[arg-type]
    db.commit()
    return _child_out(child)


@get(
    "/api/v1/children/{child_id:int}",
    responses=PROBLEM_RESPONSES,
    opt={"roles": CHILD_ROLES},
    sync_to_thread=False,
    tags=["children"],
)
def get_child(
    db: NamedDependency[Session], user: NamedDependency[CurrentUser], child_id: FromPath[int]
) -> ChildPublic:
    """One child in scope (404 otherwise)."""
    return _child_out(child_for(db, user, child_id))


@get(
    "/api/v1/children/{child_id:int}/measurements",
    responses=PROBLEM_RESPONSES,
    opt={"roles": CHILD_ROLES},
    sync_to_thread=False,
    tags=["measurements"],
)
def list_measurements(
    db: NamedDependency[Session], child_id: FromPath[int]
) -> list[MeasurementPublic]:
    """Every measurement of the child, oldest first."""
    return [
        MeasurementPublic.model_validate(m, from_attributes=True)
        for m in views.measurements(db, child_id)
    ]


@post(
    "/api/v1/children/{child_id:int}/measurements",
    responses=PROBLEM_RESPONSES,
    opt={"roles": ENTERING},
    sync_to_thread=False,
    tags=["measurements"],
)
def add_measurement(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
    data: JSONBody[MeasurementCreate],
    confirm: Annotated[
        bool, QueryParameter(description="Store values beyond WHO's flag limits")
    ] = False,
) -> MeasurementOut:
    """Record a measurement: z-scores, flags, and a case when a flag needs the doctor. Values
    beyond WHO's flag limits are refused (422 ``implausible-measurement``) unless ``confirm``."""
    begin_write(db)
    child = child_for(db, user, child_id)
    result = pipeline.record_measurement(
        db,
        child,
        data.model_copy(update={"source": Source(SOURCE[user.role])}),
        at=moment(request),
        actor_id=user.id,
        confirm=confirm,
        clinic_id=user.clinic_id,
        facility_id=user.facility_id,
    )
    db.commit()  # inside the handler: no other request's write interleaves before the commit
    return measurement_out(result, lang(request))


@post(
    "/api/v1/children/{child_id:int}/milestones",
    responses=PROBLEM_RESPONSES,
    opt={"roles": ENTERING},
    sync_to_thread=False,
    tags=["development"],
)
def add_milestones(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
    data: JSONBody[MilestonesIn],
) -> dict[str, Any]:
    """Score a milestone checklist (or the warning signs) for the child's age."""
    begin_write(db)
    child = child_for(db, user, child_id)
    recorded = pipeline.record_milestones(
        db,
        child,
        instrument=data.instrument,
        administered_on=data.administered_on,
        answers=data.answers,
        source=SOURCE[user.role],
        actor_id=user.id,
        at=moment(request),
    )
    db.commit()
    row, result, case = recorded.administration, recorded.scoring, recorded.case
    return {
        "administration": MilestoneAdministrationPublic(
            id=row.id,
            child_id=row.child_id,
            age_days=row.age_days,
            instrument=row.instrument,
            administered_on=row.administered_on,
            source=row.source,
            answers=dict(result.answers),
        ).model_dump(mode="json"),
        "outcome": str(result.outcome),
        "band": result.nominal_age,
        "flags": flag_texts(recorded.flags, lang(request)),
        "case_opened": case is not None,
    }


@post(
    "/api/v1/children/{child_id:int}/feeding",
    responses=PROBLEM_RESPONSES,
    opt={"roles": ENTERING},
    sync_to_thread=False,
    tags=["feeding"],
)
def add_feeding(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
    data: JSONBody[FeedingIn],
) -> dict[str, Any]:
    """Score a previous-day feeding recall: indicators, food groups, flags and advice."""
    begin_write(db)
    from screening.messages import text

    child = child_for(db, user, child_id)
    recorded = pipeline.record_feeding(
        db,
        child,
        recalled_on=data.recalled_on,
        answers=data.answers,
        source=SOURCE[user.role],
        actor_id=user.id,
        at=moment(request),
    )
    db.commit()
    row, result, case = recorded.recall, recorded.scoring, recorded.case
    language = lang(request)
    return {
        "recall": FeedingRecallPublic.model_validate(row, from_attributes=True).model_dump(
            mode="json"
        ),
        "indicators": {k: str(v) for k, v in result.indicators.items()},
        "groups_count": result.groups_count,
        "meal_count": result.meal_count,
        "meal_target": result.meal_target,
        "flags": flag_texts(recorded.flags, language),
        "advice": [text(m, language) for m in result.advice],
        "case_opened": case is not None,
    }


@get(
    "/api/v1/children/{child_id:int}/schedule",
    responses=PROBLEM_RESPONSES,
    opt={"roles": CHILD_ROLES},
    sync_to_thread=False,
    tags=["children"],
)
def get_schedule(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
) -> list[ScheduleOut]:
    """The child's check schedule: done, missed, due or upcoming, with dates."""
    child = child_for(db, user, child_id)
    statuses, _ = views.schedule(db, child, today(request))
    return [ScheduleOut(**vars(s)) for s in statuses]


@get(
    "/api/v1/children/{child_id:int}/flags",
    responses=PROBLEM_RESPONSES,
    opt={"roles": ("doctor", "admin")},
    sync_to_thread=False,
    tags=["cases"],
)
def get_flags(db: NamedDependency[Session], child_id: FromPath[int]) -> list[FlagPublic]:
    """Every flag of the child with its evidence and rule version (doctors)."""
    return [
        FlagPublic.model_validate(f, from_attributes=True) for f in views.open_flags(db, child_id)
    ]


class ResultsOut(BaseModel):
    """The latest accepted measurement's indicators, each with a plain-language sentence."""

    measurement: MeasurementPublic | None
    indicators: list[IndicatorOut]


class QuestionOut(BaseModel):
    id: str
    text: str
    answers: list[str]


class MilestoneFormOut(BaseModel):
    """The checklist for the child's age today: the items to answer and their answer values."""

    instrument: str
    band: str
    questions: list[QuestionOut]


@get(
    "/api/v1/children/{child_id:int}/results",
    responses=PROBLEM_RESPONSES,
    opt={"roles": CHILD_ROLES},
    sync_to_thread=False,
    tags=["measurements"],
)
def get_results(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
) -> ResultsOut:
    """z-score, percentile and a sentence per indicator of the latest accepted measurement."""
    rows = [m for m in views.measurements(db, child_id) if m.status == MeasurementStatus.accepted]
    if not rows:
        return ResultsOut(measurement=None, indicators=[])
    result = pipeline.measurement_result(db, child_for(db, user, child_id), rows[-1])
    return ResultsOut(
        measurement=MeasurementPublic.model_validate(result.measurement, from_attributes=True),
        indicators=measurement_out(result, lang(request)).indicators,
    )


@get(
    "/api/v1/children/{child_id:int}/milestones/form",
    responses=PROBLEM_RESPONSES,
    opt={"roles": ENTERING},
    sync_to_thread=False,
    tags=["development"],
)
def milestone_form(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
    instrument: FromQuery[str] = pipeline.PARENT_MILESTONES,
) -> MilestoneFormOut:
    """The questions of ``instrument`` for the child's age band today (422 outside its ages)."""
    from screening import reference
    from screening.development import GLOBAL_ANSWER_VALUES, age_used, choose_band

    child = child_for(db, user, child_id)
    inst = reference.instrument(instrument)
    band = choose_band(
        inst,
        age_used(inst, birth_date=child.birth_date, gestational_weeks=child.gestational_weeks,
                 assessment_date=today(request)),
    )  # fmt: skip
    language = lang(request)
    questions = [QuestionOut(id=i.id, text=i.text.get(language), answers=list(inst.answer_values))
                 for i in band.items]  # fmt: skip
    questions += [
        QuestionOut(id=q.id, text=q.text.get(language), answers=list(GLOBAL_ANSWER_VALUES))
        for q in inst.global_questions
    ]
    return MilestoneFormOut(instrument=f"{inst.code}@{inst.version}", band=band.nominal,
                            questions=questions)  # fmt: skip


class AnswerSetOut(BaseModel):
    """One questionnaire: what, when, and the answers worth a look (text, answer)."""

    kind: str
    on: dt.date
    instrument: str
    notable: list[tuple[str, str]]
    total: int


@get(
    "/api/v1/children/{child_id:int}/questionnaires",
    responses=PROBLEM_RESPONSES,
    opt={"roles": ("doctor", "admin")},
    sync_to_thread=False,
    tags=["cases"],
)
def get_questionnaires(
    request: Request, db: NamedDependency[Session], child_id: FromPath[int]
) -> list[AnswerSetOut]:
    """The child's latest milestone checklists and feeding recalls with the notable answers
    (doctors)."""
    return [AnswerSetOut(**vars(a)) for a in views.answer_sets(db, child_id, lang(request))]
