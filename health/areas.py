"""The area tree: its closure table (every area with each ancestor) and scope queries."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, literal, select
from sqlmodel import Session

from health.models import Area, AreaAncestor

AREA_TABLE = Area.__table__  # type: ignore[attr-defined]
ANCESTOR_TABLE = AreaAncestor.__table__  # type: ignore[attr-defined]


def rebuild_area_ancestors(conn: Connection | Session) -> None:
    """Recompute ``area_ancestors`` from ``areas.parent_id`` with one recursive query.

    Areas are few (thousands at most), so a full rebuild after any change is cheap and simple.
    """
    a = AREA_TABLE.alias("a")
    walk = select(
        a.c.id.label("area_id"), a.c.id.label("ancestor_id"), literal(0).label("depth")
    ).cte("walk", recursive=True)
    parent = AREA_TABLE.alias("p")
    walk = walk.union_all(
        select(walk.c.area_id, parent.c.parent_id, walk.c.depth + 1)
        .select_from(walk.join(parent, parent.c.id == walk.c.ancestor_id))
        .where(parent.c.parent_id.is_not(None))
    )
    conn.execute(delete(ANCESTOR_TABLE))
    conn.execute(
        insert(ANCESTOR_TABLE).from_select(
            ["area_id", "ancestor_id", "depth"],
            select(walk.c.area_id, walk.c.ancestor_id, walk.c.depth),
        )
    )


def descendant_area_ids(session: Session, area_id: int) -> list[int]:
    """Ids of ``area_id`` and every area below it (the scope of a bureau user)."""
    rows = session.execute(
        select(ANCESTOR_TABLE.c.area_id).where(ANCESTOR_TABLE.c.ancestor_id == area_id)
    )
    return sorted(r[0] for r in rows)
