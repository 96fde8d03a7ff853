"""Links a parent hands out: the child's summary for the clinic (expires) and the child's
calendar feed (until revoked). Only the sha256 of each token is stored; the token itself is
shown once, to the parent who made it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

LINK_KINDS = ("summary", "calendar")


class ShareLink(SQLModel, table=True):
    """One link of ``kind`` to one child's data; valid while not revoked and, when
    ``expires_at`` is set, before that UTC instant."""

    __tablename__ = "share_links"
    __table_args__ = (
        CheckConstraint("kind IN ('summary', 'calendar')", name="ck_share_links_kind"),
        Index("ix_share_links_child", "child_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="children.id")
    kind: str = Field(max_length=16)
    token_sha256: str = Field(max_length=64, unique=True, description="hex sha256 of the token")
    created_by_id: int = Field(foreign_key="users.id")
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
