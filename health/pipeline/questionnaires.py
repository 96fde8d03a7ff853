"""Record a milestone checklist or a previous-day feeding recall: score it once with the
screening rules, store it, raise its flags, and return the complete result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from health.clock import Moment
from health.models import Child, FeedingRecall, FlagRecord, MilestoneAdministration, MilestoneAnswer
from health.pipeline.ages import ages_on
from health.pipeline.author import Author
from health.pipeline.results import FeedingRecallResult, MilestoneResult, QuestionnaireResult
from health.services.cases import raise_flags
from screening import development, feeding, reference
from screening.feeding import single as single_recall
from screening.flags import Flag
from screening.reference import Band, Instrument, Text

PARENT_MILESTONES = "milestone-checklist"
"""The instrument parents answer (the others are for professionals)."""
MOTOR_WINDOWS = "who-motor-windows"
"""The WHO motor milestone windows (a milestone may be given with the age it was achieved)."""
ACHIEVED_SUFFIX = ".achieved_months"
"""A stored answer ``<item id>.achieved_months`` holds the age at achievement (months since
birth, as given) beside the item's own answer ``yes`` (no column of its own)."""


@dataclass(frozen=True)
class Checklist:
    """What to ask a child today: the instrument, the age band for the child's (corrected)
    age, and the answer values of the band's items and of the global questions."""

    instrument: Instrument
    band: Band
    item_answers: tuple[str, ...]
    global_answers: tuple[str, ...]
    required: tuple[str, ...] = ()
    """Item and question ids that must be answered today (WHO motor windows: only milestones
    whose window has opened)."""

    @property
    def takes_achieved_age(self) -> bool:
        """Whether a "yes" may carry the age it was achieved at (the WHO motor windows)."""
        return self.instrument.rule_kind == "p99_window"


def checklist_for(child: Child, instrument: str, on: dt.date) -> Checklist:
    """The band of ``instrument`` for ``child`` on ``on`` (``ScreeningInputError`` when the age
    is outside the instrument's bands)."""
    inst = reference.instrument(instrument)
    age = development.age_used(
        inst,
        birth_date=child.birth_date,
        gestational_weeks=child.gestational_weeks,
        assessment_date=on,
    )
    band = development.choose_band(inst, age)
    return Checklist(inst, band, tuple(inst.answer_values), development.GLOBAL_ANSWER_VALUES,
                     development.required_items(inst, band, age))  # fmt: skip


def _store(
    session: Session, child: Child, row: Any, flags: tuple[Flag, ...], kind: str, at: Moment
) -> Any:
    """Add ``row`` (its id is needed by the flags) and raise ``flags`` for it; the case."""
    session.add(row)
    session.flush()
    return raise_flags(session, child, flags, source_kind=kind, source_id=row.id, at=at,
                       actor_id=row.entered_by_id)  # fmt: skip


def record_milestones(
    session: Session,
    child: Child,
    *,
    instrument: str,
    administered_on: dt.date,
    answers: Mapping[str, str],
    by: Author,
    at: Moment,
    achieved_months: Mapping[str, object] | None = None,
) -> MilestoneResult:
    """Score ``instrument`` (an instrument code) for the child's age on ``administered_on``,
    store the answers and route warning signs / "not yet" answers to the case.
    ``achieved_months`` (WHO motor windows): item id → the age it was achieved at, months since
    birth, for items answered ``yes``; stored as ``<item id>.achieved_months`` answers. A
    milestone achieved after its P99, or not achieved by a child older than the table, refers."""
    ages = ages_on(child, administered_on, at.today, "administered_on")
    scoring = development.assess(
        instrument,
        sex=str(child.sex),
        birth_date=child.birth_date,
        gestational_weeks=child.gestational_weeks,
        assessment_date=administered_on,
        answers=answers,
        achieved_months=achieved_months,
    )
    row = MilestoneAdministration(
        instrument=f"{scoring.instrument}@{scoring.instrument_version}",
        administered_on=administered_on,
        source=by.source,
        child_id=child.id,
        entered_by_id=by.actor_id,
        age_days=ages.days,
        created_at=at.now,
    )
    flags = tuple(scoring.flags)
    session.add(row)
    session.flush()
    session.add_all(
        MilestoneAnswer(administration_id=row.id, item_code=item, answer=answer)  # type: ignore[arg-type]
        for item, answer in scoring.answers.items()
    )
    session.add_all(
        MilestoneAnswer(administration_id=row.id, item_code=f"{item}{ACHIEVED_SUFFIX}",  # type: ignore[arg-type]
                        answer=f"{months:g}")
        for item, months in scoring.achieved_months.items()
    )  # fmt: skip
    case = _store(session, child, row, flags, "milestone", at)
    return QuestionnaireResult(row, ages, scoring, flags, case)


def score_recall(answers: Mapping[str, Any], age_days: int) -> feeding.FeedingResult:
    """The IYCF scoring of one recall's answers at ``age_days`` (stored recalls are read back
    through this same function), on plain values (``screening.feeding.single``: the frame
    path's exact result without a one-row DataFrame)."""
    recall = feeding.Recall.from_mapping({**answers, "age_days": age_days})
    return single_recall.assess_one(recall)


def stored_recall_scoring(row: FeedingRecall) -> feeding.FeedingResult:
    """The scoring of a stored recall."""
    return score_recall(row.answers, row.age_days)


def _open_faltering(session: Session, child: Child) -> bool:
    found = session.exec(
        select(FlagRecord.id).where(
            FlagRecord.child_id == child.id,
            FlagRecord.code == "GROWTH_FALTERING",
            col(FlagRecord.resolved_at).is_(None),
        )
    ).first()
    return found is not None


def record_feeding(
    session: Session,
    child: Child,
    *,
    recalled_on: dt.date,
    answers: Mapping[str, Any],
    by: Author,
    at: Moment,
) -> FeedingRecallResult:
    """Assess a previous-day recall (WHO/UNICEF IYCF); its advice flags go to the family, and
    become a review flag for the doctor when they persist over two recalls or come with growth
    faltering (an open ``GROWTH_FALTERING`` flag)."""
    ages = ages_on(child, recalled_on, at.today, "recalled_on")
    kept = {k: v for k, v in answers.items() if k != "age_days"}
    scoring = score_recall(kept, ages.days)
    previous_row = session.exec(
        select(FeedingRecall)
        .where(FeedingRecall.child_id == child.id)
        .order_by(col(FeedingRecall.recalled_on).desc(), col(FeedingRecall.id).desc())
    ).first()
    previous = stored_recall_scoring(previous_row).flags if previous_row is not None else None
    escalated = feeding.escalate(
        scoring.flags, previous, growth_faltering=_open_faltering(session, child)
    )
    row = FeedingRecall(
        recalled_on=recalled_on,
        source=by.source,
        child_id=child.id,
        entered_by_id=by.actor_id,
        age_days=ages.days,
        answers=kept,
        created_at=at.now,
    )
    flags = (*scoring.flags, *escalated)
    case = _store(session, child, row, flags, "feeding", at)
    return QuestionnaireResult(row, ages, scoring, flags, case)


@dataclass(frozen=True)
class IndicatorSentence:
    """One feeding indicator of a recall for the family: its code and status and how it reads
    (``good``; ``advice`` when something should change; ``neutral``; ``unknown`` when "don't
    know" answers leave it open). The page gives each (code, status) its plain sentence."""

    code: str
    status: str
    tone: str


_BIRTH_INDICATORS = frozenset({"EvBF", "EIBF", "EBF2D"})
_NEUTRAL_WHEN_NOT_MET = frozenset({"MixMF"})  # not mixing milks is neither good nor bad news


def _tone(code: str, status: feeding.Status) -> str:
    if status is feeding.Status.UNKNOWN:
        return "unknown"
    met = status is feeding.Status.MET
    if code in feeding.UNDESIRABLE or code in _NEUTRAL_WHEN_NOT_MET:
        return "advice" if met else ("neutral" if code in _NEUTRAL_WHEN_NOT_MET else "good")
    return "good" if met else "advice"


def feeding_sentences(scoring: feeding.FeedingResult) -> tuple[IndicatorSentence, ...]:
    """The indicators that apply at the recall's age, in indicator order, each with how it
    reads for the family; the birth questions (asked once, not on the parent's form) are left
    out."""
    return tuple(
        IndicatorSentence(code, status.value, _tone(code, status))
        for code, status in scoring.indicators.items()
        if status is not feeding.Status.NOT_APPLICABLE and code not in _BIRTH_INDICATORS
    )


RECALL_TOP_FIELDS = ("breastfed", "bottle_with_nipple", "solid_feeds", "vitamin_d")
"""The recall's answers that are not a liquid or a food (named alike in the recall and its
frame)."""


def recall_form_field(name: str) -> str | None:
    """The recall answer that a refusal's ``field`` names, as ``liquids.<id>[.times|.sweetened]``,
    ``foods.<id>[.times]`` or a top-level answer (a frame column such as ``liquid_formula_times``
    or a recall path such as ``liquids.formula.times``); None for anything else."""
    if name in RECALL_TOP_FIELDS:
        return name
    bank = reference.recall_bank()
    specs = feeding.recall.item_specs(bank)
    for key, items in specs.items():
        for item_id in items:
            for attribute in ("taken", "times", "sweetened"):
                path = f"{key}.{item_id}" + ("" if attribute == "taken" else f".{attribute}")
                if name in (feeding.frame.column(key, item_id, attribute), path):
                    return path
    return None


@dataclass(frozen=True)
class MilestoneSummary:
    """What a parent's checklist result tells the family: the items answered "not yet" and
    "not sure" (in the order answered), whether a lost skill was reported (a regression
    question answered positively: a referral, the family should contact the clinic now), what
    to do and by when (``act_early``: a catalogue id chosen by the screening rule from the
    outcome, None when there is nothing to do) and 2-3 everyday activities for the age band the
    checklist was answered at (the corrected age of a baby born early, until 24 months)."""

    not_yet: tuple[str, ...]
    not_sure: tuple[str, ...]
    lost_skill: bool
    act_early: str | None = None
    activities: tuple[Text, ...] = ()


LOST_SKILL = "DEV_LOST_SKILL"


def milestone_summary(scoring: development.DevelopmentResult) -> MilestoneSummary:
    """The summary of a scored checklist (see :class:`MilestoneSummary`)."""
    answers = scoring.answers
    return MilestoneSummary(
        not_yet=tuple(item for item, answer in answers.items() if answer == "not_yet"),
        not_sure=tuple(item for item, answer in answers.items() if answer == "not_sure"),
        lost_skill=any(f.code == LOST_SKILL for f in scoring.flags),
        act_early=scoring.act_early,
        activities=development.band_activities(
            scoring.age.completed_months,
            scoring.instrument_version if scoring.instrument == PARENT_MILESTONES else None,
        ),
    )


def milestone_activities(child: Child, on: dt.date) -> tuple[Text, ...]:
    """2-3 everyday activities for ``child`` on ``on``, for the parent checklist's age band of
    the child's (corrected, for a baby born before 37 weeks until 24 months) completed months;
    () before 2 months, from 6 years, or for a date before birth. For any page (the summary,
    the milestone result) to show in the reader's language (``Text.get``)."""
    if on < child.birth_date:
        return ()
    age = checklist_age(child, PARENT_MILESTONES, on)
    return development.band_activities(age.completed_months)


def checklist_age(child: Child, instrument: str, on: dt.date) -> development.AgeUsed:
    """The age ``instrument`` is answered at for ``child`` on ``on`` (``corrected`` tells
    whether the band was chosen on the corrected age of a baby born early)."""
    return development.age_used(
        reference.instrument(instrument),
        birth_date=child.birth_date,
        gestational_weeks=child.gestational_weeks,
        assessment_date=on,
    )
