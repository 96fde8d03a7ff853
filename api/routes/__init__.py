"""Every route of the service: the JSON API under ``/api/v1`` and the pages."""

from __future__ import annotations

from typing import Any


def route_handlers() -> list[Any]:
    """The handlers to register on the app."""
    from api.routes import api_audit, api_auth, api_children, api_work, pages

    return [
        api_auth.api_login,
        api_auth.api_logout,
        api_auth.me,
        api_children.list_children,
        api_children.add_child,
        api_children.get_child,
        api_children.list_measurements,
        api_children.add_measurement,
        api_children.add_milestones,
        api_children.add_feeding,
        api_children.get_schedule,
        api_children.get_flags,
        api_children.get_results,
        api_children.milestone_form,
        api_children.get_questionnaires,
        api_work.case_queue,
        api_work.case_outcome,
        api_work.missed_checks,
        api_work.facility_due,
        api_work.coverage_view,
        api_work.coverage_csv,
        api_audit.audit_log,
        *pages.page_handlers(),
    ]
