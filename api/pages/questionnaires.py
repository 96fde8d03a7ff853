"""The milestone checklist for the child's age and the previous-day feeding recall, with their
results and advice."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy import select

from api.access import ENTERING
from api.controllers.base import PageController, page_get, page_post
from api.errors import ServiceInputError
from api.i18n import gettext
from api.pages.render import Form, age_text, error_text, render
from api.request_scope import Visit
from api.services import forms
from api.services.feeding_words import feeding_sentence
from api.services.forms import FieldErrors
from api.services.present import flag_texts
from health import pipeline
from health.errors import RecordError
from health.models import FeedingRecall
from health.pipeline.questionnaires import (
    checklist_age,
    feeding_sentences,
    milestone_summary,
    recall_form_field,
)
from screening import reference
from screening.errors import ScreeningInputError
from screening.messages import band_words, text

REFUSALS = (ServiceInputError, RecordError, ScreeningInputError)


def _tri(value: Any) -> bool | None:
    """A yes/no radio: True, False, or None when "don't know" or not answered."""
    return {"yes": True, "no": False}.get(str(value or ""))


SOME = ".some"
"""The suffix of a count's checkbox "had some, not sure how many times"
(``liquids.<id>.times.some``, ``foods.<id>.times.some``, ``solid_feeds.some``): taken, number
of times not known."""
SOME_BUT_NO = "‘Had some, not sure how many times’ is ticked, but the answer is ‘no’."
SOME_AND_TIMES = (
    "A number of times is written, so please leave ‘had some, not sure how many times’ unticked."
)


def _some(
    form: dict[str, Any], name: str, count: int | None, errors: FieldErrors, language: str
) -> bool:
    """Whether the count ``name`` has "had some, not sure how many times" ticked; ticked with a
    number written too adds a sentence under the checkbox."""
    ticked = str(form.get(f"{name}{SOME}") or "") == "yes"
    if ticked and count is not None:
        errors[f"{name}{SOME}"] = gettext(language, SOME_AND_TIMES)
    return ticked


def feeding_entry(form: dict[str, Any], language: str) -> tuple[dict[str, Any], FieldErrors]:
    """The recall's answers from the form (``yes``/``no``/``unknown`` radios, counts, and the
    "had some, not sure how many times" checkbox of each count: taken, times not known) and
    every count that is not a whole number (text, ``-3``, ``1.5``) or contradicts its checkbox,
    each as a sentence under its field name. An unanswered question is "don't know" (missing),
    never "no"; a ticked checkbox answers its question "yes"."""
    bank = reference.recall_bank()
    errors: FieldErrors = {}

    def item(prefix: str, spec: Any) -> dict[str, Any]:
        name = f"{prefix}.{spec.id}"
        out: dict[str, Any] = {"taken": _tri(form.get(name))}
        if spec.with_times:
            times = forms.count(form, f"{name}.times", errors, language)
            if _some(form, f"{name}.times", times, errors, language):
                if out["taken"] is False:
                    errors[f"{name}.times{SOME}"] = gettext(language, SOME_BUT_NO)
                out["taken"] = True
            if out["taken"]:
                out["times"] = times
        if getattr(spec, "asks_sweetened", False) and out["taken"]:
            out["sweetened"] = _tri(form.get(f"{name}.sweetened"))
        return out

    answers = {
        "breastfed": _tri(form.get("breastfed")),
        "bottle_with_nipple": _tri(form.get("bottle_with_nipple")),
        "liquids": {q.id: item("liquids", q) for q in bank.liquids},
        "foods": {f.id: item("foods", f) for f in bank.foods},
        "solid_feeds": forms.count(form, "solid_feeds", errors, language),
        "vitamin_d": _tri(form.get("vitamin_d")),
    }
    if _some(form, "solid_feeds", answers["solid_feeds"], errors, language):
        answers["solid_feeds_taken"] = True
    return answers, errors


TOP_LABELS = {
    "breastfed": "Breastfed yesterday, day or night?",
    "bottle_with_nipple": "Drank anything from a bottle with a nipple?",
    "solid_feeds": "How many times did the child eat solid, semi-solid or soft food?",
    "vitamin_d": "Vitamin D drops given yesterday?",
}


def _recall_label(path: str, language: str) -> str:
    """The question a recall answer belongs to, in words."""
    if path in TOP_LABELS:
        return gettext(language, TOP_LABELS[path])
    key, item_id = path.split(".")[:2]
    bank = reference.recall_bank()
    for spec in (*bank.liquids, *bank.foods):
        if spec.id == item_id and f"{key}." in ("liquids.", "foods."):
            return str(spec.text.get(language) or spec.text.get("zh-CN"))
    return gettext(language, "This value")


def recall_refusal(exc: ScreeningInputError, language: str) -> tuple[str | None, str]:
    """(the form field a recall refusal is about, or None; its sentence with the question in
    words instead of the field's name)."""
    field = recall_form_field(str(exc.params.get("field", "")))
    if field is None:
        return None, text(exc.message_id, language, **exc.params)
    label = _recall_label(field, language)
    return field, text(exc.message_id, language, **{**exc.params, "field": label})


ANSWER_LABELS = {"yes": "Yes, can do it", "not_sure": "Not sure", "not_yet": "Not yet"}
"""A checklist answer value → its words on the page."""
OUTCOME_LABELS = {
    "refer": "Please have your child assessed soon",
    "discuss": "Worth talking over with the doctor",
    "no_concern": "No concern",
}
LOST_SKILL_LABEL = "Please contact the child-health clinic now"


def for_child(sentence: str, sex: str, language: str) -> str:
    """An item of the checklist with the pronoun of the child's sex (Chinese: 她 for a girl;
    他 for a boy; the word 其他, "other", is left as it is). English items say "them"."""
    if language != "zh-CN" or sex != "F":
        return sentence
    return re.sub(r"(?<!其)他", "她", sentence)


def _milestones(
    request: Request,
    visit: Visit,
    recorded: Any = None,
    error: str = "",
    status_code: int = 200,
    *,
    answers: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
) -> Template:
    """The checklist for the child's age, filled with ``answers`` (``errors``: item id → the
    sentence shown under it), and the result of ``recorded``: the outcome in words, what to do
    and by when (the act-early sentence the screening rule chose), the items answered "not yet"
    and "not sure", the flags' advice and 2-3 activities for the age the checklist used."""
    language, sex = visit.language, str(visit.child.sex)
    inst, band = reference.instrument(pipeline.PARENT_MILESTONES), None
    try:
        form = pipeline.checklist_for(visit.child, pipeline.PARENT_MILESTONES, visit.at.today)
        inst, band = form.instrument, form.band
    except ScreeningInputError as exc:
        error = error or error_text(request, exc)
    scoring = recorded.scoring if recorded else None
    summary = milestone_summary(scoring) if scoring else None
    items: dict[str, str] = {}
    if band is not None:
        items = {i.id: for_child(str(i.text.get(language)), sex, language) for i in band.items}
    outcome = ""
    if scoring is not None:
        lost = summary is not None and summary.lost_skill
        outcome = gettext(
            language, LOST_SKILL_LABEL if lost else OUTCOME_LABELS[scoring.outcome.value]
        )
    return render(
        request,
        "milestones.html",
        status_code=status_code,
        child=visit.child,
        inst=inst,
        band=band,
        band_age=band_words(band.nominal, language) if band is not None else "",
        items=items,
        result=scoring,
        outcome=outcome,
        act_early=text(summary.act_early, language) if summary and summary.act_early else "",
        activities=[for_child(a.get(language), sex, language) for a in summary.activities]
        if summary
        else [],
        not_yet=[items.get(i, "") for i in summary.not_yet if i in items] if summary else [],
        not_sure=[items.get(i, "") for i in summary.not_sure if i in items] if summary else [],
        answers=answers if answers is not None else (dict(scoring.answers) if scoring else {}),
        answer_labels={v: gettext(language, ANSWER_LABELS.get(v, v)) for v in inst.answer_values},
        age_note=_milestone_age_note(visit, language),
        errors=errors or {},
        error=error,
        flags=flag_texts(recorded.flags, language) if recorded else [],
    )


UNANSWERED = "Please answer this question."


def checklist_refusal(exc: ScreeningInputError, language: str) -> FieldErrors:
    """A checklist refusal as item id → sentence: every question left unanswered, or the one
    answered with a value it does not take; empty for any other refusal."""
    if exc.message_id == "error.development.missing_answers":
        items = [i.strip() for i in str(exc.params.get("items", "")).split(",") if i.strip()]
        return dict.fromkeys(items, gettext(language, UNANSWERED))
    if exc.message_id == "error.development.invalid_answer" and "item" in exc.params:
        return {str(exc.params["item"]): gettext(language, forms.CHOOSE_ONE)}
    return {}


MOTOR_AGE_FIELD = "age:{}"
"""The form field of a motor milestone's age at achievement (months since birth)."""
MOTOR_ANSWER_LABELS = {"yes": "Yes, can do it", "not_yet": "Not yet"}


def motor_entry(
    form: dict[str, Any], language: str
) -> tuple[dict[str, str], dict[str, float], FieldErrors]:
    """The WHO motor milestones' answers (``a:<item>`` radios) and ages at achievement
    (``age:<item>``, months since birth, a comma for the point is fine, empty when not given),
    with every age that is not a number as a sentence under its field."""
    errors: FieldErrors = {}
    answers = {k[2:]: str(v) for k, v in form.items() if k.startswith("a:") and str(v)}
    achieved: dict[str, float] = {}
    for key in form:
        if key.startswith("age:"):
            value = forms.number(form, key, errors, language)
            if value is not None:
                achieved[key[4:]] = value
    return answers, achieved, errors


def motor_refusal(exc: ScreeningInputError, language: str) -> FieldErrors:
    """A motor milestones refusal as form field → sentence: an age at achievement under its
    age field, an unanswered or wrongly answered milestone under its radios; empty for any
    other refusal."""
    if exc.message_id.startswith("error.development.achieved_age") and "item" in exc.params:
        sentence = text(exc.message_id, language, **exc.params)
        return {MOTOR_AGE_FIELD.format(exc.params["item"]): sentence}
    return {f"a:{k}": v for k, v in checklist_refusal(exc, language).items()}


def _motor(
    request: Request,
    visit: Visit,
    recorded: Any = None,
    error: str = "",
    status_code: int = 200,
    *,
    form: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
) -> Template:
    """The WHO motor milestones for the child's age today (each with "yes"/"not yet" and, for a
    "yes", the age it was first done), filled with ``form``; the result of ``recorded``: the
    outcome in words, what to do and by when, the milestones that caused a flag and the flags'
    advice."""
    language, sex = visit.language, str(visit.child.sex)
    inst, band, required = reference.instrument(pipeline.MOTOR_WINDOWS), None, ()
    try:
        checklist = pipeline.checklist_for(visit.child, pipeline.MOTOR_WINDOWS, visit.at.today)
        inst, band, required = checklist.instrument, checklist.band, checklist.required
    except ScreeningInputError as exc:
        error = error or error_text(request, exc)
    scoring = recorded.scoring if recorded else None
    items: dict[str, str] = {}
    if band is not None:
        items = {i.id: for_child(str(i.text.get(language)), sex, language) for i in band.items}
    labels = {v: gettext(language, MOTOR_ANSWER_LABELS.get(v, v)) for v in inst.answer_values}
    return render(
        request,
        "motor.html",
        status_code=status_code,
        child=visit.child,
        inst=inst,
        band=band,
        items=items,
        required=set(required),
        result=scoring,
        outcome=gettext(language, OUTCOME_LABELS[scoring.outcome.value]) if scoring else "",
        act_early=text(scoring.act_early, language) if scoring and scoring.act_early else "",
        causing=[items[i] for i in scoring.causing_items if i in items] if scoring else [],
        form=form or {},
        answer_labels=labels,
        age_note=_motor_age_note(visit, language),
        errors=errors or {},
        error=error,
        flags=flag_texts(recorded.flags, language) if recorded else [],
    )


def _motor_age_note(visit: Visit, language: str) -> str:
    """For a baby born early: the windows are for the corrected age (until 24 months); the age
    at achievement is still written as months since birth."""
    if visit.at.today < visit.child.birth_date:
        return ""
    age = checklist_age(visit.child, pipeline.MOTOR_WINDOWS, visit.at.today)
    if not age.corrected:
        return ""
    return gettext(
        language,
        "Your baby was born early, so these milestones are judged at the corrected age "
        "({corrected}). Write the age a skill was learned as months since birth; the service "
        "corrects it.",
        corrected=age_text(age.days, language),
    )


def _milestone_age_note(visit: Visit, language: str) -> str:
    """For a baby born early whose checklist is chosen on the corrected age: which age that is,
    beside the age since birth."""
    if visit.at.today < visit.child.birth_date:
        return ""
    age = checklist_age(visit.child, pipeline.PARENT_MILESTONES, visit.at.today)
    if not age.corrected:
        return ""
    return gettext(
        language,
        "Your baby was born early, so these questions and the result are for the corrected age "
        "({corrected}), not the age since birth ({actual}).",
        corrected=age_text(age.days, language),
        actual=age_text(age.age_days, language),
    )


def _feeding(
    request: Request,
    visit: Visit,
    recorded: Any = None,
    error: str = "",
    status_code: int = 200,
    *,
    scoring: Any = None,
    form: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
) -> Template:
    """The recall form, filled with ``form`` (what was entered), with the scoring of
    ``recorded`` (or of the last stored recall) as one plain sentence per indicator and, after
    submitting, how many questions were left unanswered."""
    language = visit.language
    scoring = recorded.scoring if recorded is not None else scoring
    yesterday = visit.at.today - dt.timedelta(days=1)
    sentences = feeding_sentences(scoring) if scoring else ()
    return render(
        request,
        "feeding.html",
        status_code=status_code,
        child=visit.child,
        bank=reference.recall_bank(),
        result=scoring,
        indicators=[
            (s.tone, words)
            for s in sentences
            if (words := feeding_sentence(s.code, s.status, language)) is not None
        ],
        error=error,
        errors=errors or {},
        form=form or {},
        flags=flag_texts(scoring.flags, language) if scoring else [],
        advice=[text(m, language) for m in scoring.advice] if scoring else [],
        age_note=_feeding_age_note(visit, yesterday, language),
        unanswered=_unanswered(form, language) if recorded is not None and form else "",
        yesterday=yesterday,
    )


def _unanswered(form: dict[str, Any], language: str) -> str:
    """How many yes/no questions of the recall were left unanswered, in words ("" for none)."""
    bank = reference.recall_bank()
    names = [*TOP_LABELS.keys() - {"solid_feeds"}]
    names += [f"liquids.{q.id}" for q in bank.liquids] + [f"foods.{f.id}" for f in bank.foods]
    n = sum(
        1
        for name in names
        if not str(form.get(name) or "") and str(form.get(f"{name}.times{SOME}") or "") != "yes"
    )
    if not n:
        return ""
    return gettext(
        language,
        "{n} questions were left unanswered. They count as ‘don't know’, so some results may "
        "stay open.",
        n=n,
    )


def _feeding_age_note(visit: Visit, on: dt.date, language: str) -> str:
    """For a baby born early: which age the feeding advice uses (the age since birth, as the
    WHO/UNICEF feeding indicators count it) and which the growth and milestone results use."""
    if on < visit.child.birth_date:
        return ""
    ages = pipeline.ages_of(visit.child, on)
    if ages.corrected_days is None:
        return ""
    return gettext(
        language,
        "Your baby was born early. This feeding advice uses the age since birth ({actual}), as "
        "the feeding guidance does; growth and milestones use the corrected age ({corrected}). "
        "Ask the clinic when a baby born early should start solid food.",
        actual=age_text(ages.days, language),
        corrected=age_text(ages.corrected_days, language),
    )


class QuestionnairePages(PageController):
    """The milestone checklist and the feeding recall of one child."""

    path = "/children/{child_id:int}"
    opt = {"roles": ENTERING}

    @page_get("/milestones")
    def milestones_form(self, request: Request, visit: NamedDependency[Visit]) -> Template:
        return _milestones(request, visit)

    @page_post("/milestones")
    def milestones_submit(
        self, request: Request, visit: NamedDependency[Visit], data: Form
    ) -> Template:
        """Score the checklist and show the result with the answers kept; a question left
        unanswered or answered with a value it does not take comes back under that question."""
        answers = {k[2:]: str(v) for k, v in data.items() if k.startswith("a:")}
        try:
            recorded = visit.record(pipeline.record_milestones,
                                    instrument=pipeline.PARENT_MILESTONES,
                                    administered_on=visit.at.today, answers=answers)  # fmt: skip
        except ScreeningInputError as exc:
            errors = checklist_refusal(exc, visit.language)
            if errors:
                return _milestones(request, visit, status_code=422, answers=answers,
                                   errors=errors)  # fmt: skip
            return _milestones(request, visit, error=error_text(request, exc), status_code=422,
                               answers=answers)  # fmt: skip
        except REFUSALS as exc:
            return _milestones(request, visit, error=error_text(request, exc), status_code=422,
                               answers=answers)  # fmt: skip
        return _milestones(request, visit, recorded, answers=answers)

    @page_get("/motor")
    def motor_form(self, request: Request, visit: NamedDependency[Visit]) -> Template:
        return _motor(request, visit)

    @page_post("/motor")
    def motor_submit(self, request: Request, visit: NamedDependency[Visit], data: Form) -> Template:
        """Score the WHO motor milestones with the ages at achievement and show the result with
        the input kept; every age that is not a number, and then the rule's refusal, comes back
        under its field in words."""
        answers, achieved, errors = motor_entry(data, visit.language)
        if errors:
            return _motor(request, visit, status_code=422, form=data, errors=errors)
        try:
            recorded = visit.record(pipeline.record_milestones,
                                    instrument=pipeline.MOTOR_WINDOWS,
                                    administered_on=visit.at.today, answers=answers,
                                    achieved_months=achieved)  # fmt: skip
        except ScreeningInputError as exc:
            errors = motor_refusal(exc, visit.language)
            if errors:
                return _motor(request, visit, status_code=422, form=data, errors=errors)
            return _motor(request, visit, error_text(request, exc), 422, form=data)
        except REFUSALS as exc:
            return _motor(request, visit, error_text(request, exc), 422, form=data)
        return _motor(request, visit, recorded, form=data)

    @page_get("/feeding")
    def feeding_form(self, request: Request, visit: NamedDependency[Visit]) -> Template:
        last = visit.db.execute(
            select(FeedingRecall)
            .where(FeedingRecall.child_id == visit.child.id)
            .order_by(FeedingRecall.id.desc())
        ).scalar()
        scoring = pipeline.stored_recall_scoring(last) if last is not None else None
        # a new recall starts unanswered: yesterday's answers are not today's
        return _feeding(request, visit, scoring=scoring)

    @page_post("/feeding")
    def feeding_submit(
        self, request: Request, visit: NamedDependency[Visit], data: Form
    ) -> Template:
        """Score the recall and show it with what was entered; every refused answer comes back
        next to its question, in words."""
        yesterday, language = visit.at.today - dt.timedelta(days=1), visit.language
        answers, errors = feeding_entry(data, language)
        if errors:
            return _feeding(request, visit, status_code=422, form=data, errors=errors)
        try:
            recorded = visit.record(pipeline.record_feeding, recalled_on=yesterday,
                                    answers=answers)  # fmt: skip
        except ScreeningInputError as exc:
            field, sentence = recall_refusal(exc, language)
            if field is None:
                return _feeding(request, visit, sentence, 422, form=data)
            return _feeding(request, visit, status_code=422, form=data, errors={field: sentence})
        except REFUSALS as exc:
            return _feeding(request, visit, error_text(request, exc), 422, form=data)
        return _feeding(request, visit, recorded, form=data)
