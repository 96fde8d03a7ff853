"""Settings of the web service, read once from the environment (``CHILDHEALTH_*``)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from dataclasses import dataclass, field

from health.clock import DEFAULT_TIMEZONE, TIMEZONE_VARIABLE, Clock, zone_named
from health.growth_reference import DEFAULT_REFERENCE, REFERENCE_VARIABLE, reference_named

SESSION_DIR_VARIABLE = "CHILDHEALTH_SESSION_DIR"
SESSION_DIR_WARNING = (
    "CHILDHEALTH_SESSION_DIR is no longer used: sessions live in the shared store "
    "(the database, or CHILDHEALTH_STORE_URL); unset it"
)


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _seconds(name: str, default: int) -> int:
    """A positive whole number of seconds from ``name``, else ``default``; ValueError naming the
    variable for anything else."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) <= 0:
        raise ValueError(f"{name} must be a positive whole number of seconds, not {value!r}")
    return int(value)


@dataclass(frozen=True)
class Settings:
    """What ``create_app`` needs.

    ``database_url`` empty means the default SQLite file (see ``health.db``). ``store_url``
    (``CHILDHEALTH_STORE_URL``) is where sessions and caches are shared by every process and
    machine: empty means the database itself (table ``kv_store``), ``redis://…`` /
    ``valkey://…`` a Valkey/Redis server (see :mod:`api.stores`). No file is shared.
    ``cookie_secure`` should only be False on plain-HTTP loopback (demo, browser tests).
    ``today`` pins the local date the service considers "today" (tests, demo); None means the
    clock. ``timezone`` is the deployment's IANA zone: "today" is the local date there, and
    instants are shown in it (see :mod:`health.clock`).
    A session ends after ``session_idle_s`` seconds without a request or ``session_max_age_s``
    seconds after sign-in, whichever comes first.
    ``warm_charts`` builds every reference growth chart in the background at start-up, so that
    no parent waits for the first one (on for ``childhealth serve``).
    ``public_url`` is the address families and clinics reach the service at (behind a reverse
    proxy, e.g. ``https://childhealth.example.cn``); links and QR codes are built on it. Empty:
    the address of the request.
    """

    database_url: str = ""
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    cookie_secure: bool = True
    store_url: str = ""
    session_max_age_s: int = 8 * 3600
    session_idle_s: int = 30 * 60
    debug: bool = False
    today: dt.date | None = None
    default_locale: str = "zh-CN"
    warm_charts: bool = False
    timezone: str = DEFAULT_TIMEZONE
    public_url: str = ""
    growth_reference: str = DEFAULT_REFERENCE
    """``who`` or ``ws423``: the reference charts open on (``health.growth_reference``)."""

    def __post_init__(self) -> None:
        zone_named(self.timezone)  # a bad name fails at start-up, naming the variable
        reference_named(self.growth_reference)  # likewise
        if self.store_url:
            from api.stores import redis_url

            redis_url(self.store_url)  # likewise: StoreConfigError (a ValueError) in one line
        if self.public_url and not self.public_url.startswith(("https://", "http://")):
            raise ValueError(
                "CHILDHEALTH_PUBLIC_URL must start with https:// (or http://), "
                f"not {self.public_url!r}"
            )

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from ``CHILDHEALTH_DATABASE_URL``, ``CHILDHEALTH_SECRET_KEY``,
        ``CHILDHEALTH_COOKIE_SECURE`` (default on), ``CHILDHEALTH_STORE_URL``,
        ``CHILDHEALTH_DEBUG``, ``CHILDHEALTH_TODAY`` (ISO date), ``CHILDHEALTH_SESSION_IDLE_S``
        and ``CHILDHEALTH_SESSION_MAX_AGE_S`` (whole seconds), ``CHILDHEALTH_TIMEZONE`` (IANA),
        ``CHILDHEALTH_PUBLIC_URL`` (the service's public address, for links).
        ``CHILDHEALTH_SESSION_DIR`` is no longer read (sessions are in the shared store): when
        it is set, a warning says so."""
        if os.environ.get(SESSION_DIR_VARIABLE, "").strip():
            logging.getLogger("childhealth").warning(SESSION_DIR_WARNING)
        today = os.environ.get("CHILDHEALTH_TODAY", "").strip()
        return cls(
            database_url=os.environ.get("CHILDHEALTH_DATABASE_URL", "").strip(),
            secret_key=os.environ.get("CHILDHEALTH_SECRET_KEY", "") or secrets.token_hex(32),
            cookie_secure=_flag("CHILDHEALTH_COOKIE_SECURE", True),
            store_url=os.environ.get("CHILDHEALTH_STORE_URL", "").strip(),
            debug=_flag("CHILDHEALTH_DEBUG", False),
            today=dt.date.fromisoformat(today) if today else None,
            warm_charts=_flag("CHILDHEALTH_WARM_CHARTS", True),
            session_idle_s=_seconds("CHILDHEALTH_SESSION_IDLE_S", cls.session_idle_s),
            session_max_age_s=_seconds("CHILDHEALTH_SESSION_MAX_AGE_S", cls.session_max_age_s),
            timezone=os.environ.get(TIMEZONE_VARIABLE, "").strip() or DEFAULT_TIMEZONE,
            public_url=os.environ.get("CHILDHEALTH_PUBLIC_URL", "").strip().rstrip("/"),
            growth_reference=reference_named(os.environ.get(REFERENCE_VARIABLE, "")),
        )

    def clock(self) -> Clock:
        """The service's one clock (local dates in :attr:`timezone`, pinned to :attr:`today`)."""
        return Clock(zone=zone_named(self.timezone), pinned_today=self.today)

    def current_date(self) -> dt.date:
        """The service's "today": the local date in :attr:`timezone`."""
        return self.clock().today()
