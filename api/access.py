"""Deny by default: every route declares its roles (``opt["roles"]``) and :func:`guard`, the one
guard of the app, enforces role and scope.

- no ``roles`` declared: 403 for everyone (a route someone forgot to declare stays closed);
- ``PUBLIC``: anyone; otherwise the caller must be signed in (401) with one of the roles (403);
- a ``child_id`` path parameter must name a child in the caller's scope, else 404 exactly as
  for a child that does not exist; a ``case_id`` likewise through its child. The guard loads
  the child (and the case) once and hands them to the handler as the ``child`` and ``case``
  dependencies.

Scopes: parent, own children (guardianships); doctor, children living in the township of their
clinic or enrolled now at a facility linked to it; facility, children enrolled now at their
facility; bureau, no child at all (aggregates of their area only); admin, everything.

Every GET of a route with a ``child_id``/``case_id`` by anyone but a parent (whose scope is their
own children) is written to the access audit (``child.read``), API and pages alike.

The session keeps only who signed in and when (:data:`SIGNED_IN_KEY`, the app clock's instant);
role and scope are read from the account at every request (one primary-key read, see
:func:`current_user`). A session ends at its next request when the account was deactivated, its
password changed or it was signed out everywhere after the session began.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import ColumnElement, and_, bindparam, exists, select
from sqlalchemy.orm import Session

from api import audit
from api.errors import ChildNotFoundError
from health.models import Case, Child, Enrolment, Guardianship, User
from health.models.enums import Source
from health.services.accounts import session_valid
from health.services.scopes import clinic_children, facility_children

PUBLIC = ("*",)
PARENT, DOCTOR, FACILITY, BUREAU, ADMIN = "parent", "doctor", "facility", "bureau", "admin"
ALL_ROLES = (PARENT, DOCTOR, FACILITY, BUREAU, ADMIN)
CHILD_ROLES = (PARENT, DOCTOR, FACILITY, ADMIN)
ENTERING = (PARENT, DOCTOR, FACILITY, ADMIN)
"""Roles that enter measurements and questionnaires."""
CLINICIANS = (DOCTOR, ADMIN)
SOURCE = {
    PARENT: Source.home,
    DOCTOR: Source.clinic,
    FACILITY: Source.facility,
    ADMIN: Source.clinic,
}
"""Where a record entered by each role was taken."""
SESSION_KEY = "user"
SIGNED_IN_KEY = "signed_in"  # the sign-in instant (ISO 8601, UTC, the app's clock)
_ACCOUNT = "childhealth.account"  # scope state: the account as read for this request
MAX_ID = 2**63 - 1  # the largest row id either database stores (signed 64-bit)


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in account as kept in the session (no personal data beyond the username)."""

    id: int
    username: str
    role: str
    clinic_id: int | None = None
    facility_id: int | None = None
    area_id: int | None = None

    def as_session(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, user: User) -> CurrentUser:
        """The account ``user`` as it stands."""
        return cls(
            id=int(user.id),  # type: ignore[arg-type]
            username=user.username,
            role=str(user.role),
            clinic_id=user.clinic_id,
            facility_id=user.facility_id,
            area_id=user.area_id,
        )


def _session_start(data: Any) -> tuple[int, dt.datetime] | None:
    """The account id and sign-in instant a session holds, or None."""
    if not isinstance(data, dict):
        return None
    try:
        since = dt.datetime.fromisoformat(data[SIGNED_IN_KEY])
        return int(data[SESSION_KEY]["id"]), since
    except (KeyError, TypeError, ValueError):
        return None


_USERS = User.__table__.c  # type: ignore[attr-defined]
_ACCOUNT_READ = select(
    _USERS.id, _USERS.username, _USERS.role, _USERS.clinic_id, _USERS.facility_id,
    _USERS.area_id, _USERS.active, _USERS.password_changed_at, _USERS.sessions_valid_after,
).where(_USERS.id == bindparam("id"))  # fmt: skip
"""What a request needs of its account: one primary-key read of plain columns (no ORM)."""


def _read_account(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser | None:
    """The session's account read from the database (one primary-key read), or None; a session
    the account no longer allows is ended (stored back empty, its cookie cleared)."""
    data = connection.scope.get("session")
    start = _session_start(data)
    if start is None:
        if isinstance(data, dict) and SESSION_KEY in data:
            connection.clear_session()  # a session of an older form: sign in again
        return None
    db = _db(connection)
    began = not db.in_transaction()
    try:
        row = db.connection().execute(_ACCOUNT_READ, {"id": start[0]}).first()
        valid = row is not None and session_valid(row, start[1])  # type: ignore[arg-type]
        user = CurrentUser.of(row) if valid else None  # type: ignore[arg-type]
    finally:
        if began:
            db.rollback()  # ends the read (see guard); never a transaction the caller began
    if user is None:
        connection.clear_session()
    elif isinstance(data, dict):
        data[SESSION_KEY] = user.as_session()  # the access log names the current role
    return user


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser | None:
    """The signed-in user of the request as the account stands now (read once per request),
    or None."""
    state = connection.scope.setdefault("state", {})
    if _ACCOUNT not in state:
        state[_ACCOUNT] = _read_account(connection)
    return state[_ACCOUNT]


def remember(connection: ASGIConnection[Any, Any, Any, Any], user: CurrentUser | None) -> None:
    """Make ``user`` the request's signed-in user (at sign-in and sign-out)."""
    connection.scope.setdefault("state", {})[_ACCOUNT] = user


def _db(connection: ASGIConnection[Any, Any, Any, Any]) -> Session:
    config = connection.app.state["db_config"]
    return config.provide_session(connection.app.state, connection.scope)


def open_enrolment(on_facility: ColumnElement[bool]) -> Any:
    """EXISTS an open enrolment of ``Child`` matching ``on_facility``."""
    return exists().where(Enrolment.child_id == Child.id, Enrolment.end_date.is_(None), on_facility)


def child_scope(user: CurrentUser) -> ColumnElement[bool]:
    """SQL condition on ``Child`` that holds for the children ``user`` may see."""
    if user.role == ADMIN:
        return Child.id.is_not(None)
    if user.role == PARENT:
        return exists().where(Guardianship.child_id == Child.id, Guardianship.user_id == user.id)
    if user.role == DOCTOR:
        return clinic_children(user.clinic_id)
    if user.role == FACILITY:
        return facility_children(user.facility_id)
    return Child.id.is_(None)  # bureau: never a child


_CHILD_ID = bindparam("child_id", type_=Child.__table__.c.id.type)  # type: ignore[attr-defined]
_SCOPE_PARAMS = {PARENT: "id", DOCTOR: "clinic_id", FACILITY: "facility_id"}
"""The account attribute each role's scope reads (admin and bureau read none)."""


@cache
def _child_read(role: str) -> Any:
    """The child read of :func:`child_for` for ``role``, built once over bind parameters
    (``child_id`` and the account attribute of :data:`_SCOPE_PARAMS` under its own name)."""
    name = _SCOPE_PARAMS.get(role)
    value = bindparam(name, type_=User.__table__.c[name].type) if name else None  # type: ignore[attr-defined]
    stand_in = CurrentUser(value, "", role, clinic_id=value, facility_id=value)  # type: ignore[arg-type]
    return select(Child).where(and_(Child.id == _CHILD_ID, child_scope(stand_in)))


def child_for(session: Session, user: CurrentUser, child_id: int) -> Child:
    """The child ``child_id`` if ``user`` may see it, else :class:`ChildNotFoundError`."""
    name = _SCOPE_PARAMS.get(user.role)
    params: dict[str, Any] = {"child_id": child_id}
    if name is not None:  # an account without its clinic or facility: "= NULL", no child
        params[name] = getattr(user, name)
    statement = _child_read(user.role if user.role in ALL_ROLES else BUREAU)
    child = session.execute(statement, params).scalar_one_or_none()
    if child is None:
        raise ChildNotFoundError
    return child


def case_for(session: Session, user: CurrentUser, case_id: int) -> Case:
    """The case ``case_id`` if its child is in ``user``'s scope, else 404."""
    case = session.get(Case, case_id)
    if case is None:
        raise ChildNotFoundError
    child_for(session, user, case.child_id)
    return case


def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The app's only guard (see the module docstring)."""
    roles = handler.opt.get("roles")
    if roles == PUBLIC:
        return
    params = connection.path_params
    if "child_id" not in params and "case_id" not in params:
        _allow(current_user(connection), roles)
        return
    session = _db(connection)
    state = connection.scope.setdefault("state", {})
    if _ACCOUNT not in state:
        session.connection()  # one read transaction for the account and the record
    try:
        user = _allow(current_user(connection), roles)
        if any(not 1 <= int(params[k]) <= MAX_ID for k in ("child_id", "case_id") if k in params):
            raise ChildNotFoundError  # no row has this id (and the database cannot bind it)
        if "child_id" in params:
            state["child"] = child_for(session, user, int(params["child_id"]))
        if "case_id" in params:
            state["case"] = case_for(session, user, int(params["case_id"]))
        for loaded in (state.get("child"), state.get("case")):
            if loaded is not None:
                session.expunge(loaded)  # keeps its loaded values across the rollback
    finally:
        # end the read transaction: on SQLite a stale snapshot held across the await before the
        # handler would make the handler's write fail when another request committed meanwhile
        session.rollback()
    if connection.scope["method"] == "GET" and user.role != PARENT:
        # a parent's scope is their own children: every other reader of a record is audited
        kind, ref = (
            ("child", params["child_id"]) if "child_id" in params else ("case", params["case_id"])
        )
        audit.record(connection, session, user, "child.read", kind, int(ref), own_transaction=True)


def _allow(user: CurrentUser | None, roles: Any) -> CurrentUser:
    """``user`` when signed in with one of ``roles``; else 401 (not signed in) or 403."""
    if roles is None:
        raise PermissionDeniedException
    if user is None:
        raise NotAuthorizedException
    if user.role not in roles:
        raise PermissionDeniedException
    return user


def scoped_child(request: Request[Any, Any, Any]) -> Child:
    """Dependency ``child``: the child of the ``child_id`` in the path, loaded by the guard."""
    child = request.scope.get("state", {}).get("child")
    if child is None:
        raise ChildNotFoundError
    return child


def scoped_case(request: Request[Any, Any, Any]) -> Case:
    """Dependency ``case``: the case of the ``case_id`` in the path, loaded by the guard."""
    case = request.scope.get("state", {}).get("case")
    if case is None:
        raise ChildNotFoundError
    return case


def require_user(request: Request[Any, Any, Any]) -> CurrentUser:
    """Dependency: the signed-in user (the guard has already refused anonymous callers)."""
    user = current_user(request)
    if user is None:
        raise NotAuthorizedException
    return user
