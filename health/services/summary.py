"""What a child's one-page summary shows beside the growth results: the latest milestone
checklist as stored (the items answered "not yet" and "not sure", in the instrument's order),
the latest feeding recall read back through the pipeline's scoring, and the flags still open.
Read-only; every value is what the pipeline stored or computes from it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from health.models import FeedingRecall, FlagRecord, MilestoneAdministration, MilestoneAnswer
from health.pipeline import flag_of, stored_recall_scoring
from health.pipeline.questionnaires import IndicatorSentence, feeding_sentences
from screening import reference
from screening.errors import ScreeningInputError
from screening.flags import Flag
from screening.reference import Text


@dataclass(frozen=True)
class ChecklistItem:
    """One item of a stored checklist: its id and its words in the instrument."""

    id: str
    text: Text


@dataclass(frozen=True)
class MilestoneAnswers:
    """The latest stored checklist: the day it was answered, the instrument's name (None when
    its version is no longer known), how many milestone items were answered and how many of
    them "yes" (the warning-sign questions are not counted), and the items answered "not yet"
    and "not sure" (instrument order; items whose words are unknown are left out)."""

    on: dt.date
    instrument_name: Text | None
    answered: int
    yes: int
    not_yet: tuple[ChecklistItem, ...]
    not_sure: tuple[ChecklistItem, ...]


@dataclass(frozen=True)
class FeedingSummary:
    """The latest stored recall: the day it describes, one sentence key per indicator that
    applies at the recall's age (:func:`health.pipeline.questionnaires.feeding_sentences`) and
    the advice message ids of its scoring, most important first."""

    on: dt.date
    sentences: tuple[IndicatorSentence, ...]
    advice: tuple[str, ...]


def _items(code: str, version: str | None) -> tuple[Text | None, list[ChecklistItem]]:
    """The instrument's name and its milestone items in its order (none if it is unknown)."""
    try:
        inst = reference.instrument(code, version)
    except (LookupError, ValueError, ScreeningInputError):
        return None, []
    return inst.name, [ChecklistItem(i.id, i.text) for band in inst.bands for i in band.items]


def latest_milestones(session: Session, child_id: int) -> MilestoneAnswers | None:
    """The child's latest checklist (by day answered, then entry), or None."""
    row = session.exec(
        select(MilestoneAdministration)
        .where(MilestoneAdministration.child_id == child_id)
        .order_by(
            col(MilestoneAdministration.administered_on).desc(),
            col(MilestoneAdministration.id).desc(),
        )
    ).first()
    if row is None:
        return None
    answers = dict(
        session.exec(
            select(MilestoneAnswer.item_code, MilestoneAnswer.answer).where(
                MilestoneAnswer.administration_id == row.id
            )
        ).all()
    )
    code, _, version = row.instrument.partition("@")
    name, items = _items(code, version or None)
    given = [answers[i.id] for i in items if i.id in answers]
    return MilestoneAnswers(
        on=row.administered_on,
        instrument_name=name,
        answered=len(given),
        yes=given.count("yes"),
        not_yet=tuple(i for i in items if answers.get(i.id) == "not_yet"),
        not_sure=tuple(i for i in items if answers.get(i.id) == "not_sure"),
    )


def latest_feeding(session: Session, child_id: int) -> FeedingSummary | None:
    """The child's latest recall (by the day it describes, then entry), or None."""
    row = session.exec(
        select(FeedingRecall)
        .where(FeedingRecall.child_id == child_id)
        .order_by(col(FeedingRecall.recalled_on).desc(), col(FeedingRecall.id).desc())
    ).first()
    if row is None:
        return None
    scoring = stored_recall_scoring(row)
    return FeedingSummary(
        on=row.recalled_on,
        sentences=feeding_sentences(scoring),
        advice=tuple(scoring.advice),
    )


def open_flags(session: Session, child_id: int) -> tuple[Flag, ...]:
    """The child's flags not yet resolved, most severe first, then oldest first; a rule raised
    by several records stands once (its newest)."""
    rows = session.exec(
        select(FlagRecord)
        .where(FlagRecord.child_id == child_id, col(FlagRecord.resolved_at).is_(None))
        .order_by(col(FlagRecord.raised_at), col(FlagRecord.id))
    ).all()
    newest: dict[str, FlagRecord] = {}
    for record in rows:
        newest.pop(record.code, None)
        newest[record.code] = record
    flags = [flag_of(r) for r in newest.values()]
    return tuple(sorted(flags, key=lambda f: -f.severity.rank))
