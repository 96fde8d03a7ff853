"""Small helpers shared by the route modules: the service's clock and the request's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request

from api.settings import Settings


def settings_of(request: Request[Any, Any, Any]) -> Settings:
    return request.app.state["settings"]


def today(request: Request[Any, Any, Any]) -> dt.date:
    """The service's "today" (pinned in tests and the demo)."""
    return settings_of(request).current_date()


def now(request: Request[Any, Any, Any]) -> dt.datetime:
    """Now in UTC, moved to the service's "today" when that is pinned."""
    clock = dt.datetime.now(dt.UTC)
    pinned = settings_of(request).today
    return dt.datetime.combine(pinned, clock.timetz()) if pinned else clock


def lang(request: Request[Any, Any, Any]) -> str:
    return str(request.scope.get("state", {}).get("locale") or "zh-CN")
