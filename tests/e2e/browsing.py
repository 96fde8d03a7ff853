"""Steps the browser journeys share."""

from __future__ import annotations

from tests.api.api_world import PASSWORD


def sign_in(page, base: str, username: str) -> None:
    """Sign in through the login form of the server at ``base`` (every account: ``PASSWORD``)."""
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
