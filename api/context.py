"""What a request knows about its context: the service's one clock and the caller's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar.connection import ASGIConnection

from api.settings import Settings
from health.clock import Clock, Moment

Connection = ASGIConnection[Any, Any, Any, Any]


def settings_of(connection: Connection) -> Settings:
    return connection.app.state["settings"]


def clock_of(connection: Connection) -> Clock:
    """The app's one clock (see :mod:`health.clock`)."""
    return connection.app.state["clock"]


def moment(connection: Connection) -> Moment:
    """Now (UTC) and the local "today", read together."""
    return clock_of(connection).moment()


def today(connection: Connection) -> dt.date:
    """The service's "today": the local date in the deployment's time zone."""
    return clock_of(connection).today()


def now(connection: Connection) -> dt.datetime:
    """Now in UTC (on the pinned local date in tests and the demo)."""
    return clock_of(connection).now()


def lang(connection: Connection) -> str:
    return str(connection.scope.get("state", {}).get("locale") or "zh-CN")


def public_base(request: Connection) -> str:
    """The service's public address without a trailing slash: ``CHILDHEALTH_PUBLIC_URL`` when
    set (behind a reverse proxy), else the request's own base address."""
    configured = settings_of(request).public_url
    return configured or str(request.base_url).rstrip("/")
