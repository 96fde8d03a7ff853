"""Server-side sessions that are created only at sign-in and get a new id at every sign-in.

Litestar's server-side backend stores an (empty) session for every anonymous request and keeps
the id a browser brought along when it signs in. This backend stores nothing and sets no cookie
for anonymous requests, and, when :func:`rotate` was called during the request (sign-in),
deletes the old session and stores the data under a fresh random id (no session fixation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

_ROTATE = "childhealth.rotate_session"


def rotate(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Ask for a fresh session id when this request's session is stored (call at sign-in)."""
    connection.scope.setdefault("state", {})[_ROTATE] = True


class SignInSessionBackend(ServerSideSessionBackend):
    """See the module docstring."""

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        cookie = connection.cookies.get(self.config.key)
        had_session = bool(cookie) and cookie != "null"
        empty = scope_session is Empty or not scope_session
        if empty and not had_session:
            return  # anonymous request: nothing to store, no cookie
        if empty or not connection.scope.get("state", {}).get(_ROTATE):
            await super().store_in_message(scope_session, message, connection)
            return
        store = self.config.get_store_from_app(connection.scope["app"])
        if had_session:
            await self.delete(str(cookie), store=store)
        session_id = self.generate_session_id()
        await self.set(session_id, self.serialize_data(scope_session, connection.scope), store)
        params = dict(
            extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
        )

        headers = MutableScopeHeaders.from_message(message)
        headers.add(
            "Set-Cookie",
            Cookie(value=session_id, key=self.config.key, **params).to_header(header=""),
        )


@dataclass
class SignInSessionConfig(ServerSideSessionConfig):
    """:class:`ServerSideSessionConfig` with :class:`SignInSessionBackend`."""

    _backend_class = SignInSessionBackend  # type: ignore[assignment]
