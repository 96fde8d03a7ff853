"""Printable PDFs (``docs/pdf.md``): the family's one-page summary, the doctor's referral
letter and the bureau's quarterly coverage report. Each is the same figures and words as its
page (:func:`api.pages.summary.summary_context`, :func:`api.services.present.clinician_words`,
:func:`api.services.dashboard.dashboard`), laid out by ``api/templates/pdf_*.html`` and made by
:mod:`api.pdf`. Reads of a child's document by anyone but the child's guardian are audited
(:data:`~health.models.audit.DOCUMENT_READS`), the bureau's report as an export
(``export.coverage``)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.params import FromQuery
from sqlmodel import col, select

from api import audit
from api.access import ADMIN, BUREAU, CHILD_ROLES, CLINICIANS, PARENT
from api.context import clock_of, public_base
from api.controllers.base import PageController, page_get, page_post
from api.errors import problem
from api.i18n import gettext
from api.pages.coverage import EMPTY, OUTLOOKS
from api.pages.render import INDICATOR_LABELS, age_text, check_name
from api.pages.summary import SHARED_PATH, _qr_svg, summary_context
from api.pdf import html_of, one_page, pdf_of, pdf_response
from api.pdf.svg import figure_spec, to_svg
from api.request_scope import NOT_A_RECORD, Caller, Visit
from api.services import charts, views
from api.services import dashboard as dash
from api.services.present import OUTCOME_WORDS, clinician_words, indicator_views
from health import pipeline
from health.coverage import INDICATORS
from health.models import Case, CaseEvent, Child, Clinic, FlagRecord, User
from health.pipeline import flag_of
from health.services import links
from health.suppression import MARK

SUMMARY_PDF = "pdf.summary"
REFERRAL_PDF = "pdf.referral"
NOT_REFERRED = "This case has no referral"
NOT_REFERRED_TEXT = "A referral letter is made for a case whose outcome is a referral."


def _common(caller: Caller) -> dict[str, Any]:
    """What every PDF template uses: the words, the language, today and local time."""
    language = caller.language
    return {
        "_": lambda message, **p: gettext(language, message, **p),
        "lang": language,
        "today": caller.at.today,
        "check_name": lambda code: check_name(code, language),
        "age_text": lambda days: age_text(days, language),
    }


def _chart_svg(block: str) -> str:
    """The page's chart (a figure block) as vector SVG; empty when there is no chart."""
    return to_svg(figure_spec(block)) if block else ""


def _audit_child(request: Request, caller: Caller, action: str, child_id: int) -> None:
    """The document read in the access audit, for every reader but the child's guardian."""
    caller.db.rollback()  # what the document shows is read: end the read transaction first
    if caller.user.role != PARENT:
        audit.record(
            request, caller.db, caller.user, action, "child", child_id, own_transaction=True
        )


def _summary_pdf(request: Request, visit: Visit, new: links.NewLink | None) -> Response[bytes]:
    """The summary of ``visit.child`` as a one-page PDF, with the QR code of ``new``."""
    context = summary_context(visit)
    context["chart_svg"] = _chart_svg(context.pop("chart_html"))
    sharing: dict[str, Any] = {}
    if new is not None:
        url = f"{public_base(request)}{SHARED_PATH}/{new.token}"
        until = clock_of(request).local(new.link.expires_at).strftime("%Y-%m-%d %H:%M")
        sharing = {"url": url, "qr": _qr_svg(url), "until": until}
    context |= {**_common(visit), "sharing": sharing, "local": clock_of(request).local}
    child_id = int(visit.child.id)  # type: ignore[arg-type]
    pages = [html_of(request, "pdf_summary.html", {**context, "fit": fit}) for fit in range(3)]
    _audit_child(request, visit, SUMMARY_PDF, child_id)  # after the reads the pages made
    body = one_page(lambda fit: pages[fit], fits=len(pages))
    return pdf_response(body, f"summary-{child_id}.pdf")


class SummaryDocuments(PageController):
    """The child's summary as a PDF; for a parent, with the QR code of a fresh link."""

    path = "/children/{child_id:int}/summary.pdf"
    opt = {"roles": CHILD_ROLES}

    @page_get("/")
    def summary_pdf(self, request: Request, visit: NamedDependency[Visit]) -> Response[bytes]:
        """The summary on exactly one A4 page: both ages, growth with its chart (vector),
        milestones, feeding, advice, the doctor's latest outcome."""
        return _summary_pdf(request, visit, None)

    # no idempotent replay: the answer holds the new link's token, which is never stored
    @page_post("/share", opt={"roles": (PARENT,), **NOT_A_RECORD})
    def summary_pdf_shared(
        self, request: Request, visit: NamedDependency[Visit]
    ) -> Response[bytes]:
        """Make a summary link for the clinic (7 days, as "Share with the clinic") and give
        the summary PDF with the link's address and QR code."""
        db = visit.writing()
        new = links.create_link(
            db,
            child_id=int(visit.child.id),
            kind="summary",  # type: ignore[arg-type]
            by_user_id=visit.user.id,
            now=visit.at.now,
        )
        db.commit()
        return _summary_pdf(request, visit, new)


def _referral(request: Request, caller: Caller, case: Case) -> dict[str, Any]:
    """What the referral letter says about ``case``: the child, both ages, the case's flags in
    the clinician's words, the latest accepted measurements with their results and chart, the
    institution, the doctor who recorded the referral and the clinic, the day."""
    db, language = caller.db, caller.language
    child = db.get(Child, case.child_id)
    if child is None or case.outcome != "referred":
        raise problem(404, "no-referral", NOT_REFERRED, message=NOT_REFERRED_TEXT)
    event = db.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.action == "closed")
        .order_by(col(CaseEvent.at).desc(), col(CaseEvent.id).desc())
    ).first()
    doctor = db.get(User, event.actor_id) if event and event.actor_id else None
    clinic = db.get(Clinic, case.clinic_id) if case.clinic_id else None
    records = db.exec(
        select(FlagRecord).where(FlagRecord.case_id == case.id).order_by(col(FlagRecord.id))
    ).all()
    flags = sorted((flag_of(r) for r in records), key=lambda f: -f.severity.rank)
    rows = views.measurements(db, int(child.id))  # type: ignore[arg-type]
    latest = pipeline.measurement_result(db, child, rows[-1]) if rows else None
    block = charts.chart_html(child, rows, "wfa", language) if rows else ""
    referred_at = event.at if event else None
    return {
        "child": child,
        "case": case,
        "ages": pipeline.ages_of(child, caller.at.today),
        "reasons": [
            {"severity": str(f.severity), "text": clinician_words(f, language)} for f in flags
        ],
        "measurements": rows[-6:],
        "latest": latest.measurement if latest else None,
        "indicators": indicator_views(latest, language, clinician=True),
        "chart_svg": _chart_svg(block),
        "institution": case.outcome_note or "",
        "doctor": (doctor.display_name or doctor.username) if doctor else "",
        "clinic": clinic.name if clinic else "",
        "referred_on": caller.at.today
        if referred_at is None
        else clock_of(request).local(referred_at).date(),
    }


class ReferralDocuments(PageController):
    """A referral letter for a case the doctor referred."""

    path = "/cases/{case_id:int}/referral.pdf"
    opt = {"roles": CLINICIANS}

    @page_get("/")
    def referral_pdf(
        self, request: Request, caller: NamedDependency[Caller], case: NamedDependency[Case]
    ) -> Response[bytes]:
        """The letter (A4): child, reason and evidence in words, measurements and chart, the
        institution referred to, the doctor, the clinic and the day."""
        context = _referral(request, caller, case)
        html = html_of(
            request,
            "pdf_referral.html",
            {**_common(caller), **context, "outcome_words": OUTCOME_WORDS},
        )
        _audit_child(request, caller, REFERRAL_PDF, int(case.child_id))
        return pdf_response(pdf_of(html), f"referral-case-{case.id}.pdf")


def _forecast_svgs(outlook: dash.Dashboard, names: dict[str, str]) -> dict[str, str]:
    """Per indicator, a vector chart of each unit's projected year-end rate (dot, percent) with
    its 80 % interval (bar) and the target line; units whose forecast is hidden are left out
    (the table says why). Empty when no unit has a shown forecast."""
    out: dict[str, str] = {}
    for indicator in INDICATORS:
        shown = [
            f
            for f in [*outlook.forecast_totals, *outlook.forecast_rows]
            if f.indicator == indicator and not f.suppressed and f.projected_rate is not None
        ]
        if not shown:
            continue
        bars_x: list[str | None] = []
        bars_y: list[float | None] = []
        for f in shown:
            if f.low is not None and f.high is not None:
                bars_x += [f.unit_name, f.unit_name, None]
                bars_y += [100 * f.low, 100 * f.high, None]
        target = 100 * shown[0].target
        spec = {
            "data": [
                {"x": bars_x, "y": bars_y, "mode": "lines", "showlegend": False,
                 "line": {"color": "#7a8a99", "width": 5}},
                {"x": [f.unit_name for f in shown], "y": [100 * f.projected_rate for f in shown],
                 "mode": "markers", "name": names[indicator], "marker": {"color": "#1b4f72"}},
            ],
            "layout": {
                "xaxis": {"type": "category"},
                "yaxis": {"range": [0, 100]},
                "shapes": [{"yref": "y", "y0": target, "y1": target, "line": {"color": "#b00"}}],
                "annotations": [{"xref": "paper", "x": 1, "yref": "y", "y": target,
                                 "text": f"{target:g} %", "font": {"color": "#b00"}}],
            },
        }  # fmt: skip
        out[indicator] = to_svg(spec, height=190.0)
    return out


class ReportDocuments(PageController):
    """The bureau's coverage report of an area for a period."""

    path = "/bureau/report.pdf"
    opt = {"roles": (BUREAU, ADMIN)}

    @page_get("/")
    def report_pdf(
        self,
        request: Request,
        caller: NamedDependency[Caller],
        period: FromQuery[str | None] = None,
        area: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """The three indicators of the area, its sub-areas, clinics and facilities as released
        (small counts hidden, ``<5``), the quarterly trend chart and, for the current year, the
        year-end forecast per unit. A period that is not a whole year, quarter or month is a
        400 problem ``bad-period``."""
        db, language = caller.db, caller.language
        first = dash.dashboard_for(
            db, caller.user, caller.at, dash.CoverageQuery(area, "clinic", period), strict=True
        )
        groupings = (["area"] if first.child_level else []) + ["clinic", "facility"]
        views_by = {
            by: first
            if by == "clinic"
            else dash.dashboard(
                db, caller.user, caller.at, area_code=first.area.code, by=by, period=first.period
            )
            for by in groupings
        }
        outlook = None
        today = caller.at.today
        if first.period.year == today.year:
            outlook = dash.dashboard(
                db,
                caller.user,
                caller.at,
                area_code=first.area.code,
                by=groupings[0],
                period=type(first.period)(today.year),
            )
            if outlook.forecast_on is None:
                outlook = None
        names = {k: gettext(language, v) for k, v in INDICATOR_LABELS.items()}
        trend = _chart_svg(dash.trend_figure_html(first, language, names))
        context = {
            **_common(caller),
            "area": first.area,
            "period_words": dash.period_words(first.period, language),
            "counted": first.counted,
            "totals": first.totals,
            "tables": [(by, views_by[by].rows) for by in groupings],
            "names": names,
            "indicators": INDICATORS,
            "trend_svg": trend,
            "trend_partial": first.trend_partial,
            "outlook": outlook,
            "forecast_svgs": _forecast_svgs(outlook, names) if outlook else {},
            "outlooks": {k: gettext(language, v) for k, v in OUTLOOKS.items()},
            "empty": EMPTY,
            "mark": MARK,
            "suppressed": any(v.suppressed for v in views_by.values()),
            "computed_at": clock_of(request).local(first.computed_at),
        }
        html = html_of(request, "pdf_report.html", context)
        code = first.area.code
        db.rollback()
        audit.record(
            request, db, caller.user, "export.coverage", "area", code, own_transaction=True
        )
        return pdf_response(pdf_of(html), f"coverage-{code}-{first.period.label}.pdf")
