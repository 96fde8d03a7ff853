"""What the web service shares between its processes in the database: the answers of
idempotent writes (``Idempotency-Key``), the sign-in throttle's failure counts and the key/value
store of sessions and caches (``kv_store``). None holds a name or a password: keys are the
client's random tokens or hashes, usernames and addresses are stored as sha256 hashes only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from health.models.ids import BIG_ID


class IdempotencyRecord(SQLModel, table=True):
    """One write of one account under one key: in progress while ``status_code`` is empty,
    then the first answer (status, media type, location, body), kept until ``expires_at``."""

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_key"),
        Index("ix_idempotency_records_expires_at", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    user_id: int = Field(foreign_key="users.id")
    key: str = Field(max_length=255, description="The client's key, or auto:<fingerprint>")
    fingerprint: str = Field(max_length=64, description="sha256 of method, path and body")
    status_code: int | None = None
    media_type: str | None = Field(default=None, max_length=255)
    location: str | None = Field(default=None, max_length=2000)
    body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: dt.datetime
    expires_at: dt.datetime


class SignInThrottle(SQLModel, table=True):
    """Recent failed sign-ins of one account or one client address (``key``: sha256 of
    ``account:<username>`` or ``address:<host>``) and until when the next try must wait."""

    __tablename__ = "sign_in_throttle"

    key: str = Field(max_length=64, primary_key=True)
    failures: int = 0
    last_failure_at: dt.datetime
    blocked_until: dt.datetime | None = None


class KeyValue(SQLModel, table=True):
    """One entry of the web service's shared key/value store (``api.stores.DatabaseStore``):
    server-side sessions and short-lived caches. ``key`` is ``<namespace>:<key>``; an entry is
    gone once ``expires_at`` (UTC) has passed; ``expires_at`` empty means it never expires."""

    __tablename__ = "kv_store"
    __table_args__ = (Index("ix_kv_store_expires_at", "expires_at"),)

    key: str = Field(max_length=255, primary_key=True)
    value: bytes = Field(sa_type=LargeBinary)
    expires_at: dt.datetime | None = None
