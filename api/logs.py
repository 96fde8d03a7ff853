"""Structured (JSON-lines) logs with no personal data: an access line per request names the
route template (``/api/v1/children/{child_id}``), never the filled-in path, query or body."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

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


def access_log_middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware logging method, route template, status, role and duration (ms); the
    response carries the server time to its first byte as ``Server-Timing: app;dur=<ms>``."""
    log = logging.getLogger(LOGGER + ".access")

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                took = (time.perf_counter() - start) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={took:.1f}".encode()))
                message = {**message, "headers": headers}  # type: ignore[assignment]
            await send(message)

        try:
            await app(scope, receive, send=sending)
        finally:
            route = str(scope.get("path_template") or "")  # the full template, never the path
            session = scope.get("session") or {}
            user = session.get("user") if isinstance(session, dict) else None
            log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "route": route,
                    "status": status["code"],
                    "role": (user or {}).get("role"),
                    "ms": round((time.perf_counter() - start) * 1000, 2),
                },
            )

    return middleware
