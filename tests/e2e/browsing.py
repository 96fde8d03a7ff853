"""Steps the browser journeys (and scripts/screenshots.py) share."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.api.api_world import PASSWORD, TODAY

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def serve_world(folder: Any, world: Any) -> Iterator[tuple[str, Any]]:
    """Run the app on ``folder``/e2e.db (today pinned to the world's, the time zone
    Asia/Shanghai) and yield ``(base URL, world)``; every browser test's server."""
    port = free_port()
    env = {
        **os.environ,
        "CHILDHEALTH_DATABASE_URL": f"sqlite:///{folder / 'e2e.db'}",
        "CHILDHEALTH_COOKIE_SECURE": "0",
        "CHILDHEALTH_TODAY": TODAY.isoformat(),
        "CHILDHEALTH_TIMEZONE": "Asia/Shanghai",
        "CHILDHEALTH_SECRET_KEY": "e2e-secret-" + "x" * 20,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_up(base):
            raise RuntimeError("the server did not start")
        yield base, world
    finally:
        process.terminate()
        process.wait(timeout=10)
