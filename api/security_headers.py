"""The security headers of every response (errors and unknown paths included), added by the
app-level ``before_send`` hook :func:`add_security_headers`.

Every response but the static assets, the public schema and its docs UI, and ``/health`` is
marked ``Cache-Control: no-store`` (and ``Pragma: no-cache`` for HTTP/1.0 caches): pages, JSON
and error bodies may carry children's names and birth dates, and no browser cache, shared
computer or proxy may keep them (:func:`cacheable`).

The Content-Security-Policy allows scripts, styles, fonts and connections from the service
itself only, and no inline script: figures are JSON blocks drawn by ``/static/figures.js``
(see ``api.services.figures``). Images may also be ``data:`` URLs (Plotly's mode-bar icons and
downloads). Nobody may frame the pages, ``<base>`` and form targets stay on the service.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# style-src allows 'unsafe-inline' because plotly.min.js adds <style> elements at run time (the
# mode bar, hover labels); Chromium refuses them under style-src 'self' (tests/e2e/test_csp.py
# saw "style-src-elem inline" violations). The templates themselves carry no inline style, and
# inline styles cannot run code; scripts stay 'self' only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

# The API's docs UI (Litestar's Swagger page, a developer tool with no personal data) starts
# Swagger with an inline script it generates; only that page may run inline scripts.
DOCS_UI_PATH = "/schema/swagger"
DOCS_UI_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self';", "script-src 'self' 'unsafe-inline';"
)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),  # for browsers that ignore frame-ancestors
    (b"referrer-policy", b"same-origin"),
)


NO_STORE: tuple[tuple[str, str], ...] = (("cache-control", "no-store"), ("pragma", "no-cache"))
PUBLIC_PREFIXES = ("/static/", "/schema/")
"""Paths under these carry no personal data (assets, the OpenAPI schema and its docs UI)."""
PUBLIC_PATHS = ("/schema", "/health", "/favicon.ico")


def cacheable(path: str) -> bool:
    """Whether the response to ``path`` may be cached (it never carries personal data)."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: put :data:`SECURITY_HEADERS` on the start of every HTTP response
    (the docs UI page gets :data:`DOCS_UI_POLICY`), and :data:`NO_STORE` on every response whose
    path is not :func:`cacheable`."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in SECURITY_HEADERS:
            headers[name.decode()] = value.decode()
        path = scope["path"]
        if path.rstrip("/") == DOCS_UI_PATH:
            headers["content-security-policy"] = DOCS_UI_POLICY
        if not cacheable(path):
            for name, value in NO_STORE:
                headers[name] = value
