"""Server-rendered pages (Jinja, phone-sized, work without JavaScript; Plotly charts enhance).

Every page declares its roles like the API; the same guard applies (401 becomes a redirect to
the sign-in page). Forms post url-encoded data with the CSRF token.
"""

from __future__ import annotations

from typing import Any

from api.routes.pages import child, questionnaires, session, work
from api.routes.pages.render import age_text, check_name, local_path

__all__ = ["age_text", "check_name", "local_path", "page_handlers"]


def page_handlers() -> list[Any]:
    """Every page handler."""
    return [
        session.home,
        session.login_page,
        session.login_submit,
        session.logout,
        session.switch_language,
        child.parent_home,
        child.child_new,
        child.child_create,
        child.child_page,
        child.measure_form,
        child.measure_submit,
        child.summary,
        questionnaires.milestones_form,
        questionnaires.milestones_submit,
        questionnaires.feeding_form,
        questionnaires.feeding_submit,
        work.doctor_queue,
        work.outcome_submit,
        work.doctor_missed,
        work.facility_home,
        work.bureau_dashboard,
    ]
