"""The milestone checklist for the child's age and the previous-day feeding recall, with
their results and advice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import (
    CurrentUser,
    child_for,
)
from api.database import begin_write
from api.errors import ServiceInputError
from api.routes.api_children import ENTERING, SOURCE
from api.routes.common import lang, moment, today
from api.routes.pages.render import (
    Form,
    error_text,
    render,
)
from api.services.present import flag_texts
from health import pipeline
from health.errors import RecordError
from health.models import (
    Child,
    FeedingRecall,
)
from screening import reference
from screening.errors import ScreeningInputError
from screening.messages import text


@get(
    "/children/{child_id:int}/milestones",
    opt={"roles": ENTERING},
    sync_to_thread=False,
    include_in_schema=False,
)
def milestones_form(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
) -> Template:
    child = child_for(db, user, child_id)
    return _milestones(request, child)


def _milestones(
    request: Request, child: Child, result: Any = None, error: str = "", status_code: int = 200
) -> Template:
    from screening.development import age_used, choose_band

    inst = reference.instrument(pipeline.PARENT_MILESTONES)
    band = None
    try:
        band = choose_band(
            inst,
            age_used(
                inst,
                birth_date=child.birth_date,
                gestational_weeks=child.gestational_weeks,
                assessment_date=today(request),
            ),
        )
    except ScreeningInputError as exc:
        error = error or error_text(request, exc)
    return render(
        request,
        "milestones.html",
        status_code=status_code,
        child=child,
        inst=inst,
        band=band,
        result=result,
        error=error,
        flags=flag_texts(result.flags, lang(request)) if result else [],
    )


@post(
    "/children/{child_id:int}/milestones",
    opt={"roles": ENTERING},
    sync_to_thread=False,
    include_in_schema=False,
)
def milestones_submit(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
    data: Form,
) -> Template:
    begin_write(db)
    child = child_for(db, user, child_id)
    answers = {k[2:]: str(v) for k, v in data.items() if k.startswith("a:")}
    try:
        recorded = pipeline.record_milestones(
            db,
            child,
            instrument=pipeline.PARENT_MILESTONES,
            administered_on=today(request),
            answers=answers,
            source=SOURCE[user.role],
            actor_id=user.id,
            at=moment(request),
        )
    except (ServiceInputError, RecordError, ScreeningInputError) as exc:
        return _milestones(request, child, error=error_text(request, exc), status_code=422)
    db.commit()
    return _milestones(request, child, result=recorded.scoring)


def _tri(value: Any) -> bool | None:
    return {"yes": True, "no": False}.get(str(value or ""))


def _int(value: Any) -> int | None:
    raw = str(value or "").strip()
    return int(raw) if raw.isdigit() else None


def feeding_answers(form: dict[str, Any]) -> dict[str, Any]:
    """The recall's answers from the form (``yes``/``no``/``unknown`` radios, counts)."""
    bank = reference.recall_bank()

    def item(prefix: str, spec: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"taken": _tri(form.get(f"{prefix}.{spec.id}"))}
        if spec.with_times and out["taken"]:
            out["times"] = _int(form.get(f"{prefix}.{spec.id}.times"))
        if getattr(spec, "asks_sweetened", False) and out["taken"]:
            out["sweetened"] = _tri(form.get(f"{prefix}.{spec.id}.sweetened"))
        return out

    return {
        "breastfed": _tri(form.get("breastfed")),
        "bottle_with_nipple": _tri(form.get("bottle_with_nipple")),
        "liquids": {q.id: item("liquids", q) for q in bank.liquids},
        "foods": {f.id: item("foods", f) for f in bank.foods},
        "solid_feeds": _int(form.get("solid_feeds")),
        "vitamin_d": _tri(form.get("vitamin_d")),
    }


@get(
    "/children/{child_id:int}/feeding",
    opt={"roles": ENTERING},
    sync_to_thread=False,
    include_in_schema=False,
)
def feeding_form(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
) -> Template:
    child = child_for(db, user, child_id)
    last = db.execute(
        select(FeedingRecall)
        .where(FeedingRecall.child_id == child.id)
        .order_by(FeedingRecall.id.desc())
    ).scalar()
    result = pipeline.stored_recall_scoring(last) if last is not None else None
    return _feeding(request, child, result)


def _feeding(
    request: Request, child: Child, result: Any = None, error: str = "", status_code: int = 200
) -> Template:
    language = lang(request)
    return render(
        request,
        "feeding.html",
        status_code=status_code,
        child=child,
        bank=reference.recall_bank(),
        result=result,
        error=error,
        flags=flag_texts(result.flags, language) if result else [],
        advice=[text(m, language) for m in result.advice] if result else [],
        yesterday=today(request) - dt.timedelta(days=1),
    )


@post(
    "/children/{child_id:int}/feeding",
    opt={"roles": ENTERING},
    sync_to_thread=False,
    include_in_schema=False,
)
def feeding_submit(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
    data: Form,
) -> Template:
    begin_write(db)
    child = child_for(db, user, child_id)
    try:
        recorded = pipeline.record_feeding(
            db,
            child,
            recalled_on=today(request) - dt.timedelta(days=1),
            answers=feeding_answers(data),
            source=SOURCE[user.role],
            actor_id=user.id,
            at=moment(request),
        )
    except (ServiceInputError, RecordError, ScreeningInputError) as exc:
        return _feeding(request, child, error=error_text(request, exc), status_code=422)
    db.commit()
    return _feeding(request, child, recorded.scoring)
