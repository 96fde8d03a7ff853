"""Limits checked before anything parses a request: control characters in the address, the
size of the body, and how deeply a JSON body nests. Litestar, pydantic and the form parser then
only ever see requests within them; each refusal is a problem of :mod:`api.errors` (400 or
413, with a translated title), rendered like every other one."""

from __future__ import annotations

from itertools import accumulate
from typing import Any
from urllib.parse import unquote_to_bytes

from litestar.plugins.problem_details import ProblemDetailsException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import CONTROLS, handle, problem

MAX_BODY_BYTES = 64 * 1024
"""The largest body accepted (the largest real one, a feeding recall, is about 2 KiB)."""

MAX_JSON_DEPTH = 32
"""The deepest nesting of arrays and objects accepted in a JSON body (real ones reach 3)."""

WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORMS = (b"application/x-www-form-urlencoded", b"multipart/")
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")  # every byte but the four brackets
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in ``body`` (brackets inside strings do not count).
    Linear in the body's length, and meant for bodies that may not even be valid JSON."""
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.split(b'"')[0::2])  # the parts between strings
    brackets = outside.translate(None, _BRACKETS)
    return max(accumulate(_STEP[b] for b in brackets), default=0)


def refuse_controls(scope: Scope) -> None:
    """A 400 problem when the path or the decoded query string holds a control character
    (C0, DEL or C1): no address of the service has one, and file systems and databases choke
    on a NUL."""
    query = unquote_to_bytes(bytes(scope.get("query_string", b"")).replace(b"+", b" "))
    if CONTROLS.search(scope.get("path", "")) or CONTROLS.search(query.decode(errors="replace")):
        raise problem(
            400, "bad-address", "The address contains characters that are not allowed.",
            "control characters in the path or query",
        )  # fmt: skip


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return b""


def _too_large() -> Exception:
    return problem(
        413, "body-too-large", "The request is too large.",
        f"the body is larger than {MAX_BODY_BYTES} bytes", limit_bytes=MAX_BODY_BYTES,
    )  # fmt: skip


async def read_body(scope: Scope, receive: Receive) -> bytes:
    """The whole body, refused (413) beyond :data:`MAX_BODY_BYTES` as declared or as sent."""
    declared = _header(scope, b"content-length")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def check_body(scope: Scope, body: bytes) -> None:
    """A 400 problem when a body that is not a form nests deeper than :data:`MAX_JSON_DEPTH`."""
    if _header(scope, b"content-type").lower().startswith(FORMS):
        return
    if json_depth(body) > MAX_JSON_DEPTH:
        raise problem(
            400, "too-deep", "The request is nested too deeply.",
            f"arrays and objects nest deeper than {MAX_JSON_DEPTH} levels",
            limit_depth=MAX_JSON_DEPTH,
        )  # fmt: skip


class RequestLimits:
    """ASGI middleware: :func:`refuse_controls`, then for requests with a body
    :func:`read_body` and :func:`check_body`; the handler reads the body that was checked. A
    refusal is answered here (so the access log records its status) by :func:`api.errors.handle`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                refuse_controls(scope)
                if scope.get("method") in WITH_BODY:
                    body = await read_body(scope, receive)
                    check_body(scope, body)
                    receive = _replay(body, receive)
            except ProblemDetailsException as exc:
                await _answer(scope, receive, send, exc)
                return
        await self.app(scope, receive, send)


async def _answer(scope: Scope, receive: Receive, send: Send, exc: ProblemDetailsException) -> None:
    """Send the problem ``exc`` as every handler's problems are sent (JSON or a page)."""
    app = scope["litestar_app"]
    request = app.request_class(scope=scope, receive=receive, send=send)
    response = handle(request, exc)
    await response.to_asgi_response(app=None, request=request)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then waits on the client as before."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        message: dict[str, Any] = {"type": "http.request", "body": body, "more_body": False}
        return message  # type: ignore[return-value]

    return replay
