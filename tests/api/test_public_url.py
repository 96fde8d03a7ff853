"""Links handed out (the summary shared with the clinic, the calendar feed) are built on
``CHILDHEALTH_PUBLIC_URL`` when the service runs behind a reverse proxy, else on the request's
own address; a public address without a scheme stops start-up with the variable's name."""

from __future__ import annotations

import re

import pytest

from api.settings import Settings
from tests.api.api_world import World, login, serve

HTML = {"accept": "text/html"}
PUBLIC = "https://ertong.example.cn"


def test_shared_and_calendar_links_use_the_public_address(world: World) -> None:
    with serve(f"sqlite:///{world.db_file}", public_url=PUBLIC) as client:
        login(client, "parent1")
        shared = client.post(f"/children/{world.own_child}/summary/share", headers=HTML)
        assert re.search(rf"{re.escape(PUBLIC)}/shared/summary/[A-Za-z0-9_-]{{43}}", shared.text)
        assert "testserver.local/shared" not in shared.text
        feed = client.post(f"/parent/children/{world.own_child}/calendar", headers=HTML)
        assert re.search(rf"{re.escape(PUBLIC)}/calendar/[A-Za-z0-9_-]{{43}}\.ics", feed.text)
        assert "webcal://ertong.example.cn/calendar/" in feed.text


def test_a_public_address_must_have_its_scheme() -> None:
    with pytest.raises(ValueError, match="CHILDHEALTH_PUBLIC_URL must start with https://"):
        Settings(public_url="ertong.example.cn")


def test_the_variable_is_read_without_its_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHILDHEALTH_PUBLIC_URL", PUBLIC + "/")
    assert Settings.from_env().public_url == PUBLIC
