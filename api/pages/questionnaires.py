"""The milestone checklist for the child's age and the previous-day feeding recall, with their
results and advice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy import select

from api.access import ENTERING
from api.controllers.base import PageController, page_get, page_post
from api.errors import ServiceInputError
from api.pages.render import Form, error_text, render
from api.request_scope import Visit
from api.services.present import flag_texts
from health import pipeline
from health.errors import RecordError
from health.models import FeedingRecall
from screening import reference
from screening.errors import ScreeningInputError
from screening.messages import text

REFUSALS = (ServiceInputError, RecordError, ScreeningInputError)


def _tri(value: Any) -> bool | None:
    return {"yes": True, "no": False}.get(str(value or ""))


MAX_DIGITS = 20  # longer digit strings are not parsed (the recall's own bound refuses less)


def _int(form: dict[str, Any], name: str) -> int | None:
    """The whole number in the field ``name`` (decimal digits of any script, e.g. full-width
    ``３``); None when empty. Anything else (``²``, ``1.5``, ``-1``, a number of more than
    :data:`MAX_DIGITS` digits) is a :class:`ServiceInputError`; the recall checks the value."""
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdecimal():
        raise ServiceInputError("{field} is not a whole number.", field=name)
    if len(raw) > MAX_DIGITS:
        raise ServiceInputError("{field}: the number is too long.", field=name)
    return int(raw)


def feeding_answers(form: dict[str, Any]) -> dict[str, Any]:
    """The recall's answers from the form (``yes``/``no``/``unknown`` radios, counts); a count
    that is not a whole number is refused (:class:`ServiceInputError`)."""
    bank = reference.recall_bank()

    def item(prefix: str, spec: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"taken": _tri(form.get(f"{prefix}.{spec.id}"))}
        if spec.with_times and out["taken"]:
            out["times"] = _int(form, f"{prefix}.{spec.id}.times")
        if getattr(spec, "asks_sweetened", False) and out["taken"]:
            out["sweetened"] = _tri(form.get(f"{prefix}.{spec.id}.sweetened"))
        return out

    return {
        "breastfed": _tri(form.get("breastfed")),
        "bottle_with_nipple": _tri(form.get("bottle_with_nipple")),
        "liquids": {q.id: item("liquids", q) for q in bank.liquids},
        "foods": {f.id: item("foods", f) for f in bank.foods},
        "solid_feeds": _int(form, "solid_feeds"),
        "vitamin_d": _tri(form.get("vitamin_d")),
    }


def _milestones(
    request: Request, visit: Visit, recorded: Any = None, error: str = "", status_code: int = 200
) -> Template:
    inst, band = reference.instrument(pipeline.PARENT_MILESTONES), None
    try:
        form = pipeline.checklist_for(visit.child, pipeline.PARENT_MILESTONES, visit.at.today)
        inst, band = form.instrument, form.band
    except ScreeningInputError as exc:
        error = error or error_text(request, exc)
    return render(
        request,
        "milestones.html",
        status_code=status_code,
        child=visit.child,
        inst=inst,
        band=band,
        result=recorded.scoring if recorded else None,
        error=error,
        flags=flag_texts(recorded.flags, visit.language) if recorded else [],
    )


def _feeding(
    request: Request,
    visit: Visit,
    recorded: Any = None,
    error: str = "",
    status_code: int = 200,
    *,
    scoring: Any = None,
) -> Template:
    """The recall form with the scoring of ``recorded`` (or of the last stored recall)."""
    language = visit.language
    scoring = recorded.scoring if recorded is not None else scoring
    return render(
        request,
        "feeding.html",
        status_code=status_code,
        child=visit.child,
        bank=reference.recall_bank(),
        result=scoring,
        error=error,
        flags=flag_texts(scoring.flags, language) if scoring else [],
        advice=[text(m, language) for m in scoring.advice] if scoring else [],
        yesterday=visit.at.today - dt.timedelta(days=1),
    )


def _submit(
    request: Request, visit: Visit, page: Callable[..., Template], step: Any, **fields: Any
) -> Template:
    """Record through the pipeline ``step`` and show the page with its result, or the refusal
    in words on the same page (nothing is written then)."""
    try:
        recorded = visit.record(step, **fields)
    except REFUSALS as exc:
        return page(request, visit, error=error_text(request, exc), status_code=422)
    return page(request, visit, recorded)


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
        answers = {k[2:]: str(v) for k, v in data.items() if k.startswith("a:")}
        return _submit(
            request, visit, _milestones, pipeline.record_milestones,
            instrument=pipeline.PARENT_MILESTONES, administered_on=visit.at.today,
            answers=answers,
        )  # fmt: skip

    @page_get("/feeding")
    def feeding_form(self, request: Request, visit: NamedDependency[Visit]) -> Template:
        last = visit.db.execute(
            select(FeedingRecall)
            .where(FeedingRecall.child_id == visit.child.id)
            .order_by(FeedingRecall.id.desc())
        ).scalar()
        scoring = pipeline.stored_recall_scoring(last) if last is not None else None
        return _feeding(request, visit, scoring=scoring)

    @page_post("/feeding")
    def feeding_submit(
        self, request: Request, visit: NamedDependency[Visit], data: Form
    ) -> Template:
        yesterday = visit.at.today - dt.timedelta(days=1)
        try:
            answers = feeding_answers(data)
        except ServiceInputError as exc:
            return _feeding(request, visit, error=error_text(request, exc), status_code=422)
        return _submit(
            request, visit, _feeding, pipeline.record_feeding,
            recalled_on=yesterday, answers=answers,
        )  # fmt: skip
