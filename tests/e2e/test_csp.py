"""Under the Content-Security-Policy the charts still draw and the browser reports no
violation (a blocked inline script or style shows up as a console error and an event).
The parent first enters a measurement (so the child's page has a growth chart whatever ran
before on the same server)."""

from __future__ import annotations

import pytest

from tests.e2e.browsing import sign_in

pytestmark = pytest.mark.e2e


def _watch(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else 0)
    return seen


@pytest.mark.parametrize(("username", "path"), [("parent1", "/children/{child}"),
                                                ("bureau_a", "/bureau")])  # fmt: skip
def test_charts_draw_without_csp_violations(server, page, username: str, path: str) -> None:
    base, world = server
    violations = _watch(page)
    page.add_init_script(
        "window.__csp=[];document.addEventListener('securitypolicyviolation',"
        "e=>window.__csp.push(e.violatedDirective+' '+e.blockedURI))"
    )
    sign_in(page, base, username)
    if username == "parent1":
        page.goto(f"{base}/children/{world.own_child}/measure")
        page.fill("input[name=weight_kg]", "7.4")
        with page.expect_navigation():
            page.click("#measure-form button[type=submit]")
    response = page.goto(base + path.format(child=world.own_child))
    assert (
        response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    )
    page.wait_for_selector(".plotly-graph-div .main-svg")
    page.hover(".plotly-graph-div")  # the mode bar (its styles come from Plotly at run time)
    page.wait_for_timeout(200)
    assert page.evaluate("window.__csp") == []
    assert violations == []
