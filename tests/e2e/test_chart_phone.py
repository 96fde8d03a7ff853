"""Issue 11 (2): the growth chart on a phone (390 px wide) shows its title with no Plotly mode
bar over it, and labelled centile lines (P3, P15, P50, P85, P97) at the right end; on a wide
screen the mode bar is there when pointed at, and clear of the title."""

from __future__ import annotations

import pytest

from tests.e2e.browsing import sign_in

pytestmark = pytest.mark.e2e
CHART = "#chart .plotly-graph-div"


def _child_chart(page, base: str, child: int) -> None:
    sign_in(page, base, "parent1")
    page.goto(f"{base}/children/{child}/measure")
    page.fill("input[name=weight_kg]", "7.4")
    with page.expect_navigation():
        page.click("#measure-form button[type=submit]")
    page.goto(f"{base}/children/{child}?chart=wfa#chart")
    page.wait_for_selector(f"{CHART} .main-svg")


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_on_a_phone_the_title_is_clear_and_the_centile_lines_are_labelled(server, page) -> None:
    base, world = server
    _child_chart(page, base, world.own_child)
    chart = page.locator(CHART)
    chart.click(position={"x": 150, "y": 150})  # a tap shows Plotly's mode bar, if there is one
    page.wait_for_timeout(300)
    assert page.locator(f"{CHART} .modebar-btn").count() == 0
    assert page.locator(f"{CHART} .gtitle").text_content().startswith("年龄别体重")
    labels = page.locator(f"{CHART} .annotation-text").all_text_contents()
    assert [t for t in labels if t.startswith("P")] == ["P3", "P15", "P50", "P85", "P97"]
    plot = page.locator(f"{CHART} .nsewdrag").first.bounding_box()
    for label in page.locator(f"{CHART} .annotation").all():
        box = label.bounding_box()
        if (label.text_content() or "").startswith("P"):  # at the right end, inside the figure
            assert box["x"] >= plot["x"] + plot["width"] - 2
            assert box["x"] + box["width"] <= chart.bounding_box()["x"] + 390


def test_on_a_wide_screen_the_mode_bar_keeps_clear_of_the_title(server, browser) -> None:
    base, world = server
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        _child_chart(page, base, world.own_child)
        page.hover(CHART)
        page.wait_for_selector(f"{CHART} .modebar-btn", state="attached")
        modebar = page.locator(f"{CHART} .modebar").bounding_box()
        title = page.locator(f"{CHART} .gtitle").bounding_box()
        assert modebar and title and not _overlap(modebar, title)
        assert page.locator(f"{CHART} .modebar a.plotlyjsicon").count() == 0  # no logo
    finally:
        context.close()
