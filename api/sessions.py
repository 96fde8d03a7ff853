"""Server-side sessions that are created only at sign-in and get a new id at every sign-in.

Litestar's server-side backend stores an (empty) session for every anonymous request and keeps
the id a browser brought along when it signs in. This backend stores nothing and sets no cookie
for anonymous requests, and, when :func:`rotate` was called during the request (sign-in),
deletes the old session and stores the data under a fresh random id (no session fixation).

Sessions live in the store every process shares (``api.stores``: the database by default,
Valkey/Redis with ``CHILDHEALTH_STORE_URL``), so any process recognises a session begun on
another. :class:`SharedSessionMiddleware` writes a request's session after the request's own
database transaction has ended and before its response leaves the process. A cookie of a
session that is over (or unknown) is cleared and nothing is stored for it.

A session ends (is loaded as empty, i.e. signed out) when it has been idle for longer than
``Settings.session_idle_s`` or is older than ``Settings.session_max_age_s`` (absolute lifetime,
counted from sign-in), whatever the browser does with its cookie. Times are wall-clock seconds
from :data:`clock`. The last request's time is stored to :data:`SEEN_STEP_S`: a request within
that step of the stored time changes nothing, so the session is not written again (no store
write and no cookie on most requests); the idle limit is then kept to within that step.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware import DefineMiddleware
from litestar.middleware.session.base import SessionMiddleware
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, Scope, ScopeSession
from litestar.utils import ensure_async_callable
from litestar.utils.dataclass import extract_dataclass_items

_ROTATE = "childhealth.rotate_session"
_PENDING = "childhealth.session_writes"
_LOADED = "childhealth.session_loaded"  # the stored session as loaded (serialised)
SEEN_STEP_S = 60.0
"""How far a request must be from the stored last-request time to move it (seconds)."""
STARTED = "started"  # sign-in time, seconds since the epoch
SEEN = "seen"  # last request's time, seconds since the epoch

clock: Callable[[], float] = time.time
"""Wall-clock seconds; replaceable (tests move time instead of sleeping)."""


def expired(data: dict[str, Any], now: float, idle_s: float, lifetime_s: float) -> bool:
    """Whether a stored session is over: idle longer than ``idle_s`` seconds, older than
    ``lifetime_s`` seconds, or lacking its timestamps (an ending exactly at the limit still
    counts as alive)."""
    started, seen = data.get(STARTED), data.get(SEEN)
    if not isinstance(started, (int, float)) or not isinstance(seen, (int, float)):
        return True
    return now - seen > idle_s or now - started > lifetime_s


def rotate(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Ask for a fresh session id when this request's session is stored (call at sign-in)."""
    connection.scope.setdefault("state", {})[_ROTATE] = True


class SignInSessionBackend(ServerSideSessionBackend):
    """See the module docstring."""

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        if not data:
            return data
        settings = connection.app.state["settings"]
        now = clock()
        if expired(data, now, settings.session_idle_s, settings.session_max_age_s):
            return {}  # stored back empty at the response, which deletes it
        loaded = self.serialize_data(data, connection.scope)
        connection.scope.setdefault("state", {})[_LOADED] = loaded
        if now - data[SEEN] >= SEEN_STEP_S:
            data[SEEN] = now
        return data

    async def prepare(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> list[Callable[[], Awaitable[None]]]:
        """Set the response's session cookie in ``message`` and return the store writes that go
        with it (run by :class:`SharedSessionMiddleware` once the response has started)."""
        cookie = connection.cookies.get(self.config.key)
        had_session = bool(cookie) and cookie != "null"
        empty = scope_session is Empty or not scope_session
        if empty and not had_session:
            return []  # anonymous request: nothing to store, no cookie
        store = self.config.get_store_from_app(connection.scope["app"])
        params = dict(
            extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
        )
        headers = MutableScopeHeaders.from_message(message)
        if empty:  # signed out, or the cookie of a session that is over: forget it everywhere
            gone = Cookie(value="null", key=self.config.key, expires=0, **params)
            headers.add("Set-Cookie", gone.to_header(header=""))
            return [partial(self.delete, str(cookie), store)]
        writes: list[Callable[[], Awaitable[None]]] = []
        rotated = bool(connection.scope.get("state", {}).get(_ROTATE))
        if rotated:
            now = clock()
            scope_session[STARTED] = scope_session[SEEN] = now  # type: ignore[index]
            if had_session:
                writes.append(partial(self.delete, str(cookie), store))
            session_id = self.generate_session_id()
        else:
            session_id = self.get_session_id(connection)
        data = self.serialize_data(scope_session, connection.scope)
        if not rotated and data == connection.scope.get("state", {}).get(_LOADED):
            return []  # unchanged: the stored session and the browser's cookie stand
        writes.append(partial(self.set, session_id, data, store))
        headers.add(
            "Set-Cookie",
            Cookie(value=session_id, key=self.config.key, **params).to_header(header=""),
        )
        return writes

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        """:meth:`prepare` and its store writes at once (Litestar's interface)."""
        for write in await self.prepare(scope_session, message, connection):
            await write()


class SharedSessionMiddleware(SessionMiddleware):
    """Litestar's session middleware, writing the session to the shared store only after the
    request's own database transaction has ended (committed or rolled back by the database
    plugin's before-send hook), so on SQLite the session write never waits for a write lock
    its own request holds. The writes run in :func:`write_session` (a before-send hook after
    the database plugin's: :func:`install_session_writes`), that is before the response's first
    byte leaves the process, so a client never acts on an answer (a 204 sign-out included)
    before its session is stored; without that hook, right after the before-send hooks."""

    def create_send_wrapper(
        self, connection: ASGIConnection
    ) -> Callable[[Message], Awaitable[None]]:
        backend: SignInSessionBackend = self.backend  # type: ignore[assignment]

        async def wrapped_send(message: Message) -> None:
            if message["type"] != "http.response.start":
                await connection.send(message)
                return
            writes = await backend.prepare(connection.scope.get("session"), message, connection)
            state = connection.scope.setdefault("state", {})
            state[_PENDING] = writes
            await connection.send(message)  # the before-send hooks: commit, then write_session
            for write in state.pop(_PENDING, None) or ():
                await write()

        return wrapped_send


async def write_session(message: Message, scope: Scope) -> None:
    """Before-send hook: the session writes :class:`SharedSessionMiddleware` left for this
    response (it runs after the database plugin's hook, see :func:`install_session_writes`)."""
    if message["type"] != "http.response.start":
        return
    for write in scope.get("state", {}).pop(_PENDING, None) or ():
        await write()


def install_session_writes(app: Litestar) -> None:
    """Run :func:`write_session` last among ``app``'s before-send hooks, after the database
    plugin's (which ends the request's transaction; plugins add theirs while the app is made,
    so this is called on the finished app)."""
    app.before_send.append(ensure_async_callable(write_session))


@dataclass
class SignInSessionConfig(ServerSideSessionConfig):
    """:class:`ServerSideSessionConfig` with :class:`SignInSessionBackend`."""

    _backend_class = SignInSessionBackend  # type: ignore[assignment]

    @property
    def middleware(self) -> DefineMiddleware:
        """:class:`SharedSessionMiddleware` with :class:`SignInSessionBackend`."""
        return DefineMiddleware(SharedSessionMiddleware, backend=self._backend_class(config=self))
