"""JSON API for admins: the access audit (newest first, ids only)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy.orm import Session

from api.access import ADMIN
from api.controllers.base import api_get
from health.models import AuditPublic
from health.models.audit import AUDIT_ACTIONS
from health.services import audit

Action = Literal[*AUDIT_ACTIONS]  # type: ignore[valid-type]  # every action, named once


class AuditController(Controller):
    """Who read or changed which child's record, and every export."""

    path = "/api/v1/audit"
    tags = ["audit"]
    opt = {"roles": (ADMIN,)}

    @api_get("/")
    def audit_log(
        self,
        db: NamedDependency[Session],
        action: Annotated[
            Action | None,
            QueryParameter(description="Only entries of this action"),
        ] = None,
        limit: Annotated[
            int, QueryParameter(description="At most this many entries", ge=1, le=audit.MAX_LIMIT)
        ] = 100,
    ) -> list[AuditPublic]:
        """The most recent audited actions: reads of a child's record by anyone but a guardian,
        lists of children read by anyone but a parent (how many children), case outcomes and
        exports (who, role, action, which object, when)."""
        return [
            AuditPublic.model_validate(e, from_attributes=True)
            for e in audit.recent(db, action=action, limit=limit)
        ]
