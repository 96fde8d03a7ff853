"""A child's pages: the parent's list and adding a child; results with the growth chart (every
role that may see the child), entering a measurement with its confirm step, the summary."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import ADMIN, CHILD_ROLES, DOCTOR, ENTERING, PARENT
from api.context import settings_of
from api.controllers.base import PageController, page_get, page_post
from api.errors import ServiceInputError
from api.pages.calendar import home_context
from api.pages.entries import measurement_entry
from api.pages.render import Form, error_text, parse_date, render
from api.request_scope import Caller, Visit
from api.services import charts, forms, views
from api.services.present import (
    FAMILY_OUTCOME_WORDS,
    OUTCOME_WORDS,
    answer_set_views,
    answer_words,
    clinician_text,
    flag_texts,
    flag_views,
    indicator_name,
    indicator_views,
    instrument_title,
)
from health import pipeline
from health.errors import ImplausibleMeasurementError, RecordError
from health.models import Area, Case, CaseEvent, ChildCreate, Clinic, Measurement, User
from health.models.enums import AreaLevel, CaseStatus
from health.pipeline.indicators import ReferenceIndicator, ws423_indicators
from health.registry import add_guardian, create_child, phone_number
from health.services.channel import family_outcomes
from health.services.questionnaires import answer_sets
from health.services.routing import responsible_clinic_id
from health.services.schedule import schedule_for_child
from screening.errors import ScreeningInputError

REFUSALS = (ServiceInputError, RecordError, ScreeningInputError, ValidationError)


def _places(db: Session, county: str | None) -> dict[str, Any]:
    """Counties to choose from and, once one is chosen, its townships."""
    counties = list(
        db.execute(select(Area).where(Area.level == AreaLevel.county).order_by(Area.name)).scalars()
    )
    chosen = next((c for c in counties if c.code == county), None)
    townships = []
    if chosen is not None:
        townships = list(
            db.execute(
                select(Area)
                .where(Area.level == AreaLevel.township, Area.parent_id == chosen.id)
                .order_by(Area.name)
            ).scalars()
        )
    return {"counties": counties, "county": chosen, "townships": townships}


def _county_of(db: Session, township_code: str) -> str | None:
    parent = db.execute(
        select(Area.code).where(
            Area.id == select(Area.parent_id).where(Area.code == township_code).scalar_subquery()
        )
    ).scalar()
    return str(parent) if parent else None


class ParentPages(PageController):
    """A parent's children and adding one."""

    path = "/parent"
    opt = {"roles": (PARENT,)}

    @page_get("/")
    def parent_home(self, request: Request, caller: NamedDependency[Caller]) -> Template:
        """The parent's children, each with its next checks and screening ages (due now, then
        the next 90 days) and its calendar feed (:func:`api.pages.calendar.home_context`)."""
        return render(request, "parent_home.html", **home_context(request, caller))

    @page_get("/children/new")
    def child_new(
        self, request: Request, db: NamedDependency[Session], county: FromQuery[str | None] = None
    ) -> Template:
        """Add a child: first the county (a short list), then its townships (works without
        JS)."""
        return render(request, "child_new.html", **_places(db, county), form={})

    @page_post("/children/new")
    def child_create(
        self, request: Request, caller: NamedDependency[Caller], data: Form
    ) -> Response[Any]:
        """Add the parent's child, registered on the local today, with the guardian's phone when
        given; every refused field comes back in words next to it, all at once, with the entry
        kept."""
        language, errors = caller.language, {}
        birth = None
        try:
            birth = parse_date(data, "birth_date")
        except ServiceInputError:
            errors["birth_date"] = forms.date_error(language)
        weeks = forms.number(data, "gestational_weeks", errors, language)
        phone = None
        try:
            phone = phone_number(str(data.get("guardian_phone") or "") or None)
        except RecordError as exc:
            errors["guardian_phone"] = error_text(request, exc)
        entry = None
        try:
            entry = ChildCreate(
                sex=str(data.get("sex", "")), birth_date=birth, gestational_weeks=weeks,
                name=str(data.get("name") or "") or None, area_code=str(data.get("area_code", "")),
                guardian_phone=phone,
            )  # fmt: skip
        except ValidationError as exc:
            errors = forms.validation_errors(exc, language) | errors
        db, error = caller.writing(), ""
        if entry is not None and not errors:
            try:
                child = create_child(db, entry, today=caller.at.today)
            except (*REFUSALS, LookupError) as exc:
                field = getattr(exc, "field", "area_code" if isinstance(exc, LookupError) else "")
                if field in forms.FIELD_LABELS:
                    errors[field] = error_text(request, exc)
                else:
                    error = error_text(request, exc)
            else:
                add_guardian(db, db.get(User, caller.user.id), child)  # type: ignore[arg-type]
                db.commit()
                return Redirect(f"/children/{child.id}/measure", status_code=303)
        places = _places(db, _county_of(db, str(data.get("area_code", ""))))
        if places["county"] is None and "area_code" in errors:  # no township list to sit by
            error = " ".join(filter(None, (error, errors.pop("area_code"))))
        return render(request, "child_new.html", status_code=422, **places, form=data,
                      error=error, errors=errors)  # fmt: skip


def _latest(visit: Visit) -> tuple[list[Any], pipeline.MeasurementResult | None]:
    """The child's measurements and the latest one's result as the pipeline stored it."""
    rows = views.measurements(visit.db, int(visit.child.id))  # type: ignore[arg-type]
    return rows, pipeline.measurement_result(visit.db, visit.child, rows[-1]) if rows else None


def _child_context(request: Request, visit: Visit) -> dict[str, Any]:
    """What the result page and the summary both show: results, ages and schedule."""
    rows, latest = _latest(visit)
    statuses, upcoming = schedule_for_child(visit.db, visit.child, visit.at.today)
    return {
        "child": visit.child,
        "rows": rows,
        "latest": latest.measurement if latest else None,
        "indicators": indicator_views(
            latest, visit.language, clinician=visit.user.role in (DOCTOR, ADMIN)
        ),
        "advice": flag_texts(latest.flags, visit.language) if latest else [],
        "statuses": statuses,
        "upcoming": upcoming,
        "ages": pipeline.ages_of(visit.child, visit.at.today),
        "age_days": (visit.at.today - visit.child.birth_date).days,
        "check_clinic": _check_clinic(visit),
    }


def _check_clinic(visit: Visit) -> Clinic | None:
    """The clinic where the child's scheduled checks are done (its facility's linked clinic,
    else the clinic of its township), or None."""
    clinic_id = responsible_clinic_id(visit.db, visit.child, visit.at.today)
    return visit.db.get(Clinic, clinic_id) if clinic_id is not None else None


def _doctor_context(
    visit: Visit, outcome_form: dict[str, Any] | None = None, outcome_error: str | None = None
) -> dict[str, Any]:
    """The clinician's part of the child's page: open case and its events, the outcomes
    recorded so far, flags, answers; ``outcome_form`` and ``outcome_error`` give back a
    refused outcome with what the doctor typed."""
    db, child_id = visit.db, int(visit.child.id)  # type: ignore[arg-type]
    case = db.execute(
        select(Case).where(Case.child_id == child_id, Case.status == CaseStatus.open)
    ).scalar()
    events = []
    if case is not None:
        events = list(
            db.execute(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at)
            ).scalars()
        )
    return {
        "case": case,
        "events": events,
        "outcomes": views.outcome_history(db, child_id),
        "outcome_words": OUTCOME_WORDS,
        "outcome_form": outcome_form or {},
        "outcome_error": outcome_error,
        "flags": views.open_flags(db, child_id),
        "flag_views": flag_views(views.open_flags(db, child_id), visit.language),
        "answer_sets": answer_set_views(answer_sets(db, child_id), visit.language),
        "clinician_text": lambda f: clinician_text(pipeline.flag_of(f), visit.language),
        "answer_words": lambda words: answer_words(words, visit.language),
        "instrument_title": lambda name: instrument_title(name, visit.language),
    }


def _ws423_rows(visit: Visit, latest: Measurement | None) -> tuple[ReferenceIndicator, ...]:
    """The latest measurement against WS/T 423-2022 (``ws423_indicators``), at the age the
    pipeline uses (``pipeline.ages_of``); empty without one."""
    if latest is None:
        return ()
    age = pipeline.ages_of(visit.child, latest.measured_on).used_days
    return ws423_indicators(
        str(visit.child.sex), float(age), latest.weight_kg, latest.length_cm, latest.measure,
        latest.head_cm, latest.rule_set,
    )  # fmt: skip


class ChildPages(PageController):
    """One child: results and chart, entering a measurement (the summary: ``summary.py``)."""

    path = "/children/{child_id:int}"
    opt = {"roles": CHILD_ROLES}

    @page_get("/")
    def child_page(
        self,
        request: Request,
        visit: NamedDependency[Visit],
        chart: FromQuery[str] = "wfa",
        reference: FromQuery[str] = "",
    ) -> Template:
        """Results of the latest measurement as the pipeline stored them, the growth chart
        (against ``reference``: who or ws423; default the deployment's), flags (doctors: with
        evidence)."""
        if reference not in charts.REFERENCES:
            reference = settings_of(request).growth_reference
        context = _child_context(request, visit)
        professional = visit.user.role in (DOCTOR, ADMIN)
        doctor = _doctor_context(visit) if professional else {"flags": [], "answer_sets": []}
        rows, language = context["rows"], visit.language
        return render(
            request,
            "child.html",
            **context,
            **doctor,
            professional=professional,
            chart=chart if chart in charts.CHARTS else "wfa",
            chart_html=(
                charts.chart_html(visit.child, rows, chart, language, reference) if rows else ""
            ),
            reference=reference,
            references=charts.REFERENCES,
            ws423_rows=_ws423_rows(visit, context.get("latest")) if reference == "ws423" else (),
            ws423_words=charts.WS423_CATEGORY_WORDS,
            history=views.measurement_history(visit.db, int(visit.child.id), visit.user.id),  # type: ignore[arg-type]
            charts=charts.CHARTS,
            indicator_name=lambda code: indicator_name(code, language),
            family_outcomes=(
                family_outcomes(visit.db, int(visit.child.id))  # type: ignore[arg-type]
                if visit.user.role == PARENT
                else []
            ),
            family_outcome_words=FAMILY_OUTCOME_WORDS,
        )

    @page_get("/measure", opt={"roles": ENTERING})
    def measure_form(self, request: Request, visit: NamedDependency[Visit]) -> Template:
        return render(request, "measure.html", child=visit.child,
                      form={"measured_on": visit.at.today}, confirm=False,
                      errors={})  # fmt: skip

    @page_post("/measure", opt={"roles": ENTERING})
    def measure_submit(
        self, request: Request, visit: NamedDependency[Visit], data: Form
    ) -> Response[Any]:
        """Save a measurement; every refused field comes back in words next to it, all at
        once, with the entry kept; implausible values come back with a confirm step."""
        entry, errors = measurement_entry(data, visit)
        error, confirm = "", False
        if entry is not None and not errors:
            try:
                visit.record(pipeline.record_measurement, entry,
                             confirm=data.get("confirm") == "yes")  # fmt: skip
            except REFUSALS as exc:
                confirm = isinstance(exc, ImplausibleMeasurementError)
                field = getattr(exc, "field", "")
                if field in forms.MEASURE_FIELDS and not confirm:
                    errors[field] = error_text(request, exc)
                else:
                    error = error_text(request, exc)
        if errors or error:
            return render(request, "measure.html", status_code=422, child=visit.child, form=data,
                          confirm=confirm, error=error, errors=errors)  # fmt: skip
        return Redirect(f"/children/{visit.child.id}", status_code=303)
