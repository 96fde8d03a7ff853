"""Server-rendered pages (Jinja, phone-sized, work without JavaScript; Plotly charts enhance).

Every page declares its roles like the API; the same guard applies (401 becomes a redirect to
the sign-in page). Forms post url-encoded data with the CSRF token.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import (
    ADMIN,
    ALL_ROLES,
    BUREAU,
    CHILD_ROLES,
    DOCTOR,
    FACILITY,
    PARENT,
    PUBLIC,
    CurrentUser,
    case_for,
    child_for,
    current_user,
)
from api.database import begin_write
from api.errors import ImplausibleMeasurementError, ServiceInputError
from api.i18n import LOCALES, gettext, normalise
from api.routes.api_auth import authenticate, sign_in
from api.routes.api_children import ENTERING, SOURCE, flag_texts
from api.routes.common import lang, now, today
from api.services import dashboard as dash
from api.services import records, views
from health.coverage import INDICATORS
from health.models import (
    Area,
    Case,
    CaseClose,
    CaseEvent,
    Child,
    ChildCreate,
    Facility,
    FeedingRecall,
    MeasurementCreate,
    User,
)
from health.models.enums import Source
from health.periods import Period
from health.registry import add_guardian, create_child
from screening import reference
from screening.errors import ScreeningInputError
from screening.messages import text

Form = URLEncodedBody[dict[str, Any]]
HOME = {
    PARENT: "/parent",
    DOCTOR: "/doctor",
    FACILITY: "/facility",
    BUREAU: "/bureau",
    ADMIN: "/doctor",
}
INDICATOR_LABELS = {
    "infant_health_management": "Infant and toddler health-management rate",
    "child_health_management_0_6": "0-6 y child health-management rate",
    "newborn_visit": "Newborn visit rate",
}


def check_name(code: str, language: str) -> str:
    """A scheduled check's name (``newborn_visit``, ``full_month``, ``m6`` → 6 months, ``y4``)."""
    if code == "newborn_visit":
        return gettext(language, "Newborn home visit")
    if code == "full_month":
        return gettext(language, "Full-month check")
    if code[:1] in ("m", "y") and code[1:].isdigit():
        message = "{n}-month check" if code[0] == "m" else "{n}-year check"
        return gettext(language, message, n=int(code[1:]))
    return code


def local_path(target: str) -> str:
    """``target`` when it is a path on this site, else ``/`` (no open redirect: ``//host``,
    ``/\\host`` and absolute URLs are refused)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def age_text(days: int, language: str) -> str:
    """A child's age for people: days under a month, months under two years, then years and
    months (months of 30.4375 days, as the growth standards count them)."""
    months = int(days // 30.4375)
    if months < 1:
        return gettext(language, "{n} days", n=days)
    if months < 24:
        return gettext(language, "{n} months", n=months)
    return gettext(language, "{y} y {m} m", y=months // 12, m=months % 12)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Template:
    """A page with the translation function ``_``, the language and the signed-in user."""
    language = lang(request)
    return Template(
        template_name=name,
        context={
            "_": lambda message, **p: gettext(language, message, **p),
            "lang": language,
            "locales": LOCALES,
            "user": current_user(request),
            "today": today(request),
            "check_name": lambda code: check_name(code, language),
            "age_text": lambda days: age_text(days, language),
            **context,
        },
        status_code=status_code,
        media_type=MediaType.HTML,
    )


def _float(form: dict[str, Any], name: str) -> float | None:
    raw = str(form.get(name, "")).strip().replace(",", ".")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ServiceInputError("{field} is not a number.", field=name) from None


def _date(form: dict[str, Any], name: str, default: dt.date | None = None) -> dt.date:
    raw = str(form.get(name, "")).strip()
    if not raw and default is not None:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ServiceInputError("{field} is not a date (YYYY-MM-DD).", field=name) from None


def _error_text(request: Request, exc: Exception) -> str:
    if isinstance(exc, ServiceInputError):
        return gettext(lang(request), exc.message, **exc.params)
    if isinstance(exc, ScreeningInputError):
        return text(exc.message_id, lang(request), **exc.params)
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)


# -- sign-in, language, home -----------------------------------------------------------------


@get("/", opt={"roles": PUBLIC}, sync_to_thread=False, include_in_schema=False)
def home(request: Request) -> Redirect:
    user = current_user(request)
    return Redirect(HOME[user.role] if user else "/login")


@get("/login", opt={"roles": PUBLIC}, sync_to_thread=False, include_in_schema=False)
def login_page(
    request: Request, next_: Annotated[str, QueryParameter(name="next")] = "/"
) -> Template:
    return render(request, "login.html", next=local_path(next_))


@post("/login", opt={"roles": PUBLIC}, sync_to_thread=False, include_in_schema=False)
def login_submit(request: Request, db: NamedDependency[Session], data: Form) -> Response[Any]:
    target = str(data.get("next") or "/")
    try:
        user = authenticate(db, str(data.get("username", "")), str(data.get("password", "")))
    except (NotAuthorizedException, TooManyRequestsException) as exc:
        message = (
            "Too many failed attempts: wait a few minutes and try again."
            if isinstance(exc, TooManyRequestsException)
            else "Wrong username or password."
        )
        return render(request, "login.html", status_code=exc.status_code, next=target,
                      error=gettext(lang(request), message))  # fmt: skip
    sign_in(request, user)
    return Redirect(
        local_path(target) if local_path(target) != "/" else HOME[user.role], status_code=303
    )


@post("/logout", opt={"roles": ALL_ROLES}, sync_to_thread=False, include_in_schema=False)
def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect("/login", status_code=303)


@get("/lang/{code:str}", opt={"roles": PUBLIC}, sync_to_thread=False, include_in_schema=False)
def switch_language(
    request: Request, code: FromPath[str], back: FromQuery[str] = "/"
) -> Response[Any]:
    response = Redirect(local_path(back))
    response.set_cookie("lang", normalise(code), max_age=365 * 86400, samesite="lax")
    return response


# -- parents -------------------------------------------------------------------------------


@get("/parent", opt={"roles": (PARENT,)}, sync_to_thread=False, include_in_schema=False)
def parent_home(
    request: Request, db: NamedDependency[Session], user: NamedDependency[CurrentUser]
) -> Template:
    return render(request, "parent_home.html", children=views.scope_children(db, user))


@get(
    "/parent/children/new", opt={"roles": (PARENT,)}, sync_to_thread=False, include_in_schema=False
)
def child_new(request: Request, db: NamedDependency[Session]) -> Template:
    return render(request, "child_new.html", townships=_townships(db), form={})


def _townships(db: Session) -> list[Area]:
    return list(
        db.execute(select(Area).where(Area.level == "township").order_by(Area.code)).scalars()
    )


@post(
    "/parent/children/new", opt={"roles": (PARENT,)}, sync_to_thread=False, include_in_schema=False
)
def child_create(
    request: Request, db: NamedDependency[Session], user: NamedDependency[CurrentUser], data: Form
) -> Response[Any]:
    begin_write(db)
    try:
        weeks = _float(data, "gestational_weeks")
        birth = _date(data, "birth_date")
        if birth > today(request):
            raise ServiceInputError("The birth date is in the future.")
        child = create_child(
            db,
            ChildCreate(
                sex=str(data.get("sex", "")),
                birth_date=birth,
                gestational_weeks=weeks,
                name=str(data.get("name") or "") or None,
                area_code=str(data.get("area_code", "")),
            ),
        )
    except (ServiceInputError, ValidationError, LookupError) as exc:
        return render(
            request,
            "child_new.html",
            status_code=422,
            townships=_townships(db),
            form=data,
            error=_error_text(request, exc),
        )
    add_guardian(db, db.get(User, user.id), child)  # type: ignore[arg-type]
    db.commit()
    return Redirect(f"/children/{child.id}/measure", status_code=303)


@get(
    "/children/{child_id:int}",
    opt={"roles": CHILD_ROLES},
    sync_to_thread=False,
    include_in_schema=False,
)
def child_page(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
    chart: FromQuery[str] = "wfa",
) -> Template:
    """Results of the latest measurement, the growth chart, flags (doctors: with evidence)."""
    child = child_for(db, user, child_id)
    language = lang(request)
    rows = views.measurements(db, child.id)
    latest = rows[-1] if rows else None
    indicators = views.indicator_results(latest, language) if latest else []
    advice = []
    if latest is not None and latest.status == "accepted":
        z = {k: getattr(latest, c) for k, c in records.Z_COLUMNS.items() if k not in ("wfh",)}
        z["wfl" if latest.age_days < views.SWITCH_DAY else "wfh"] = latest.z_wflh
        from screening.growth import measurement_flags

        advice = flag_texts(
            measurement_flags(
                {k: v for k, v in z.items() if v is not None},
                age_days=latest.age_days,
                muac_cm=latest.muac_cm,
                oedema=latest.oedema,
            ),
            language,
        )
    statuses, upcoming = views.schedule(db, child, today(request))
    professional = user.role in (DOCTOR, ADMIN)
    case = db.execute(select(Case).where(Case.child_id == child.id, Case.status == "open")).scalar()
    events = []
    if professional and case is not None:
        events = list(
            db.execute(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at)
            ).scalars()
        )
    return render(
        request,
        "child.html",
        child=child,
        rows=rows,
        latest=latest,
        indicators=indicators,
        advice=advice,
        chart=chart if chart in views.CHARTS else "wfa",
        chart_html=views.chart_html(child, rows, chart, language) if rows else "",
        charts=views.CHARTS,
        indicator_names=views.INDICATOR_NAMES,
        upcoming=upcoming,
        statuses=statuses,
        professional=professional,
        case=case,
        events=events,
        flags=views.open_flags(db, child.id) if professional else [],
        answer_sets=views.answer_sets(db, child.id, language) if professional else [],
        clinician_text=lambda f: text(f.clinician_message_id, language, **_params(f.evidence)),
        age_days=(today(request) - child.birth_date).days,
    )


def _params(evidence: dict[str, Any]) -> dict[str, Any]:
    params = dict(evidence.get("values") or {})
    params.update({f"z_{k}": v for k, v in (evidence.get("z") or {}).items()})
    params["items"] = ", ".join(evidence.get("item_ids") or [])
    return params


@get(
    "/children/{child_id:int}/measure",
    opt={"roles": ENTERING},
    sync_to_thread=False,
    include_in_schema=False,
)
def measure_form(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
) -> Template:
    child = child_for(db, user, child_id)
    return render(
        request, "measure.html", child=child, form={"measured_on": today(request)}, confirm=False
    )


@post(
    "/children/{child_id:int}/measure",
    opt={"roles": ENTERING},
    sync_to_thread=False,
    include_in_schema=False,
)
def measure_submit(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
    data: Form,
) -> Response[Any]:
    """Save a measurement; implausible values come back with a confirm step."""
    begin_write(db)
    child = child_for(db, user, child_id)
    confirm = data.get("confirm") == "yes"
    try:
        entry = MeasurementCreate(
            measured_on=_date(data, "measured_on", today(request)),
            source=Source(SOURCE[user.role]),
            weight_kg=_float(data, "weight_kg"),
            length_cm=_float(data, "length_cm"),
            measure=str(data.get("measure") or "") or None,
            head_cm=_float(data, "head_cm"),
            muac_cm=_float(data, "muac_cm"),
            oedema=data.get("oedema") == "yes",
        )
        records.record_measurement(
            db,
            child,
            entry,
            actor_id=user.id,
            professional=user.role != PARENT,
            confirm=confirm,
            today=today(request),
            now=now(request),
            clinic_id=user.clinic_id,
            facility_id=user.facility_id,
        )
        db.commit()
    except ImplausibleMeasurementError as exc:
        return render(
            request,
            "measure.html",
            status_code=422,
            child=child,
            form=data,
            confirm=True,
            error=_error_text(request, exc),
        )
    except (ServiceInputError, ScreeningInputError, ValidationError) as exc:
        return render(
            request,
            "measure.html",
            status_code=422,
            child=child,
            form=data,
            confirm=False,
            error=_error_text(request, exc),
        )
    return Redirect(f"/children/{child.id}", status_code=303)


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

    inst = reference.instrument(records.PARENT_MILESTONES)
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
        error = error or _error_text(request, exc)
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
        _, result, _ = records.record_milestones(
            db,
            child,
            instrument=records.PARENT_MILESTONES,
            administered_on=today(request),
            answers=answers,
            source=SOURCE[user.role],
            actor_id=user.id,
            today=today(request),
            now=now(request),
        )
    except (ServiceInputError, ScreeningInputError) as exc:
        return _milestones(request, child, error=_error_text(request, exc), status_code=422)
    db.commit()
    return _milestones(request, child, result=result)


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
    result = records.assess_stored_recall(last) if last is not None else None
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
        _, result, _ = records.record_feeding(
            db,
            child,
            recalled_on=today(request) - dt.timedelta(days=1),
            answers=feeding_answers(data),
            source=SOURCE[user.role],
            actor_id=user.id,
            today=today(request),
            now=now(request),
        )
    except (ServiceInputError, ScreeningInputError) as exc:
        return _feeding(request, child, error=_error_text(request, exc), status_code=422)
    db.commit()
    return _feeding(request, child, result)


@get(
    "/children/{child_id:int}/summary",
    opt={"roles": CHILD_ROLES},
    sync_to_thread=False,
    include_in_schema=False,
)
def summary(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child_id: FromPath[int],
) -> Template:
    """One printable page: latest results, schedule, open advice."""
    child = child_for(db, user, child_id)
    language = lang(request)
    rows = views.measurements(db, child.id)
    statuses, upcoming = views.schedule(db, child, today(request))
    return render(
        request,
        "summary.html",
        child=child,
        rows=rows,
        indicators=views.indicator_results(rows[-1], language) if rows else [],
        statuses=statuses,
        upcoming=upcoming,
        age_days=(today(request) - child.birth_date).days,
    )


# -- doctors -------------------------------------------------------------------------------


@get("/doctor", opt={"roles": (DOCTOR, ADMIN)}, sync_to_thread=False, include_in_schema=False)
def doctor_queue(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    facility: FromQuery[int | None] = None,
    domain: FromQuery[str | None] = None,
) -> Template:
    facilities = list(
        db.execute(
            select(Facility).where(Facility.clinic_id == user.clinic_id).order_by(Facility.name)
        ).scalars()
    )
    rows = views.case_queue(db, user, today(request), facility_id=facility, domain=domain or None)
    return render(
        request,
        "doctor_queue.html",
        rows=rows,
        facilities=facilities,
        facility=facility,
        domain=domain or "",
        domains=("growth", "development", "feeding", "anaemia", "schedule"),
    )


@post(
    "/cases/{case_id:int}/outcome",
    opt={"roles": (DOCTOR, ADMIN)},
    sync_to_thread=False,
    include_in_schema=False,
)
def outcome_submit(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    case_id: FromPath[int],
    data: Form,
) -> Response[Any]:
    begin_write(db)
    case = case_for(db, user, case_id)
    try:
        recheck = _date(data, "recheck_on") if data.get("recheck_on") else None
        entry = CaseClose(
            outcome=str(data.get("outcome", "")),
            outcome_note=str(data.get("outcome_note") or "") or None,
            recheck_on=recheck,
        )
        records.record_outcome(db, case, entry, actor_id=user.id, now=now(request))
        db.commit()
    except (ServiceInputError, ValidationError) as exc:
        raise ServiceInputError(_error_text(request, exc)) from None
    return Redirect(f"/children/{case.child_id}", status_code=303)


@get(
    "/doctor/missed", opt={"roles": (DOCTOR, ADMIN)}, sync_to_thread=False, include_in_schema=False
)
def doctor_missed(
    request: Request, db: NamedDependency[Session], user: NamedDependency[CurrentUser]
) -> Template:
    return render(
        request,
        "due_list.html",
        rows=views.due_list(db, user, today(request), ("missed",)),
        title="Missed checks",
    )


# -- facility staff --------------------------------------------------------------------------


@get("/facility", opt={"roles": (FACILITY, ADMIN)}, sync_to_thread=False, include_in_schema=False)
def facility_home(
    request: Request, db: NamedDependency[Session], user: NamedDependency[CurrentUser]
) -> Template:
    facility = db.get(Facility, user.facility_id) if user.facility_id else None
    return render(
        request,
        "facility.html",
        facility=facility,
        children=views.scope_children(db, user),
        due=views.due_list(db, user, today(request)),
    )


# -- bureaus ---------------------------------------------------------------------------------


@get("/bureau", opt={"roles": (BUREAU, ADMIN)}, sync_to_thread=False, include_in_schema=False)
def bureau_dashboard(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    area: FromQuery[str | None] = None,
    by: FromQuery[str] = "area",
    period: FromQuery[str | None] = None,
) -> Template:
    if by not in dash.GROUPINGS:
        by = "area"
    language = lang(request)
    view = dash.dashboard(
        db,
        user,
        today(request),
        area_code=area,
        by=by,
        period=Period.parse(period) if period else None,
    )
    names = {k: gettext(language, v) for k, v in INDICATOR_LABELS.items()}
    return render(
        request,
        "bureau.html",
        view=view,
        names=names,
        indicators=INDICATORS,
        trend_html=dash.trend_figure_html(view, language, names),
        period=period or "",
    )


def page_handlers() -> list[Any]:
    """Every page handler."""
    return [
        home,
        login_page,
        login_submit,
        logout,
        switch_language,
        parent_home,
        child_new,
        child_create,
        child_page,
        measure_form,
        measure_submit,
        milestones_form,
        milestones_submit,
        feeding_form,
        feeding_submit,
        summary,
        doctor_queue,
        outcome_submit,
        doctor_missed,
        facility_home,
        bureau_dashboard,
    ]
