"""Issue 11: the parent's summary in a real browser. On a phone (390×844) the parent shares it
with the clinic (the QR code shows) and the page prints on ONE A4 sheet, in Chinese and in
English; on a desktop a doctor who is not signed in opens the link, signs in, comes back to the
summary, and it prints on one A4 sheet too."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from argon2 import PasswordHasher
from sqlmodel import Session

from health.clock import Moment
from health.db import make_engine
from health.models import ChildCreate, MeasurementCreate, UserCreate
from health.models.enums import Source
from health.pipeline import (
    PARENT_MILESTONES,
    Author,
    checklist_for,
    record_feeding,
    record_measurement,
    record_milestones,
)
from health.registry import add_guardian, create_child, create_user
from tests.api.api_world import PASSWORD, TODAY, breast_milk_only
from tests.e2e.browsing import sign_in

pytestmark = pytest.mark.e2e
PARENT = "parent_summary"
NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)


def _full_child(db_file) -> int:
    """A girl born at 32 weeks for a parent of her own: three measurements (the last one low),
    a checklist with two items "not yet" and one "not sure", and a recall of formula and water
    beside breast milk; her id."""
    engine = make_engine(f"sqlite:///{db_file}")
    at = Moment(now=NOW, today=TODAY)
    with Session(engine) as db:
        cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
        parent = create_user(db, UserCreate(username=PARENT, password=PASSWORD, role="parent"),
                             now=NOW, password_hash=cheap)  # fmt: skip
        entry = ChildCreate(code="K-PRINT", sex="F", birth_date=dt.date(2026, 2, 1),
                            gestational_weeks=32, area_code="T1", name="小红")  # fmt: skip
        child = create_child(db, entry)
        add_guardian(db, parent, child)
        db.flush()
        by = Author(Source.home, int(parent.id))  # type: ignore[arg-type]
        for on, kg, cm in (("2026-04-15", 3.1, 50.0), ("2026-05-15", 3.9, 53.5),
                           ("2026-06-15", 4.1, 56.0)):  # fmt: skip
            entry = MeasurementCreate(measured_on=dt.date.fromisoformat(on), source="home",
                                      weight_kg=kg, length_cm=cm, measure="L")  # fmt: skip
            record_measurement(db, child, entry, by=by, at=at)
        form = checklist_for(child, PARENT_MILESTONES, TODAY)
        items = [i.id for i in form.band.items]
        answers = dict.fromkeys(items, "yes") | {items[0]: "not_yet", items[1]: "not_yet"}
        answers |= {items[2]: "not_sure"} | {q.id: "no" for q in form.instrument.global_questions}
        record_milestones(db, child, instrument=PARENT_MILESTONES, administered_on=TODAY,
                          answers=answers, by=by, at=at)  # fmt: skip
        recall = breast_milk_only()
        recall["liquids"]["water"] = {"taken": True}
        recall["liquids"]["infant_formula"] = {"taken": True, "times": 3}
        record_feeding(db, child, recalled_on=TODAY - dt.timedelta(days=1), answers=recall,
                       by=by, at=at)  # fmt: skip
        db.commit()
        child_id = int(child.id)  # type: ignore[arg-type]
    engine.dispose()
    return child_id


def _pages(pdf: bytes) -> int:
    """The number of page objects of a PDF (``/Type /Page``, not ``/Pages``)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def _drawn(page) -> None:
    page.wait_for_selector("#chart .plotly-graph-div .main-svg")


WATCH_PRINT = """window.printedWidths = [];
["beforeprint", "afterprint"].forEach(function (name) {
  window.addEventListener(name, function () {
    window.printedWidths.push(document.querySelector("#chart .main-svg").getAttribute("width"));
  });
});"""
"""Records the chart's width when printing starts and ends (after summary.js's own handlers)."""


CSP_WATCH = (
    "window.cspViolations = []; document.addEventListener('securitypolicyviolation',"
    " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


def _screen_width(page) -> str:
    return str(page.get_attribute("#chart .main-svg", "width"))


@pytest.fixture(scope="module")
def child(server) -> int:
    _, world = server
    return _full_child(world.db_file)


def test_a_parent_on_a_phone_shares_and_prints_one_a4_page(server, page, child) -> None:
    base, _ = server
    page.add_init_script(CSP_WATCH)
    sign_in(page, base, PARENT)
    page.goto(f"{base}/children/{child}/summary")
    _drawn(page)
    assert "出生后年龄：4月龄" in page.inner_text("#ages") and "矫正年龄" in page.inner_text(
        "#ages"
    )
    assert page.locator("#milestones li").count() == 3  # two "not yet", one "not sure"
    with page.expect_navigation():
        page.click("#share-button")
    qr = page.locator("#share-qr svg")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 150
    url = page.input_value("#share-url")
    assert re.fullmatch(rf"{re.escape(base)}/shared/summary/[A-Za-z0-9_-]{{43}}", url)
    _drawn(page)
    page.evaluate(WATCH_PRINT)
    assert _pages(page.pdf(format="A4")) == 1
    # the chart was redrawn at the sheet's width for printing, and given back the phone's after
    assert page.evaluate("window.printedWidths") == ["680", _screen_width(page)]
    page.goto(f"{base}/lang/en?back=/children/{child}/summary")
    _drawn(page)
    assert "Corrected age: 2 months" in page.inner_text("#ages")
    assert _pages(page.pdf(format="A4")) == 1  # English is longer: still one sheet
    with page.expect_navigation():
        page.click("#share-button")
    assert page.locator("#share-qr svg").is_visible()
    assert page.evaluate("window.cspViolations") == []  # the inline QR code and the chart


def test_a_doctor_on_a_desktop_signs_in_and_opens_the_link(server, browser, child) -> None:
    base, _ = server
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        parent = phone.new_page()
        sign_in(parent, base, PARENT)
        parent.goto(f"{base}/children/{child}/summary")
        with parent.expect_navigation():
            parent.click("#share-button")
        url = parent.input_value("#share-url")
        doctor = desk.new_page()
        doctor.set_default_timeout(15000)
        doctor.goto(url)
        assert "/login" in doctor.url  # not signed in: the sign-in page first
        doctor.fill("input[name=username]", "doctor1")
        doctor.fill("input[name=password]", PASSWORD)
        with doctor.expect_navigation():
            doctor.click("form.card button[type=submit]")
        assert doctor.url == url
        _drawn(doctor)
        assert "由家长分享给诊所" in doctor.inner_text("#shared-note")
        assert doctor.locator("#share-button").count() == 0
        assert "未处理的提示" in doctor.inner_text("#advice")
        assert _pages(doctor.pdf(format="A4")) == 1
    finally:
        phone.close()
        desk.close()
