"""The ``caller`` and ``visit`` dependencies: one request with everything its handler needs
(the session, the signed-in caller, the clock's reading, the language) and, for routes with a
``child_id``, the child the guard loaded and the pipeline's :class:`~health.pipeline.Author` of
what the caller records.

Idempotent writes, in one place for every POST that creates a record (every POST route but
those whose ``opt`` is :data:`NOT_A_RECORD`): after the guard, :func:`replay_or_claim` (the
app's ``before_request``) looks the request's key up (one read,
:mod:`health.services.idempotency`) and answers with the first answer given under it, or waits
while another request holds it; otherwise :meth:`Caller.writing` claims the key in the
handler's own write transaction (the claim and the record commit together; a refused write
leaves no claim), and the middleware :func:`keep_answers` stores the answer (status, media
type, location, body) once the handler has committed. A claim that finds the key taken after
all (an identical request, on this process or another, claimed it since the look-up) rolls its
transaction back and waits for that answer as a repeat does; 409 with ``Retry-After`` only when
none comes within :data:`WAIT_S`. The key is the ``Idempotency-Key`` header or,
from a page form, its hidden ``idempotency_key`` field (made when the form is rendered), kept
for 24 h per account; the same key with another request is 422. A request without a key is
keyed by its fingerprint (method, path, query, body) for
:data:`~health.services.idempotency.REPEAT_WINDOW`, so a double tap stores one record and both
taps get the same answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from litestar import Litestar, Request, Response
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Operation, Parameter, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api import audit
from api.access import SOURCE, CurrentUser, current_user
from api.context import lang, moment
from api.database import begin_write, blocking
from api.errors import handle, problem
from health.clock import Moment
from health.models import Case, CaseClose, Child
from health.pipeline import Author
from health.services import idempotency
from health.services.cases import close_case

Result = TypeVar("Result")
log = logging.getLogger("childhealth.api")

NOT_A_RECORD = {"idempotent": False}
"""``opt`` of a POST route that creates no record (signing in and out): no idempotency key."""
IDEMPOTENCY_HEADER = "Idempotency-Key"
FORM_FIELD = "idempotency_key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
WAIT_S = 10.0
"""How long a repeat waits for the answer of the request holding its key, before 409."""
KEY_REUSED = "Already sent with other content: reload the page and try again"
IN_PROGRESS = "The same request is still in progress"
_POLL_S = 0.05
_UNSIGNED = (FORM_FIELD, "_csrf_token")  # form fields that are not part of the request
_CLAIM = "childhealth.idempotency"  # scope state: (claim, how long its answer is kept)
_PENDING = "childhealth.idempotency_key"  # scope state, then session info: a key to claim


@dataclass(frozen=True)
class PendingKey:
    """A write's key, looked up and free, to claim in its write transaction; ``state`` is the
    request's scope state (where the claim is left for :func:`keep_answers`)."""

    user_id: int
    key: str
    fingerprint: str
    ttl: dt.timedelta
    state: dict[str, Any]


@dataclass(frozen=True)
class Caller:
    """A request by ``user`` at ``at`` (local ``at.today``), answered in ``language``."""

    db: Session
    user: CurrentUser
    at: Moment
    language: str

    def writing(self) -> Session:
        """The session, its transaction begun for a write (see ``api.database.begin_write``),
        with the request's idempotency key claimed in it (see the module docstring)."""
        begin_write(self.db)
        pending: PendingKey | None = self.db.info.pop(_PENDING, None)
        if pending is not None:
            _claim(self.db, pending, self.at.now)
        return self.db


class AnsweredBefore(Exception):  # noqa: N818  (not an error: the answer to give instead)
    """The write's key was answered meanwhile (by another process): give that answer."""

    def __init__(self, answer: idempotency.Answer) -> None:
        super().__init__("answered before")
        self.answer = answer


class HeldElsewhere(Exception):  # noqa: N818  (not an error: an answer to wait for)
    """The write's key was claimed meanwhile by another request, not answered yet."""

    def __init__(self, pending: PendingKey) -> None:
        super().__init__("held elsewhere")
        self.pending = pending


def _claim(db: Session, pending: PendingKey, now: dt.datetime) -> None:
    """Claim ``pending`` in ``db``'s write transaction (see the module docstring). A key
    taken meanwhile ends the transaction at once (on SQLite it holds the write lock, which the
    request holding the key needs to keep its answer)."""
    try:
        got = idempotency.claim(db, pending.user_id, pending.key, pending.fingerprint, now=now)
    except idempotency.KeyReusedError:
        db.rollback()
        raise _key_reused() from None
    if isinstance(got, idempotency.Claim):
        pending.state[_CLAIM] = (got, pending.ttl)
        return
    db.rollback()
    if isinstance(got, idempotency.Answer):
        raise AnsweredBefore(got)
    raise HeldElsewhere(pending)


def answered_before(request: Request[Any, Any, Any], exc: AnsweredBefore) -> Response[bytes]:
    """Exception handler of :class:`AnsweredBefore`: the first answer, replayed."""
    return _replay(exc.answer)


class _AnswerOnceKept(Response[bytes]):
    """The answer to a key another request holds: sent once that request has kept it
    (polled as :func:`replay_or_claim` does), else 409."""

    def __init__(self, pending: PendingKey) -> None:
        super().__init__(content=b"")
        self.pending = pending

    def to_asgi_response(self, app: Any, request: Request[Any, Any, Any], **kwargs: Any) -> Any:
        pending = self.pending

        async def respond(scope: Scope, receive: Receive, send: Send) -> None:
            try:
                got = await _answer_of(request, pending.user_id, pending.key, pending.fingerprint)
                response = _replay(got) if got is not None else handle(request, _busy())
            except ProblemDetailsException as refused:  # still held after the wait
                response = handle(request, refused)
            await response.to_asgi_response(app, request, **kwargs)(scope, receive, send)

        return respond


def held_elsewhere(request: Request[Any, Any, Any], exc: HeldElsewhere) -> Response[bytes]:
    """Exception handler of :class:`HeldElsewhere`: the holder's answer, once it is kept."""
    return _AnswerOnceKept(exc.pending)


@dataclass(frozen=True)
class Visit(Caller):
    """A request about ``child`` (in the caller's scope)."""

    child: Child

    @property
    def author(self) -> Author:
        """The caller as the author of a record (source by role; clinic or facility)."""
        user = self.user
        return Author(SOURCE[user.role], user.id, user.clinic_id, user.facility_id)

    def record(self, step: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
        """``step(session, child, *args, by=author, at=at, **kwargs)`` of the pipeline in one
        write transaction, committed inside the handler (no other request's write interleaves
        before the commit); a refusal rolls back and writes nothing."""
        db = self.writing()
        result = step(db, self.child, *args, by=self.author, at=self.at, **kwargs)
        db.commit()
        return result


def record_outcome(
    request: Request[Any, Any, Any], caller: Caller, case: Case, data: CaseClose
) -> Case:
    """A doctor's outcome through :func:`health.services.cases.close_case`, audited
    (``case.outcome``) and committed in one write transaction."""
    db = caller.writing()
    closed = close_case(
        db, int(case.id), data, actor_id=caller.user.id, now=caller.at.now,  # type: ignore[arg-type]
        today=caller.at.today,
    )  # fmt: skip
    audit.record(request, db, caller.user, "case.outcome", "case", int(case.id))  # type: ignore[arg-type]
    db.commit()
    return closed


def _hand_over_key(request: Request[Any, Any, Any], db: Session) -> None:
    """The request's key to claim (if any) goes with its session to :meth:`Caller.writing`."""
    pending = request.scope.get("state", {}).pop(_PENDING, None)
    if pending is not None:
        db.info[_PENDING] = pending


def provide_caller(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
) -> Caller:
    """Dependency ``caller``."""
    _hand_over_key(request, db)
    return Caller(db, user, moment(request), lang(request))


def provide_visit(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child: NamedDependency[Child],
) -> Visit:
    """Dependency ``visit`` (routes with a ``child_id``)."""
    _hand_over_key(request, db)
    return Visit(db, user, moment(request), lang(request), child)


def idempotent(handler: HTTPRouteHandler) -> bool:
    """Whether ``handler`` is a POST that creates a record (every POST not :data:`NOT_A_RECORD`)."""
    return "POST" in handler.http_methods and handler.opt.get("idempotent", True) is not False


def _key_and_fingerprint(request: Request[Any, Any, Any], body: bytes) -> tuple[str | None, str]:
    """The request's idempotency key (header, else form field; None without one) and the sha256
    of its method, path, query and body (a form without its key and CSRF token)."""
    key = request.headers.get(IDEMPOTENCY_HEADER) or None
    content = body
    if request.content_type[0] == RequestEncodingType.URL_ENCODED:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        key = key or dict(pairs).get(FORM_FIELD) or None
        content = urlencode([(k, v) for k, v in pairs if k not in _UNSIGNED]).encode()
    if key is not None and len(key) > MAX_KEY_LENGTH:
        raise ValidationException(f"{IDEMPOTENCY_HEADER}: at most {MAX_KEY_LENGTH} characters")
    digest = hashlib.sha256()
    for part in (request.method, request.url.path, request.url.query or ""):
        digest.update(part.encode() + b"\0")
    digest.update(content)
    return key, digest.hexdigest()


def _replay(answer: idempotency.Answer) -> Response[bytes]:
    headers = {REPLAYED_HEADER: "true"}
    if answer.location:
        headers["location"] = answer.location
    return Response(
        content=answer.body,
        status_code=answer.status_code,
        media_type=answer.media_type or "application/octet-stream",
        headers=headers,
    )


async def replay_or_claim(request: Request[Any, Any, Any]) -> Response[bytes] | None:
    """``before_request`` of a write (after the guard): the first answer given under the
    request's key, or None with the key left for :meth:`Caller.writing` to claim (see the
    module docstring). Waits up to :data:`WAIT_S` while another request holds the key, then
    409."""
    if not idempotent(request.route_handler):
        return None
    user = current_user(request)
    if user is None:
        return None
    key, fingerprint = _key_and_fingerprint(request, await request.body())
    stored, ttl = (
        (key, idempotency.KEY_TTL) if key else (f"auto:{fingerprint}", idempotency.REPEAT_WINDOW)
    )
    got = await _answer_of(request, user.id, stored, fingerprint)
    if got is not None:
        return _replay(got)
    state = request.scope.setdefault("state", {})
    state[_PENDING] = PendingKey(user.id, stored, fingerprint, ttl, state)
    return None


async def _answer_of(
    request: Request[Any, Any, Any], user_id: int, key: str, fingerprint: str
) -> idempotency.Answer | None:
    """The answer kept under ``key``, or None when the key is free; while another request
    holds it, polls every :data:`_POLL_S` for up to :data:`WAIT_S`, then 409."""
    engine = request.app.state["engine"]
    waited = 0.0
    while True:
        try:  # a read: inline
            got = _look_up(engine, user_id, key, fingerprint, moment(request).now)
        except idempotency.KeyReusedError:
            raise _key_reused() from None
        if got is None or isinstance(got, idempotency.Answer):
            return got
        if waited >= WAIT_S:
            raise _busy()
        await asyncio.sleep(_POLL_S)
        waited += _POLL_S


def _look_up(
    engine: Engine, user_id: int, key: str, fingerprint: str, now: dt.datetime
) -> idempotency.Answer | str | None:
    """:func:`health.services.idempotency.look_up` on a connection of its own."""
    with engine.connect() as db:
        return idempotency.look_up(db, user_id, key, fingerprint, now=now)


def _key_reused() -> Exception:
    detail = "this key was used for a different request"
    return problem(422, "idempotency-key-reused", KEY_REUSED, detail)


def _busy() -> Exception:
    busy = problem(409, "idempotency-in-progress", IN_PROGRESS, "retry in a second")
    busy.headers = {"Retry-After": "1"}
    return busy


def _media_type(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """The media type (without parameters) and the location of an answer's headers."""
    found = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers}
    media = found.get("content-type")
    return (media.split(";")[0].strip() if media else None), found.get("location")


def _settle(scope: Scope, start: dict[str, Any], body: bytes) -> None:
    """Keep the answer of the request's claim (2xx, 3xx) or release its key (anything else)."""
    held, ttl = scope["state"].pop(_CLAIM)
    app = scope["app"]
    status = int(start.get("status", 500))
    try:
        with app.state["engine"].begin() as db:
            if 200 <= status < 400:
                media, location = _media_type(start.get("headers", []))
                answer = idempotency.Answer(status, media, location, body)
                now: dt.datetime = app.state["clock"].now()
                idempotency.keep(db, held, answer, now=now, ttl=ttl)
            else:
                idempotency.release(db, held)
    except SQLAlchemyError as exc:  # the write stands; only its replay is lost
        log.warning("idempotency answer not stored", extra={"error_type": type(exc).__name__})


def keep_answers(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: store the answer of a request that claimed an idempotency key (see
    :func:`replay_or_claim`) before it is sent, or release the key (blocking work: see
    ``api.database.blocking``)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def sending(message: Message) -> None:
            if scope.get("state", {}).get(_CLAIM) is not None:
                if message["type"] == "http.response.start":
                    start.update(status=message["status"], headers=message.get("headers", []))
                elif message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))
                    if not message.get("more_body", False):
                        await blocking(engine, _settle, scope, start, b"".join(chunks))
            await send(message)

        engine = scope["app"].state["engine"]
        try:
            await app(scope, receive, sending)
        finally:
            if scope.get("state", {}).get(_CLAIM) is not None:  # no complete answer was sent
                await blocking(engine, _settle, scope, start, b"".join(chunks))

    return middleware


KEY_PARAMETER = Parameter(
    name=IDEMPOTENCY_HEADER,
    param_in="header",
    required=False,
    description=(
        "A random key (at most 255 characters) per record to create: a repeat with the same key "
        "within 24 h gets the first answer (header Idempotent-Replayed), the same key with "
        "another body 422. Without a key, the same body again within 10 s is a repeat too."
    ),
    schema=Schema(type=OpenAPIType.STRING, max_length=MAX_KEY_LENGTH),
)


@dataclass
class IdempotentOperation(Operation):
    """The OpenAPI operation of a write: its parameters include ``Idempotency-Key``."""

    def __post_init__(self) -> None:
        self.parameters = [*(self.parameters or []), KEY_PARAMETER]


def document_idempotency(app: Litestar) -> None:
    """Document the ``Idempotency-Key`` header on every write route of ``app``."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler, _ in route.route_handler_map.values():
                if idempotent(handler):
                    handler.operation_class = IdempotentOperation
