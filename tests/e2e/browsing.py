"""Steps the browser journeys (and scripts/screenshots.py) share."""

from __future__ import annotations

import time

import httpx

from tests.api.api_world import PASSWORD


def wait_until_up(base: str, tries: int = 200) -> bool:
    """Whether the server at ``base`` answers ``/health`` within ``tries`` tenths of a second."""
    for _ in range(tries):
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            time.sleep(0.1)
    return False


def sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form of the server at ``base`` (the world's accounts share
    ``PASSWORD``)."""
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
