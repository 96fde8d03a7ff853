"""Browser journeys: parent → doctor → bureau, in this order (they share one server)."""

from __future__ import annotations

import pytest

from tests.e2e.browsing import sign_in

pytestmark = pytest.mark.e2e


def test_1_parent_enters_low_weight_and_sees_chart_and_advice(server, page) -> None:
    base, world = server
    sign_in(page, base, "parent1")
    page.wait_for_url(base + "/parent")
    with page.expect_navigation():
        page.click(f"a[href='/children/{world.own_child}']")
    with page.expect_navigation():
        page.click(f"a[href='/children/{world.own_child}/measure']")
    page.fill("input[name=weight_kg]", "6.0")  # boy, 196 days: weight-for-age z −2.70
    with page.expect_navigation():
        page.click("#measure-form button[type=submit]")
    assert page.url == f"{base}/children/{world.own_child}", page.content()[-2000:]
    results = page.locator("#results")
    assert "z = -2.70" in results.inner_text()
    assert page.locator("#results .advice li").count() >= 1
    page.wait_for_selector("#chart .plotly-graph-div .main-svg")  # drawn by plotly.min.js


def test_2_doctor_sees_the_case_and_records_an_outcome(server, page) -> None:
    base, world = server
    sign_in(page, base, "doctor1")
    page.wait_for_url(base + "/doctor")
    row = page.locator(f"table.queue a[href='/children/{world.own_child}']")
    assert row.count() == 1
    row.click()
    page.wait_for_selector("#flags")
    flags = page.locator("#flags").inner_text()
    assert "低体重" in flags and "GROWTH_" not in flags  # the flag by name (issue 11)
    page.check("#outcome input[value=advice]")
    page.fill("#outcome textarea[name=outcome_note]", "feeding advice given")
    page.click("#outcome button[type=submit]")
    page.wait_for_url(f"{base}/children/{world.own_child}")
    assert page.locator("#outcome").count() == 0
    page.goto(base + "/doctor")
    assert page.locator(f"table.queue a[href='/children/{world.own_child}']").count() == 0


def test_3_bureau_sees_county_coverage_and_no_child(server, page) -> None:
    base, world = server
    sign_in(page, base, "bureau_a")
    page.wait_for_url(base + "/bureau")
    assert "County A" in page.locator("h1").inner_text()
    assert page.locator(".kpi").count() == 3
    page.wait_for_selector(".plotly-graph-div .main-svg")
    response = page.goto(f"{base}/children/{world.own_child}")
    assert response is not None and response.status == 403
    assert "Xiaoming" not in page.content()
