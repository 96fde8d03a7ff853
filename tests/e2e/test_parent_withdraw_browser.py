"""A parent on a phone (390×844) withdraws a mistyped entry in a real browser (issue 11): the
45 kg confirmed by mistake is taken back from the history, stays listed as withdrawn with who
and when, and no longer is the child's result."""

from __future__ import annotations

import pytest

from tests.e2e.browsing import sign_in

pytestmark = pytest.mark.e2e


def test_parent_withdraws_a_mistyped_weight_on_a_phone(server, page) -> None:
    base, world = server
    assert page.viewport_size == {"width": 390, "height": 844}
    sign_in(page, base, "parent1")
    page.wait_for_url(base + "/parent")
    page.goto(f"{base}/children/{world.own_child}/measure")
    page.fill("input[name=weight_kg]", "45")
    with page.expect_navigation():
        page.click("#measure-form button[type=submit]")
    page.check("input[name=confirm]")  # the confirm step for a value beyond WHO's limits
    with page.expect_navigation():
        page.click("#measure-form button[type=submit]")
    assert "45.0" in page.locator("#results").inner_text()

    row = page.locator("#measurements tbody tr", has=page.locator("td.v", has_text="45.0"))
    assert row.count() == 1
    with page.expect_navigation():
        row.get_by_role("button", name="撤回").click()
    assert "撤回" in page.locator("h1").inner_text() and "45 kg" in page.inner_text("main")
    with page.expect_navigation():
        page.click("#withdraw-form button[type=submit]")

    page.wait_for_url(f"{base}/children/{world.own_child}#measurements")
    row = page.locator("#measurements tbody tr", has=page.locator("td.v", has_text="45.0"))
    assert row.get_attribute("class").split()[0] == "withdrawn"
    note = row.locator(".entry-state").inner_text()
    assert note == "已撤回" and "parent1" in row.inner_text()
    struck = row.locator("td.v").first.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert struck == "line-through"
    assert row.get_by_role("button", name="撤回").count() == 0  # nothing more to change
    results = page.locator("#results")
    assert results.count() == 0 or "45.0" not in results.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # the wide table scrolls inside its card, not the page
