"""Structured (JSON-lines) logs with no personal data: an access line per response names the
route template (``/api/v1/children/{child_id}``), never the filled-in path, query or body, and
the status the client got (:func:`log_response`)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

LOGGER = "childhealth.api"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's extra fields."""

    _SKIP = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update({k: v for k, v in record.__dict__.items() if k not in self._SKIP})
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


def configure(level: int = logging.INFO) -> None:
    """Send ``childhealth.*`` logs as JSON lines to stderr (idempotent)."""
    logger = logging.getLogger("childhealth")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


_STARTED = "childhealth.started"  # scope state: when the request reached the middleware


def access_log_middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware noting when a request came in, for :func:`log_response`."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})[_STARTED] = time.perf_counter()
        await app(scope, receive, send)

    return middleware


async def log_response(message: Message, scope: Scope) -> None:
    """App-level ``before_send`` hook: at the start of the response the client gets, log method,
    route template, status, role and the time to this first byte (ms, none for a path no route
    matched); the response carries that time as ``Server-Timing: app;dur=<ms>``.

    It is a hook and not the middleware because a refusal raised by Litestar's own middleware
    (CSRF, which sits inside every middleware of the app and outside the handler's exception
    handler) becomes its 403 only in the app's outermost exception handler: a middleware's
    ``send`` never sees that response, and the access line used to say 500."""
    if message["type"] != "http.response.start" or scope["type"] != "http":
        return
    started = scope.get("state", {}).get(_STARTED)
    took = None if started is None else (time.perf_counter() - started) * 1000
    if took is not None:
        headers = MutableScopeHeaders.from_message(message)
        headers.add("server-timing", f"app;dur={took:.1f}")
    session = scope.get("session") or {}
    user = session.get("user") if isinstance(session, dict) else None
    logging.getLogger(LOGGER + ".access").info(
        "request",
        extra={
            "method": scope.get("method"),
            "route": str(scope.get("path_template") or ""),  # the template, never the path
            "status": message["status"],
            "role": (user or {}).get("role"),
            "ms": None if took is None else round(took, 2),
        },
    )
