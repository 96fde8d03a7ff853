"""Printable PDFs made with WeasyPrint from the service's own jinja2 templates
(``api/templates/pdf_*.html``) and Debian's Noto CJK fonts (embedded as subsets, so the
Chinese text is copied and searched as text). Charts are vector SVG redrawn from the page's
figure (:mod:`api.pdf.svg`). What each document says is assembled where the pages assemble it
(:mod:`api.pages.summary`, :mod:`api.services.dashboard`); see ``docs/pdf.md``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from litestar import Request, Response

PDF_MEDIA_TYPE = "application/pdf"
for _name in ("weasyprint", "weasyprint.progress", "fontTools"):
    logging.getLogger(_name).setLevel(logging.WARNING)  # its steps, not the service's log


def html_of(request: Request[Any, Any, Any], name: str, context: dict[str, Any]) -> str:
    """The template ``name`` rendered with ``context`` by the app's jinja2 engine."""
    engine = request.app.template_engine
    if engine is None:  # pragma: no cover - the app always has one
        raise RuntimeError("no template engine")
    return engine.get_template(name).render(**context)


def pdf_of(html: str) -> bytes:
    """The PDF of ``html`` (A4 pages, as the template's ``@page`` rule sets)."""
    from weasyprint import HTML  # imported on first use: ~0.3 s, and only PDF routes need it

    return HTML(string=html, base_url=None).write_pdf()


def one_page(make_html: Callable[[int], str], fits: int = 3) -> bytes:
    """The PDF of the first ``make_html(fit)`` (``fit`` 0, 1, …: ever more compact) that lays
    out on one page; the most compact one whatever its length when none does."""
    from weasyprint import HTML

    for fit in range(fits):
        document = HTML(string=make_html(fit), base_url=None).render()
        if len(document.pages) == 1 or fit == fits - 1:
            return document.write_pdf()
    raise AssertionError("unreachable")  # pragma: no cover


def pdf_response(body: bytes, filename: str) -> Response[bytes]:
    """``body`` as an inline PDF named ``filename``, never cached by the browser or a proxy
    (a personal document)."""
    return Response(
        body,
        media_type=PDF_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
