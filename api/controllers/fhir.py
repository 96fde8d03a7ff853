"""FHIR R4B JSON of one child (``GET /api/v1/children/{child_id}/fhir``): a Bundle of type
``collection`` in the scope of the caller's role (``health.fhir.scope``): parents, doctors,
facility staff and admins; bureaus never (403). The guard audits every read by anyone but a
parent (``child.read``)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException

from api.access import CHILD_ROLES
from api.controllers.base import api_get
from api.request_scope import Visit
from health.fhir import child_bundle, for_role

FHIR_JSON = "application/fhir+json"


class FhirController(Controller):
    """A child's record as FHIR R4B resources."""

    path = "/api/v1/children"
    tags = ["fhir"]
    opt = {"roles": CHILD_ROLES}

    @api_get("/{child_id:int}/fhir", media_type=FHIR_JSON)
    def child_fhir(self, visit: NamedDependency[Visit]) -> Response[dict[str, Any]]:
        """The child's Bundle: Patient, an Observation per measured value and per z-score and
        percentile, and what the role may see of questionnaire answers, open flags and
        referrals. Texts in the request's language."""
        disclosure = for_role(visit.user.role)
        if disclosure is None:
            raise PermissionDeniedException
        bundle = child_bundle(visit.db, visit.child, disclosure, now=visit.at.now,
                              lang=visit.language)  # fmt: skip
        return Response(bundle, media_type=FHIR_JSON)
