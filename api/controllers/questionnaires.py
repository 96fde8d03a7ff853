"""JSON API for a child's questionnaires: the milestone checklist for the child's age, its
scoring, the previous-day feeding recall, and (doctors) the notable answers of the latest ones."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from pydantic import BaseModel, Field, StringConstraints

from api.access import CLINICIANS, ENTERING
from api.controllers.base import api_get, api_post
from api.request_scope import Visit
from api.services.present import AnswerSetView, answer_set_views, flag_texts
from health import pipeline
from health.models import FeedingRecallPublic, MilestoneAdministrationPublic
from health.pipeline.questionnaires import MilestoneSummary, milestone_summary
from health.services.questionnaires import answer_sets
from screening.messages import text

Id = Annotated[str, StringConstraints(max_length=64)]
"""An instrument's or item's id."""
Instrument = Annotated[str, QueryParameter(description="Instrument code", max_length=64)]


class MilestonesIn(BaseModel):
    instrument: str = Field(default=pipeline.PARENT_MILESTONES, max_length=64)
    administered_on: dt.date
    answers: dict[Id, Annotated[str, StringConstraints(max_length=32)]] = Field(max_length=200)
    achieved_months: dict[Id, float] = Field(
        default_factory=dict,
        max_length=50,
        description="WHO motor windows: milestone id → the age it was achieved at, in months "
        "since birth (e.g. 18.5), for milestones answered yes; after the 99th-centile age it "
        "refers",
    )


class FeedingIn(BaseModel):
    recalled_on: dt.date
    answers: dict[Id, Any] = Field(max_length=32, description="The recall's fields")


class QuestionOut(BaseModel):
    id: str
    text: str
    answers: list[str]
    required: bool = Field(True, description="Must be answered today")
    takes_achieved_age: bool = Field(
        False, description="A yes may carry the age it was achieved at (achieved_months)"
    )


class MilestoneFormOut(BaseModel):
    """The checklist for the child's age today: the items to answer and their answer values."""

    instrument: str
    band: str
    questions: list[QuestionOut]


def _advice(summary: MilestoneSummary, language: str) -> dict[str, Any]:
    """The family's part of a scored checklist: the items answered "not yet" / "not sure"
    (ids), what to do and by when (words, or None) and the activities for the age (words)."""
    return {
        "not_yet": list(summary.not_yet),
        "not_sure": list(summary.not_sure),
        "act_early": text(summary.act_early, language) if summary.act_early else None,
        "activities": [a.get(language) for a in summary.activities],
    }


class QuestionnairesController(Controller):
    """A child's milestone checklists and feeding recalls."""

    path = "/api/v1/children/{child_id:int}"
    opt = {"roles": ENTERING}

    @api_post("/milestones", tags=["development"])
    def add_milestones(
        self, visit: NamedDependency[Visit], data: JSONBody[MilestonesIn]
    ) -> dict[str, Any]:
        """Score a milestone checklist (or the warning signs) for the child's age."""
        recorded = visit.record(
            pipeline.record_milestones, instrument=data.instrument,
            administered_on=data.administered_on, answers=data.answers,
            achieved_months=data.achieved_months,
        )  # fmt: skip
        scoring = recorded.scoring
        administration = MilestoneAdministrationPublic.model_validate(
            {**recorded.record.model_dump(), "answers": dict(scoring.answers)}
        )
        return {
            "administration": administration.model_dump(mode="json"),
            "outcome": str(scoring.outcome),
            "band": scoring.nominal_age,
            "achieved_months": dict(scoring.achieved_months),
            "flags": flag_texts(recorded.flags, visit.language),
            "case_opened": recorded.case is not None,
            **_advice(milestone_summary(scoring), visit.language),
        }

    @api_get("/milestones/form", tags=["development"])
    def milestone_form(
        self, visit: NamedDependency[Visit], instrument: Instrument = pipeline.PARENT_MILESTONES
    ) -> MilestoneFormOut:
        """The questions of ``instrument`` for the child's age band today (422 outside its
        ages)."""
        form = pipeline.checklist_for(visit.child, instrument, visit.at.today)
        items = [(i, form.item_answers) for i in form.band.items]
        items += [(q, form.global_answers) for q in form.instrument.global_questions]
        questions = [
            QuestionOut(
                id=q.id,
                text=q.text.get(visit.language),
                answers=list(answers),
                required=q.id in form.required,
                takes_achieved_age=form.takes_achieved_age and q in form.band.items,
            )
            for q, answers in items
        ]
        inst = form.instrument
        return MilestoneFormOut(
            instrument=f"{inst.code}@{inst.version}", band=form.band.nominal, questions=questions
        )

    @api_post("/feeding", tags=["feeding"])
    def add_feeding(
        self, visit: NamedDependency[Visit], data: JSONBody[FeedingIn]
    ) -> dict[str, Any]:
        """Score a previous-day feeding recall: indicators, food groups, flags and advice."""
        recorded = visit.record(
            pipeline.record_feeding, recalled_on=data.recalled_on, answers=data.answers
        )
        scoring = recorded.scoring
        return {
            "recall": FeedingRecallPublic.model_validate(
                recorded.record, from_attributes=True
            ).model_dump(mode="json"),
            "indicators": {k: str(v) for k, v in scoring.indicators.items()},
            "groups_count": scoring.groups_count,
            "meal_count": scoring.meal_count,
            "meal_count_at_least": scoring.meal_count_at_least,
            "meal_target": scoring.meal_target,
            "flags": flag_texts(recorded.flags, visit.language),
            "advice": [text(m, visit.language) for m in scoring.advice],
            "case_opened": recorded.case is not None,
        }

    @api_get("/questionnaires", tags=["cases"], opt={"roles": CLINICIANS})
    def get_questionnaires(self, visit: NamedDependency[Visit]) -> list[AnswerSetView]:
        """The child's latest milestone checklists and feeding recalls with the notable
        answers (doctors)."""
        sets = answer_sets(visit.db, int(visit.child.id))  # type: ignore[arg-type]
        return answer_set_views(sets, visit.language)
