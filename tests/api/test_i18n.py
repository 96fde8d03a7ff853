"""zh-CN first, English on request; every message id of the templates has a zh-CN text."""

from __future__ import annotations

import re
from pathlib import Path

from api.i18n import translations
from tests.api.api_world import World, login

TEMPLATES = Path(__file__).resolve().parents[2] / "api" / "templates"


def test_every_template_message_is_translated_into_zh_cn() -> None:
    catalogue = translations("zh-CN")
    for template in TEMPLATES.glob("*.html"):
        for message in re.findall(r'_\("([^"]+)"', template.read_text(encoding="utf-8")):
            assert catalogue.gettext(message) != message, (template.name, message)


def test_pages_are_chinese_first_with_an_english_switch(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    html = {"accept": "text/html"}
    page = client.get(f"/children/{world.own_child}", headers=html)
    assert "录入测量" in page.text and 'lang="zh-CN"' in page.text
    switched = client.get("/lang/en", params={"back": "/parent"}, follow_redirects=False)
    assert switched.status_code in (302, 303) and switched.cookies.get("lang") == "en"
    client.cookies.set("lang", "en", domain="testserver.local")
    english = client.get(f"/children/{world.own_child}", headers=html)
    assert "Enter a measurement" in english.text


def test_problem_titles_follow_the_language(app_client) -> None:
    assert app_client.get("/api/v1/me").json()["title"] == "请先登录"
    assert app_client.get("/api/v1/me", params={"lang": "en"}).json()["title"] == "Please sign in"


def test_ages_and_check_names_read_naturally() -> None:
    from api.pages.render import age_text, check_name

    assert [age_text(d, "en") for d in (10, 100, 800)] == ["10 days", "3 months", "2 y 2 m"]
    assert age_text(800, "zh-CN") == "2岁2个月"
    assert check_name("m6", "zh-CN") == "6月龄健康检查"
    assert check_name("newborn_visit", "en") == "Newborn home visit"
