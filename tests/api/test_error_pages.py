"""Issue 11 (1): the error pages (403, 404) speak the reader's language from the catalogue, never
show English developer text, and lead back to the reader's start page (or the sign-in page);
the service's icon is served at ``/favicon.ico`` and linked from every page."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from tests.api.api_world import World, login

HTML = {"accept": "text/html"}
ENGLISH_DETAILS = ("Not Found", "Forbidden", "Bad Request", "Validation failed")


def _main(page: str) -> str:
    """The ``<main>`` of a page (the header's language switch is in English on purpose)."""
    return page[page.index("<main>") : page.index("</main>")]


def _in_english(client: TestClient) -> TestClient:
    client.cookies.set("lang", "en", domain="testserver.local")
    return client


@pytest.mark.parametrize(
    ("username", "path", "status", "home"),
    [
        ("parent1", "/bureau", 403, "/parent"),
        ("bureau_a", "/doctor", 403, "/bureau"),
        ("parent1", "/children/{other}", 404, "/parent"),
        ("doctor1", "/children/{other}", 404, "/doctor"),
    ],
)
def test_error_pages_are_in_chinese_and_lead_to_the_role_home(
    app_client: TestClient, world: World, username: str, path: str, status: int, home: str
) -> None:
    client = login(app_client, username)
    page = client.get(path.format(other=world.other_child), headers=HTML)
    assert page.status_code == status
    main = _main(page.text)
    assert not re.search(r"[A-Za-z]{3,}", re.sub(r"<[^>]*>", "", main)), main  # no English
    assert f'href="{home}"' in main
    assert "返回我的首页" in main
    title = re.search(r"<title>(.*?)</title>", page.text, re.S)
    assert title and ("未找到" if status == 404 else "无权") in title.group(1)


@pytest.mark.parametrize(("path", "status"), [("/bureau", 403), ("/children/{other}", 404)])
def test_error_pages_in_english_say_what_happened(
    app_client: TestClient, world: World, path: str, status: int
) -> None:
    client = _in_english(login(app_client, "parent1"))
    page = client.get(path.format(other=world.other_child), headers=HTML)
    assert page.status_code == status
    main = _main(page.text)
    assert "Back to your start page" in main and 'href="/parent"' in main
    explanation = (
        "This page does not exist, or it is not open to your account."
        if status == 404
        else "Your account cannot open this page."
    )
    assert explanation in main
    assert not any(f"<p>{word}</p>" in main for word in ENGLISH_DETAILS)


def test_an_unknown_address_leads_to_the_start_page_without_english(
    app_client: TestClient,
) -> None:
    page = app_client.get("/no-such-page", headers=HTML)
    assert page.status_code == 404
    main = _main(page.text)
    assert "Not Found" not in main and "该页面不存在" in main
    assert 'href="/"' in main  # the start page sends each role home, or to the sign-in page


def test_a_bad_request_page_keeps_the_validation_text_out(
    app_client: TestClient,
) -> None:
    client = login(app_client, "doctor1")
    page = client.get("/doctor", params={"facility": "not-a-number"}, headers=HTML)
    assert page.status_code == 400
    main = _main(page.text)
    assert "请求有误" in main and 'href="/doctor"' in main
    assert not re.search(r"[A-Za-z]{3,}", re.sub(r"<[^>]*>", "", main)), main


def test_the_favicon_is_served_and_linked(app_client: TestClient) -> None:
    icon = app_client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.lstrip().startswith("<svg") and "<script" not in icon.text
    page = app_client.get("/login", headers=HTML)
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page.text)
    assert link, "base.html links the icon"
    assert app_client.get(link.group(1)).content == icon.content
