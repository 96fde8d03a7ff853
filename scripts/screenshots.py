"""Refresh the README screenshots from the demo, taken with Debian's Chromium
(``/usr/bin/chromium``): on a phone, a parent's result page and the child's summary; on a
desktop, a doctor's queue and a flagged child's page, a facility's list and a bureau's dashboard.

Run: ``.venv/bin/python scripts/screenshots.py`` (seeds a demo province into a temporary
database, serves it on a free loopback port, writes the ``docs/*.png`` named in :data:`SHOTS`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # run as a script: import the project's packages (tests.e2e included)

from growth_charts import value_at_z  # noqa: E402
from tests.e2e.browsing import sign_in, wait_until_up  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SHOTS = ("parent-results.png", "parent-summary.png", "doctor-queue.png", "doctor-child.png",
         "facility.png", "bureau-dashboard.png")  # fmt: skip
PASSWORD = "childhealth-demo"  # health.demo.DEMO_PASSWORD


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "CHILDHEALTH_DATABASE_URL": f"sqlite:///{tmp}/demo.db",
            "CHILDHEALTH_COOKIE_SECURE": "0",
        }
        childhealth = [sys.executable, "-m", "api.cli"]
        subprocess.run([*childhealth, "seed-demo", "--children", "1500"], env=env, check=True,
                       cwd=ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
        port = _port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([*childhealth, "serve", "--port", str(port)], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            if not wait_until_up(base):
                raise SystemExit("the demo server did not start")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM)
                phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
                sign_in(phone, base, "parent-1", PASSWORD)
                phone.click("main a[href^='/children/']")
                if phone.locator("#chart").count() == 0:  # no measurement yet: a typical one
                    header = phone.inner_text("main p.muted")
                    found = re.search(r"\d{4}-\d{2}-\d{2}", header)
                    birth = dt.date.fromisoformat(found[0]) if found else None
                    days = (dt.date.today() - birth).days if birth else 120
                    sex = "F" if "女孩" in header else "M"
                    weight = float(value_at_z("wfa", sex, max(days, 1), -0.4)[0])
                    phone.click("a[href$='/measure']")
                    phone.fill("input[name=weight_kg]", f"{weight:.2f}")
                    with phone.expect_navigation():
                        phone.click("#measure-form button[type=submit]")
                phone.wait_for_selector(".plotly-graph-div .main-svg", timeout=15000)
                phone.screenshot(path=str(ROOT / "docs/parent-results.png"), full_page=True)
                phone.goto(phone.url.split("?")[0].rstrip("/") + "/summary")
                phone.screenshot(path=str(ROOT / "docs/parent-summary.png"), full_page=True)
                desk = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
                sign_in(desk, base, "doctor-1", PASSWORD)
                desk.goto(base + "/doctor")
                desk.screenshot(path=str(ROOT / "docs/doctor-queue.png"), full_page=True)
                first = desk.locator("main table a[href^='/children/']").first
                if first.count():
                    first.click()
                    desk.wait_for_selector("#flags")
                desk.screenshot(path=str(ROOT / "docs/doctor-child.png"), full_page=True)
                desk.context.clear_cookies()
                sign_in(desk, base, "facility-1", PASSWORD)
                desk.goto(base + "/facility")
                desk.screenshot(path=str(ROOT / "docs/facility.png"), full_page=True)
                desk.context.clear_cookies()
                sign_in(desk, base, "bureau-province", PASSWORD)
                desk.wait_for_selector(".plotly-graph-div .main-svg", timeout=15000)
                desk.screenshot(path=str(ROOT / "docs/bureau-dashboard.png"), full_page=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"screenshots written on {dt.date.today()}: " + ", ".join(f"docs/{n}" for n in SHOTS))


if __name__ == "__main__":
    main()
