"""The one clock of the service: the deployment's time zone, its local dates, and UTC instants.

"Today" is the local date in the deployment's zone (``CHILDHEALTH_TIMEZONE``, an IANA name,
default ``Asia/Shanghai``): a measurement taken at 07:00 in Beijing is dated that day although it
is still the day before in UTC. Instants (``created_at``, ``raised_at`` …) are stored in UTC and
shown in local time with :meth:`Clock.local`. Pure layers never read a clock: callers pass the
:class:`Moment` (or its ``today``) down.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TIMEZONE_VARIABLE = "CHILDHEALTH_TIMEZONE"
DEFAULT_TIMEZONE = "Asia/Shanghai"


class TimezoneSettingError(ValueError):
    """``CHILDHEALTH_TIMEZONE`` is not an IANA time-zone name (the message names the variable)."""


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name``; :class:`TimezoneSettingError` naming the variable otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise TimezoneSettingError(
            f"{TIMEZONE_VARIABLE} must be an IANA time zone such as {DEFAULT_TIMEZONE}, "
            f"not {name!r}"
        ) from exc


def zone_from_env(environ: Mapping[str, str] = os.environ) -> ZoneInfo:
    """The deployment's zone from ``CHILDHEALTH_TIMEZONE`` (empty or unset: the default)."""
    return zone_named(environ.get(TIMEZONE_VARIABLE, "").strip() or DEFAULT_TIMEZONE)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Moment:
    """One reading of the clock: the instant ``now`` (aware, UTC) and the local ``today``."""

    now: dt.datetime
    today: dt.date


@dataclass(frozen=True)
class Clock:
    """The deployment's clock. ``pinned_today`` fixes the local date (tests, the demo) while the
    time of day still runs; ``source`` gives the current UTC instant (tests pin it)."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    pinned_today: dt.date | None = None
    source: Callable[[], dt.datetime] = _utc_now

    def now(self) -> dt.datetime:
        """The current instant in UTC (on the pinned local date, if one is pinned)."""
        instant = self.source().astimezone(dt.UTC)
        if self.pinned_today is None:
            return instant
        local = instant.astimezone(self.zone)
        moved = dt.datetime.combine(self.pinned_today, local.time(), tzinfo=self.zone)
        return moved.astimezone(dt.UTC)

    def today(self) -> dt.date:
        """The local date now."""
        return self.local_date(self.now())

    def moment(self) -> Moment:
        """``now`` and ``today`` read together (they never disagree)."""
        instant = self.now()
        return Moment(now=instant, today=self.local_date(instant))

    def local(self, instant: dt.datetime) -> dt.datetime:
        """``instant`` in local time (a naive instant is taken as UTC, as the database keeps it)."""
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=dt.UTC)
        return instant.astimezone(self.zone)

    def local_date(self, instant: dt.datetime) -> dt.date:
        """The local date of ``instant``."""
        return self.local(instant).date()

    def at_local(self, day: dt.date, time: dt.time) -> dt.datetime:
        """The UTC instant of local ``time`` on ``day`` (the demo's "09:00 in the clinic")."""
        return dt.datetime.combine(day, time, tzinfo=self.zone).astimezone(dt.UTC)
