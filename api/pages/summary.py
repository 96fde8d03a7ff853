"""A child's one-page summary (printable on one A4 page): both ages, the latest growth result
with the chart, the latest milestone answers, the latest feeding recall, the open advice and the
doctor's latest outcome; the parent shares it with the clinic by a link that expires (a QR code
of it on the page), and a signed-in clinician opens that link.

Every value comes from :mod:`health` (the pipeline's stored results, ``health.services.summary``,
``health.services.links``); this module only puts them into words."""

from __future__ import annotations

from typing import Any

import segno
from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api import audit
from api.access import CHILD_ROLES, CLINICIANS, PARENT, ChildNotFoundError, child_for
from api.context import public_base
from api.controllers.base import PageController, page_get, page_post
from api.errors import problem
from api.i18n import gettext
from api.pages.questionnaires import for_child
from api.pages.render import check_name, render
from api.request_scope import NOT_A_RECORD, Caller, Visit
from api.services import charts, views
from api.services.feeding_words import feeding_sentence
from api.services.present import (
    OUTCOME_WORDS,
    clinician_words,
    flag_texts,
    indicator_views,
)
from health import pipeline
from health.models import Child
from health.services import links
from health.services.channel import family_outcomes
from health.services.schedule import schedule_for_child
from health.services.summary import latest_feeding, latest_milestones, open_flags
from screening.flags import Flag
from screening.messages import has, text

SHARED_PATH = "/shared/summary"
LINK_NOT_VALID = "This link is not valid"
LINK_NOT_VALID_TEXT = (
    "The link may have expired or the family may have stopped sharing it. Ask the family for a "
    "new link."
)
SHARED_READ = "summary.shared_read"
"""Audit action of a read of a summary through a shared link."""


def _flag_words(flags: tuple[Flag, ...], language: str, professional: bool) -> list[dict[str, Any]]:
    """Each flag's severity and its words: the clinician's for a clinician, else the family's."""
    if not professional:
        return flag_texts(flags, language)
    return [{"severity": str(f.severity), "text": clinician_words(f, language)} for f in flags]


def _milestones(visit: Visit) -> dict[str, Any] | None:
    """The latest checklist in words: items answered "not yet" / "not sure" (她 for a girl)."""
    found = latest_milestones(visit.db, int(visit.child.id))  # type: ignore[arg-type]
    if found is None:
        return None
    language, sex = visit.language, str(visit.child.sex)

    def words(items: Any) -> list[str]:
        return [for_child(str(i.text.get(language)), sex, language) for i in items]

    return {
        "on": found.on,
        "instrument": found.instrument_name.get(language) if found.instrument_name else "",
        "answered": found.answered,
        "yes": found.yes,
        "not_yet": words(found.not_yet),
        "not_sure": words(found.not_sure),
    }


def _feeding(visit: Visit, professional: bool, shown: set[str]) -> dict[str, Any] | None:
    """The latest recall: the family's sentence per indicator, or for a clinician each IYCF
    indicator by name with met / not met / unknown; the recall's advice not already ``shown``
    among the open flags."""
    found = latest_feeding(visit.db, int(visit.child.id))  # type: ignore[arg-type]
    if found is None:
        return None
    language = visit.language
    lines: list[tuple[str, str]] = []
    for s in found.sentences:
        name_id = f"iycf.{s.code.lower()}.name"
        if professional and has(name_id):
            lines.append((s.tone, f"{text(name_id, language)}: {gettext(language, s.status)}"))
        elif (words := feeding_sentence(s.code, s.status, language)) is not None:
            lines.append((s.tone, words))
    return {
        "on": found.on,
        "lines": lines,
        "advice": []
        if professional
        else [words for m in found.advice if (words := text(m, language)) not in shown],
    }


def summary_context(visit: Visit) -> dict[str, Any]:
    """Everything the summary shows about ``visit.child``, in ``visit.language``; clinicians
    (doctor, admin) get the clinician's words for flags and feeding."""
    db, child, language = visit.db, visit.child, visit.language
    child_id = int(child.id)  # type: ignore[arg-type]
    professional = visit.user.role in CLINICIANS
    rows = views.measurements(db, child_id)
    latest = pipeline.measurement_result(db, child, rows[-1]) if rows else None
    statuses, upcoming = schedule_for_child(db, child, visit.at.today)
    outcomes = views.outcome_history(db, child_id)
    flags = _flag_words(open_flags(db, child_id), language, professional)
    return {
        "child": child,
        "professional": professional,
        "ages": pipeline.ages_of(child, visit.at.today),
        "latest": latest.measurement if latest else None,
        "indicators": indicator_views(latest, language, clinician=professional),
        "chart_html": charts.chart_html(child, rows, "wfa", language) if rows else "",
        "milestones": _milestones(visit),
        "feeding": _feeding(visit, professional, {f["text"] for f in flags}),
        "open_flags": flags,
        "outcome": (outcomes[0] if outcomes else None) if professional else None,
        "family_outcome": None
        if professional
        else next(iter(family_outcomes(db, child_id, limit=1)), None),
        "outcome_words": OUTCOME_WORDS,
        "missed": ("、" if language == "zh-CN" else ", ").join(
            check_name(s.code, language) for s in statuses if s.status == "missed"
        ),
        "upcoming": upcoming,
    }


def _qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG (error correction M, 4 px modules)."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2, svgclass="qr", title="QR")


def _summary_page(
    request: Request, visit: Visit, new: links.NewLink | None = None, status_code: int = 200
) -> Template:
    """The summary with the sharing box of a parent: the link just made (URL and QR code,
    shown only now) or the expiry of the links still valid."""
    context = summary_context(visit)
    sharing: dict[str, Any] = {}
    if visit.user.role == PARENT:
        active = links.active_links(visit.db, int(visit.child.id), "summary", visit.at.now)  # type: ignore[arg-type]
        sharing = {"active": active, "until": max((a.expires_at for a in active), default=None)}
        if new is not None:
            url = f"{public_base(request)}{SHARED_PATH}/{new.token}"
            sharing |= {"url": url, "qr": _qr_svg(url), "until": new.link.expires_at}
    return render(request, "summary.html", status_code=status_code, sharing=sharing, **context)


class SummaryPages(PageController):
    """The child's summary; the parent's sharing of it with the clinic."""

    path = "/children/{child_id:int}/summary"
    opt = {"roles": CHILD_ROLES}

    @page_get("/")
    def summary(self, request: Request, visit: NamedDependency[Visit]) -> Template:
        """One printable page: both ages, growth and chart, milestones, feeding, open advice,
        the doctor's latest outcome, the schedule."""
        return _summary_page(request, visit)

    # no idempotent replay: the answer holds the new link's token, which is never stored
    @page_post("/share", opt={"roles": (PARENT,), **NOT_A_RECORD})
    def share(self, request: Request, visit: NamedDependency[Visit]) -> Template:
        """Make a summary link for the clinic (valid 7 days) and show it once, with its QR
        code."""
        db = visit.writing()
        new = links.create_link(db, child_id=int(visit.child.id), kind="summary",  # type: ignore[arg-type]
                                by_user_id=visit.user.id, now=visit.at.now)  # fmt: skip
        db.commit()
        return _summary_page(request, visit, new, status_code=201)

    @page_post("/unshare", opt={"roles": (PARENT,)})
    def unshare(self, request: Request, visit: NamedDependency[Visit]) -> Response[Any]:
        """Stop sharing: every summary link of the child stops working at once."""
        db = visit.writing()
        links.revoke_links(db, int(visit.child.id), "summary", visit.at.now)  # type: ignore[arg-type]
        db.commit()
        return Redirect(f"/children/{visit.child.id}/summary", status_code=303)


class SharedSummaryPages(PageController):
    """A summary opened through the link a parent shared: for a signed-in clinician (any
    clinic: the link is the family's consent), and for a parent or childcare facility only
    when the child is theirs. An unknown, expired or stopped link, and a child not theirs,
    all get the same 404 page."""

    path = SHARED_PATH
    opt = {"roles": CHILD_ROLES}

    @page_get("/{token:str}")
    def shared(
        self, request: Request, caller: NamedDependency[Caller], token: FromPath[str]
    ) -> Template:
        """The summary behind ``token``, audited (:data:`SHARED_READ`) for every reader but the
        child's guardian."""
        db, user = caller.db, caller.user
        link = links.resolve(db, token, "summary", caller.at.now)
        child = db.get(Child, link.child_id) if link is not None else None
        if child is not None and user.role not in CLINICIANS:
            try:
                child = child_for(db, user, int(child.id))  # type: ignore[arg-type]
            except ChildNotFoundError:
                child = None
        if link is None or child is None:
            raise problem(404, "link-not-valid", LINK_NOT_VALID, message=LINK_NOT_VALID_TEXT)
        if user.role != PARENT:
            audit.record(request, db, user, SHARED_READ, "child", int(child.id),  # type: ignore[arg-type]
                         own_transaction=True)  # fmt: skip
        visit = Visit(db, user, caller.at, caller.language, child)
        return render(request, "shared_summary.html", sharing={}, expires_at=link.expires_at,
                      **summary_context(visit))  # fmt: skip
