"""Changes to an account that end its sessions: deactivation, a new password, signing out
everywhere. The web service checks every request's session against the account (active, role,
scope, and that the session began after ``password_changed_at`` and ``sessions_valid_after``),
so these take effect on the account's next request in every process.

Each function flushes; the caller commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from health.models import User
from health.passwords import check_password
from health.registry import NotFoundError, hash_password


def _account(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("user", user_id)
    return user


def session_valid(user: User, signed_in: dt.datetime) -> bool:
    """Whether a session of ``user`` begun at ``signed_in`` may go on: the account is active and
    neither its password was changed nor was it signed out everywhere after that instant."""
    if not user.active:
        return False
    ends = [t for t in (user.password_changed_at, user.sessions_valid_after) if t is not None]
    return all(signed_in >= _aware(t) for t in ends)


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)


def sign_out_everywhere(session: Session, user_id: int, *, now: dt.datetime) -> User:
    """End every session of the account begun before ``now``."""
    user = _account(session, user_id)
    user.sessions_valid_after = now
    session.flush()
    return user


def deactivate(session: Session, user_id: int, *, now: dt.datetime) -> User:
    """Close the account: no sign-in, and its sessions end at their next request."""
    user = _account(session, user_id)
    user.active = False
    user.sessions_valid_after = now
    session.flush()
    return user


def change_password(session: Session, user_id: int, password: str, *, now: dt.datetime) -> User:
    """Set a new password (the rules of :func:`health.passwords.check_password`); the sessions
    begun before ``now`` end."""
    user = _account(session, user_id)
    check_password(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    session.flush()
    return user
