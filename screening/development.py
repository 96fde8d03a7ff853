"""Developmental screening: choose the age band, check the answers, score, return Flags.

Three instruments (``reference_data/instruments/``), one entry point, :func:`assess`:

- ``cn-warning-signs`` (China 2013 warning-signs table): any positive item of the child's age
  band → refer (``DEV_WARNING_SIGN``); loss of speech or social skills at any age → refer
  (``DEV_REGRESSION``). Under 3 months only the regression question is asked.
- ``milestone-checklist`` (parents, modelled on CDC/AAP 2022): any "not yet" → discuss with the
  doctor (``DEV_MILESTONE_NOT_YET``, severity review); a parent concern → discuss
  (``DEV_PARENT_CONCERN``); a lost skill → refer (``DEV_LOST_SKILL``, severity refer since
  ``ms-rule-1.1``: regression at any age is an abnormal screen, shared/domain/screening.md 1a and
  the flag table of section 3); reminders of standardised screening at 9, 18, 24 and 30 months
  and of autism screening at 18 and 24 months (advice flags). Each age band also carries 2-3
  everyday activities for the family (:func:`activities_for`).
- ``who-motor-windows`` (WHO MGRS 2006): a milestone still "not yet" when the age in months is
  beyond its 99th percentile → refer (``DEV_MOTOR_WINDOW_MISSED``); a milestone achieved at an
  age beyond its 99th percentile (the age at achievement given with a "yes", e.g. walked alone
  at 18.5 months, P99 17.6) → refer (``DEV_MOTOR_ACHIEVED_LATE``); crawling never refers. Since
  ``who-motor-rule-2006.2`` a child older than the table's last band is scored on that band
  (every window has closed: still "not yet" refers) instead of being refused as out of range;
  both rules are shared/domain/screening.md 1c ("not achieved by P99" covers a child still not
  doing it at any later age and one who achieved it late; WHO MGRS, Acta Paediatrica 2006,
  Suppl 450: 86-95, windows of achievement).

Ages (see :mod:`screening.vocabulary`): age bands are chosen on **calendar completed
months**, of the corrected age (counted from 40 weeks) when the baby was born before 37 weeks and
the corrected age is under 24 completed months, else of the chronological age. The WHO motor
windows compare fractional months (``days / 30.4375``) of the same age with P99, strictly: "not
achieved by P99" means an age above P99. A baby who has not reached 40 weeks yet is screened at
corrected age 0. An age at achievement is given in months since birth (what a family remembers,
one decimal is enough) and compared in the same way: for a baby born before 37 weeks it is first
made a corrected age (minus the weeks short of 40, in days / 30.4375) when that corrected age is
under 24 months, as the windows themselves are (:func:`achieved_age_used`).

Act early (:func:`act_early_message_id`): what the family should do, and by when, follows the
outcome of the scored result, never the answers again: refer → contact the clinic now; discuss
(a review flag) → talk to the doctor within two weeks; only "not sure" answers → watch for two
weeks and answer again; nothing → no advice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from screening import reference, vocabulary
from screening.errors import ScreeningInputError
from screening.flags import Flag, Severity, rule
from screening.reference import Band, Instrument, Text

GLOBAL_ANSWER_VALUES = ("yes", "no")
CHECKLIST = "milestone-checklist"
"""The parent milestone checklist, the instrument that carries activities for each age."""
_REMINDER_FLAGS = {
    "standardised_screening": "DEV_REMIND_STANDARDISED_SCREENING",
    "autism_screening": "DEV_REMIND_AUTISM_SCREENING",
}
_ITEM_FLAG = {
    "any_positive_refers": "DEV_WARNING_SIGN",
    "any_not_yet_discuss": "DEV_MILESTONE_NOT_YET",
    "p99_window": "DEV_MOTOR_WINDOW_MISSED",
}
LATE_FLAG = "DEV_MOTOR_ACHIEVED_LATE"
"""A motor milestone achieved, but at an age beyond its window's 99th percentile."""


# --------------------------------------------------------------------------------------------
# Errors (each with a catalogue message id and its parameters)


class InvalidChildError(ScreeningInputError, message_id="error.development.invalid_child"):
    """A child field is missing or impossible (sex, dates, gestational weeks)."""


class AgeOutOfRangeError(ScreeningInputError, message_id="error.development.age_out_of_range"):
    """The child's age is outside every age band of the instrument."""


class WrongAgeBandError(ScreeningInputError, message_id="error.development.wrong_age_band"):
    """The answers (or the band asked for) belong to another age band than the child's."""


class UnknownItemError(ScreeningInputError, message_id="error.development.unknown_item"):
    """An answer to an item id that the instrument does not have."""


class MissingAnswerError(ScreeningInputError, message_id="error.development.missing_answers"):
    """Items of the age band were not answered."""


class InvalidAnswerError(ScreeningInputError, message_id="error.development.invalid_answer"):
    """An answer value that the item does not accept."""


class AchievedAgeError(
    ScreeningInputError,
    message_id="error.development.achieved_age",
    reasons=("not_a_number", "not_asked", "not_achieved", "after_today"),
):
    """An age at achievement that cannot be used (``item`` names the milestone, ``value`` the
    age given in months): not a positive number, given to an instrument without windows, given
    for a milestone not answered "yes", or later than the child's age now (``age_months``)."""


# --------------------------------------------------------------------------------------------
# Results


class Outcome(StrEnum):
    REFER = "refer"
    DISCUSS = "discuss"
    NO_CONCERN = "no_concern"


@dataclass(frozen=True)
class AgeUsed:
    """The age an administration was scored at, chronological and corrected."""

    age_days: int  # chronological
    corrected_age_days: int | None  # None for babies born at 37 weeks or later
    corrected: bool  # True when the band was chosen on the corrected age
    days: int  # the age used, in days (corrected age before term counts as 0)
    completed_months: int  # calendar completed months of the age used

    @property
    def months(self) -> float:
        """Fractional months of the age used (``days / 30.4375``)."""
        return vocabulary.months_from_days(self.days)


@dataclass(frozen=True)
class DevelopmentResult:
    instrument: str
    instrument_version: str
    rule_version: str
    band_id: str
    nominal_age: str
    age: AgeUsed
    outcome: Outcome
    flags: tuple[Flag, ...]
    answers: Mapping[str, str] = field(hash=False)
    not_sure_items: tuple[str, ...] = ()
    achieved_months: Mapping[str, float] = field(default_factory=dict, hash=False)
    """Item id → the age at achievement given, months since birth (WHO motor windows)."""

    @property
    def act_early(self) -> str | None:
        """The catalogue id of what the family should do now (see :func:`act_early_message_id`)."""
        return act_early_message_id(self.outcome, bool(self.not_sure_items))

    @property
    def causing_items(self) -> tuple[str, ...]:
        """Every item id that raised a flag other than a reminder, in flag order."""
        out: list[str] = []
        for f in self.flags:
            if f.severity is not Severity.ADVICE:
                out.extend(i for i in f.evidence.item_ids if i not in out)
        return tuple(out)


ACT_EARLY = MappingProxyType(
    {
        Outcome.REFER: "act_early.development.refer",
        Outcome.DISCUSS: "act_early.development.discuss",
        "not_sure": "act_early.development.not_sure",
    }
)
"""Outcome (or ``"not_sure"``: no flag but some answers "not sure") → the act-early sentence."""


def act_early_message_id(outcome: Outcome, any_not_sure: bool) -> str | None:
    """What the family should do and by when, as a catalogue id, from the scored ``outcome``:
    ``refer`` (a warning sign, a lost skill, a missed motor window) → contact the clinic now;
    ``discuss`` (a review flag: a "not yet", a parent concern) → talk to the doctor within two
    weeks; ``no_concern`` with an answer "not sure" → watch for two weeks and answer again;
    ``no_concern`` otherwise → None (the outcome's own sentence says it all)."""
    if outcome is Outcome.NO_CONCERN:
        return ACT_EARLY["not_sure"] if any_not_sure else None
    return ACT_EARLY[outcome]


def band_activities(completed_months: int, version: str | None = None) -> tuple[Text, ...]:
    """The 2-3 everyday activities of the parent checklist's age band holding
    ``completed_months`` (the age the checklist uses: corrected for a baby born before 37 weeks,
    until 24 months; see :func:`age_used`), in both languages; () below the first band (under
    2 months) and beyond the last (72 months and over)."""
    inst = reference.instrument(CHECKLIST, version)
    band = next((b for b in inst.bands if b.contains(completed_months)), None)
    return band.activities if band is not None else ()


def activities_for(completed_months: int, lang: str, version: str | None = None) -> tuple[str, ...]:
    """:func:`band_activities` in ``lang`` (``"zh-CN"``; any other language reads English)."""
    return tuple(a.get(lang) for a in band_activities(completed_months, version))


# --------------------------------------------------------------------------------------------
# Age and band


def age_used(
    inst: Instrument, *, birth_date: date, gestational_weeks: float | None, assessment_date: date
) -> AgeUsed:
    """The age ``inst`` is scored at (see the module docstring). ``gestational_weeks=None`` means
    unknown and is scored as term."""
    if not isinstance(birth_date, date) or not isinstance(assessment_date, date):
        raise InvalidChildError(field="birth_date/assessment_date", value="not a date")
    chronological = vocabulary.age_days(birth_date, assessment_date)
    if chronological < 0:
        raise InvalidChildError(field="assessment_date", value=assessment_date.isoformat())
    months = vocabulary.calendar_completed_months(birth_date, assessment_date)
    if gestational_weeks is not None and not 22 <= gestational_weeks <= 45:
        raise InvalidChildError(field="gestational_weeks", value=gestational_weeks)
    if gestational_weeks is None or gestational_weeks >= inst.preterm_below_weeks:
        return AgeUsed(chronological, None, False, chronological, months)
    term = vocabulary.corrected_birth_date(birth_date, gestational_weeks)
    corrected_days = vocabulary.age_days(term, assessment_date)
    corrected_months = vocabulary.calendar_completed_months(term, assessment_date)
    if corrected_months < inst.corrected_until_months:
        return AgeUsed(
            chronological, corrected_days, True, max(corrected_days, 0), max(corrected_months, 0)
        )
    return AgeUsed(chronological, corrected_days, False, chronological, months)


def choose_band(inst: Instrument, age: AgeUsed) -> Band:
    """The band whose window holds the age's completed months; for the WHO motor windows
    (``p99_window``) a child older than the last band is scored on the last band (every window
    has closed by then: a milestone still not achieved refers, shared/domain/screening.md 1c)."""
    for band in inst.bands:
        if band.contains(age.completed_months):
            return band
    if inst.rule_kind == "p99_window" and age.completed_months > inst.bands[-1].high_months:
        return inst.bands[-1]
    raise AgeOutOfRangeError(
        instrument=inst.code,
        months=age.completed_months,
        low=inst.bands[0].low_months,
        high=inst.bands[-1].high_months,
    )


# --------------------------------------------------------------------------------------------
# Answers


def _required(inst: Instrument, band: Band, age: AgeUsed) -> list[str]:
    """Item ids that must be answered: every item of the band and every global question; for
    the WHO motor windows only milestones whose window has opened (age >= P1)."""
    items = [
        i.id
        for i in band.items
        if inst.rule_kind != "p99_window" or (i.p1_months is not None and age.months >= i.p1_months)
    ]
    return items + [q.id for q in inst.global_questions]


def required_items(inst: Instrument, band: Band, age: AgeUsed) -> tuple[str, ...]:
    """The item ids (and global questions) a form must have answered at ``age``: every item of
    the band, except, for the WHO motor windows, milestones whose window has not opened yet."""
    return tuple(_required(inst, band, age))


def check_answers(
    inst: Instrument, band: Band, answers: Mapping[str, str], age: AgeUsed
) -> dict[str, str]:
    """Reject answers from another band, unknown ids, bad values and missing required items."""
    if not isinstance(answers, Mapping):
        raise InvalidAnswerError(item="answers", value=type(answers).__name__, allowed="a mapping")
    band_items = {i.id for i in band.items}
    globals_ = {q.id for q in inst.global_questions}
    for item_id, value in answers.items():
        if item_id in band_items:
            allowed = inst.answer_values
        elif item_id in globals_:
            allowed = GLOBAL_ANSWER_VALUES
        else:
            other = inst.band_of_item(item_id)
            if other is not None:
                raise WrongAgeBandError(item=item_id, given=other.id, expected=band.id)
            raise UnknownItemError(item=item_id, instrument=inst.code)
        if value not in allowed:
            raise InvalidAnswerError(item=item_id, value=value, allowed=", ".join(allowed))
    missing = [i for i in _required(inst, band, age) if i not in answers]
    if missing:
        raise MissingAnswerError(items=", ".join(missing), band=band.id)
    return dict(answers)


def achieved_age_used(inst: Instrument, age: AgeUsed, achieved_months: float) -> float:
    """The age at achievement the windows compare with P99, in fractional months: the age
    given (months since birth) or, for a baby born before ``inst``'s preterm limit, that age
    minus the weeks short of 40 (``age_days - corrected_age_days`` days / 30.4375) when the
    result is under the instrument's corrected-age limit (24 months); never below 0."""
    if age.corrected_age_days is None:
        return achieved_months
    corrected = achieved_months - vocabulary.months_from_days(age.age_days - age.corrected_age_days)
    return max(corrected, 0.0) if corrected < inst.corrected_until_months else achieved_months


def check_achieved(
    inst: Instrument,
    band: Band,
    answers: Mapping[str, str],
    achieved: Mapping[str, object] | None,
    age: AgeUsed,
) -> dict[str, float]:
    """The ages at achievement as item id → months since birth, refused with
    :class:`AchievedAgeError` (or :class:`UnknownItemError` for an id the band lacks) when one
    cannot be used; ``None`` or an empty mapping gives ``{}``."""
    if not achieved:
        return {}
    if not isinstance(achieved, Mapping):
        raise AchievedAgeError(reason="not_a_number", item="-", value=type(achieved).__name__)
    band_items = {i.id for i in band.items}
    now = round(vocabulary.months_from_days(age.age_days), 2)
    out: dict[str, float] = {}
    for item_id, value in achieved.items():
        if item_id not in band_items:
            raise UnknownItemError(item=item_id, instrument=inst.code)
        if inst.rule_kind != "p99_window":
            raise AchievedAgeError(reason="not_asked", item=item_id, value=value)
        number = _months_number(value)
        if number is None:
            raise AchievedAgeError(reason="not_a_number", item=item_id, value=value)
        if answers.get(item_id) != "yes":
            raise AchievedAgeError(reason="not_achieved", item=item_id, value=number)
        if number > vocabulary.months_from_days(age.age_days):
            raise AchievedAgeError(reason="after_today", item=item_id, value=number, age_months=now)
        out[item_id] = number
    return out


def _months_number(value: object) -> float | None:
    """A positive finite number of months, else None (booleans and text are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if number > 0 and number == number and number != float("inf") else None


# --------------------------------------------------------------------------------------------
# Scoring


def notable_answers(
    inst: Instrument, answers: Mapping[str, str]
) -> tuple[tuple[str, Text, str], ...]:
    """The answers worth a doctor's look, as ``(id, text, answer)`` in instrument order: a
    warning sign answered "yes", a milestone not answered "yes" (not yet, not sure), a global
    question answered with its positive value (a concern, a lost skill)."""
    out = []
    for band in inst.bands:
        for item in band.items:
            answer = answers.get(item.id)
            if answer is None:
                continue
            if (answer == "yes") == (item.polarity == "warning_sign"):
                out.append((item.id, item.text, answer))
    for question in inst.global_questions:
        if answers.get(question.id) == question.positive:
            out.append((question.id, question.text, question.positive))
    return tuple(out)


def _outcome(flags: tuple[Flag, ...]) -> Outcome:
    ranks = [f.severity.rank for f in flags]
    top = max(ranks, default=0)
    if top >= Severity.REFER.rank:
        return Outcome.REFER
    if top == Severity.REVIEW.rank:
        return Outcome.DISCUSS
    return Outcome.NO_CONCERN


def _positive_items(
    inst: Instrument, band: Band, answers: Mapping[str, str], age: AgeUsed
) -> list[str]:
    if inst.rule_kind == "any_positive_refers":
        return [i.id for i in band.items if answers.get(i.id) == "yes"]
    if inst.rule_kind == "any_not_yet_discuss":
        return [i.id for i in band.items if answers.get(i.id) == "not_yet"]
    # p99_window: not yet achieved, beyond the 99th percentile, and a milestone that refers
    return [
        i.id
        for i in band.items
        if i.refers
        and answers.get(i.id) == "not_yet"
        and i.p99_months is not None
        and age.months > i.p99_months
    ]


def late_items(
    inst: Instrument, band: Band, achieved: Mapping[str, float], age: AgeUsed
) -> list[str]:
    """Milestones that refer, achieved at an age (:func:`achieved_age_used`) strictly beyond
    their P99, in band order (the same strict comparison as a "not yet": at P99 exactly is
    inside the window)."""
    return [
        i.id
        for i in band.items
        if i.refers
        and i.id in achieved
        and i.p99_months is not None
        and achieved_age_used(inst, age, achieved[i.id]) > i.p99_months
    ]


def score(
    inst: Instrument,
    band: Band,
    answers: Mapping[str, str],
    age: AgeUsed,
    achieved: Mapping[str, float] | None = None,
) -> tuple[Flag, ...]:
    """The flags of already-checked answers and ages at achievement (see :func:`assess`)."""
    common = {
        "instrument": inst.code,
        "instrument_version": inst.version,
        "rule_version": inst.rule_version,
    }
    values = {
        "band": band.nominal,
        "age_days": age.age_days,
        "corrected_age_days": age.corrected_age_days,
        "completed_months": age.completed_months,
        "age_months": round(age.months, 2),
    }
    flags: list[Flag] = []
    positive = _positive_items(inst, band, answers, age)
    if positive:
        flags.append(
            rule(_ITEM_FLAG[inst.rule_kind]).flag(item_ids=positive, values=values, **common)
        )
    late = late_items(inst, band, achieved or {}, age) if inst.rule_kind == "p99_window" else []
    if late:
        shown = ", ".join(f"{achieved[i]:g}" for i in late)  # type: ignore[index]
        flags.append(
            rule(LATE_FLAG).flag(
                item_ids=late, values={**values, "achieved_months": shown}, **common
            )
        )
    for question in inst.global_questions:
        if answers.get(question.id) == question.positive:
            flags.append(rule(question.flag).flag(item_ids=(question.id,), values=values, **common))
    for reminder in band.reminders:
        flags.append(rule(_REMINDER_FLAGS[reminder]).flag(values=values, **common))
    return tuple(flags)


def assess(
    instrument_code: str,
    *,
    sex: str,
    birth_date: date,
    gestational_weeks: float | None,
    assessment_date: date,
    answers: Mapping[str, str],
    band_id: str | None = None,
    version: str | None = None,
    achieved_months: Mapping[str, object] | None = None,
) -> DevelopmentResult:
    """Score one administration of ``instrument_code`` (its default version unless ``version``).

    ``answers`` maps item ids (FHIR ``linkId``) to answer values of the instrument (``yes``/``no``
    for warning signs and global questions, ``yes``/``not_sure``/``not_yet`` for the checklist,
    ``yes``/``not_yet`` for motor milestones). ``band_id``, when given, is the band the form was
    built for; it must be the child's band on ``assessment_date``. ``achieved_months`` (WHO
    motor windows only) maps a milestone answered ``yes`` to the age it was achieved at, in
    months since birth (:func:`check_achieved`); beyond its P99 it refers.
    """
    inst = reference.instrument(instrument_code, version)
    if sex not in ("M", "F"):
        raise InvalidChildError(field="sex", value=sex)
    age = age_used(
        inst,
        birth_date=birth_date,
        gestational_weeks=gestational_weeks,
        assessment_date=assessment_date,
    )
    band = choose_band(inst, age)
    if band_id is not None and band_id != band.id:
        raise WrongAgeBandError(item="-", given=band_id, expected=band.id)
    checked = check_answers(inst, band, answers, age)
    achieved = check_achieved(inst, band, checked, achieved_months, age)
    flags = score(inst, band, checked, age, achieved)
    return DevelopmentResult(
        instrument=inst.code,
        instrument_version=inst.version,
        rule_version=inst.rule_version,
        band_id=band.id,
        nominal_age=band.nominal,
        age=age,
        outcome=_outcome(flags),
        flags=flags,
        answers=MappingProxyType(checked),
        not_sure_items=tuple(i.id for i in band.items if checked.get(i.id) == "not_sure"),
        achieved_months=MappingProxyType(achieved),
    )
