"""JSON API for a child's questionnaires: the milestone checklist for the child's age, its
scoring, the previous-day feeding recall, and (doctors) the notable answers of the latest ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.access import CLINICIANS, ENTERING, SOURCE, CurrentUser
from api.context import lang, moment, today
from api.controllers.base import api_get, api_post
from api.database import begin_write
from api.services import views
from api.services.present import flag_texts
from health import pipeline
from health.models import Child, FeedingRecallPublic, MilestoneAdministrationPublic
from screening.messages import text


class MilestonesIn(BaseModel):
    instrument: str = Field(default=pipeline.PARENT_MILESTONES, max_length=64)
    administered_on: dt.date
    answers: dict[str, str]


class FeedingIn(BaseModel):
    recalled_on: dt.date
    answers: dict[str, Any]


class QuestionOut(BaseModel):
    id: str
    text: str
    answers: list[str]


class MilestoneFormOut(BaseModel):
    """The checklist for the child's age today: the items to answer and their answer values."""

    instrument: str
    band: str
    questions: list[QuestionOut]


class AnswerSetOut(BaseModel):
    """One questionnaire: what, when, and the answers worth a look (text, answer)."""

    kind: str
    on: dt.date
    instrument: str
    notable: list[tuple[str, str]]
    total: int


class QuestionnairesController(Controller):
    """A child's milestone checklists and feeding recalls."""

    path = "/api/v1/children/{child_id:int}"
    opt = {"roles": ENTERING}

    @api_post("/milestones", tags=["development"])
    def add_milestones(
        self,
        request: Request,
        db: NamedDependency[Session],
        user: NamedDependency[CurrentUser],
        child: NamedDependency[Child],
        data: JSONBody[MilestonesIn],
    ) -> dict[str, Any]:
        """Score a milestone checklist (or the warning signs) for the child's age."""
        begin_write(db)
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
        row, scoring = recorded.administration, recorded.scoring
        return {
            "administration": MilestoneAdministrationPublic(
                id=row.id,
                child_id=row.child_id,
                age_days=row.age_days,
                instrument=row.instrument,
                administered_on=row.administered_on,
                source=row.source,
                answers=dict(scoring.answers),
            ).model_dump(mode="json"),
            "outcome": str(scoring.outcome),
            "band": scoring.nominal_age,
            "flags": flag_texts(recorded.flags, lang(request)),
            "case_opened": recorded.case is not None,
        }

    @api_get("/milestones/form", tags=["development"])
    def milestone_form(
        self,
        request: Request,
        child: NamedDependency[Child],
        instrument: FromQuery[str] = pipeline.PARENT_MILESTONES,
    ) -> MilestoneFormOut:
        """The questions of ``instrument`` for the child's age band today (422 outside its
        ages)."""
        form = pipeline.checklist_for(child, instrument, today(request))
        language = lang(request)
        questions = [
            QuestionOut(id=i.id, text=i.text.get(language), answers=list(form.item_answers))
            for i in form.band.items
        ]
        questions += [
            QuestionOut(id=q.id, text=q.text.get(language), answers=list(form.global_answers))
            for q in form.instrument.global_questions
        ]
        inst = form.instrument
        return MilestoneFormOut(
            instrument=f"{inst.code}@{inst.version}", band=form.band.nominal, questions=questions
        )

    @api_post("/feeding", tags=["feeding"])
    def add_feeding(
        self,
        request: Request,
        db: NamedDependency[Session],
        user: NamedDependency[CurrentUser],
        child: NamedDependency[Child],
        data: JSONBody[FeedingIn],
    ) -> dict[str, Any]:
        """Score a previous-day feeding recall: indicators, food groups, flags and advice."""
        begin_write(db)
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
        language, scoring = lang(request), recorded.scoring
        return {
            "recall": FeedingRecallPublic.model_validate(
                recorded.recall, from_attributes=True
            ).model_dump(mode="json"),
            "indicators": {k: str(v) for k, v in scoring.indicators.items()},
            "groups_count": scoring.groups_count,
            "meal_count": scoring.meal_count,
            "meal_target": scoring.meal_target,
            "flags": flag_texts(recorded.flags, language),
            "advice": [text(m, language) for m in scoring.advice],
            "case_opened": recorded.case is not None,
        }

    @api_get("/questionnaires", tags=["cases"], opt={"roles": CLINICIANS})
    def get_questionnaires(
        self, request: Request, db: NamedDependency[Session], child: NamedDependency[Child]
    ) -> list[AnswerSetOut]:
        """The child's latest milestone checklists and feeding recalls with the notable
        answers (doctors)."""
        return [
            AnswerSetOut(**vars(a))
            for a in views.answer_sets(db, int(child.id), lang(request))  # type: ignore[arg-type]
        ]
