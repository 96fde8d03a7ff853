"""The parent's forms in a real browser (issue 11): refusals next to their fields in words,
the entry kept; the feeding recall starts unanswered and answers in sentences."""

from __future__ import annotations

import pytest

from tests.e2e.browsing import sign_in

pytestmark = pytest.mark.e2e


def test_parent_sees_each_refused_measurement_next_to_its_field(server, page) -> None:
    base, world = server
    sign_in(page, base, "parent1")
    page.wait_for_url(base + "/parent")
    page.goto(f"{base}/children/{world.own_child}/measure")
    page.fill("input[name=weight_kg]", "abc")
    page.fill("input[name=length_cm]", "-5")
    with page.expect_navigation():
        page.click("#measure-form button[type=submit]")
    assert page.locator("#weight_kg-error").inner_text() == "请填写数字，例如 7.25。"
    assert page.locator("#length_cm-error").inner_text() == "数值应大于 0。"
    assert page.input_value("input[name=weight_kg]") == "abc"
    assert "weight_kg" not in page.locator("main").inner_text()


def test_parent_feeding_recall_starts_unanswered_and_reads_as_sentences(server, page) -> None:
    base, world = server
    sign_in(page, base, "parent1")
    page.wait_for_url(base + "/parent")
    page.goto(f"{base}/children/{world.own_child}/feeding")
    assert page.locator("form.card input[type=radio]:checked").count() == 0
    assert page.input_value("input[name=solid_feeds]") == ""
    page.check("input[name=breastfed][value=yes]")
    page.check("input[name=vitamin_d][value=yes]")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    result = page.locator("#feeding-result").inner_text()
    assert "ISSSF" not in result and "未达到" not in result
    assert page.locator("#feeding-result .feeding-indicators li").count() >= 1
    assert page.is_checked("input[name=breastfed][value=yes]")  # what was entered is kept
