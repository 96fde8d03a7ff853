"""The child's one-page summary and sharing it with the clinic (issue 11): both ages of a baby
born early, the growth result with z and percentile, the latest checklist's "not yet" items,
the latest recall's sentences, open advice, the doctor's latest outcome; the link that expires,
stopping it, its audit entry, the sign-in detour, and who may not use it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from zoneinfo import ZoneInfo

from litestar.testing import TestClient
from sqlalchemy import select
from sqlmodel import Session

from api.app import CSRF_HEADER, create_app
from health.clock import Clock, Moment
from health.models import AuditEntry, ChildCreate, MeasurementCreate, ShareLink, User
from health.models.enums import Source
from health.pipeline import (
    PARENT_MILESTONES,
    Author,
    checklist_for,
    record_feeding,
    record_measurement,
    record_milestones,
)
from health.registry import add_guardian, create_child
from tests.api.api_world import (
    BASE_URL,
    PASSWORD,
    TODAY,
    World,
    breast_milk_only,
    login,
    settings_for,
    world_db,
)

HTML = {"accept": "text/html"}
SHANGHAI = ZoneInfo("Asia/Shanghai")
BORN = dt.date(2026, 2, 1)  # 134 days old on TODAY (2026-06-15)
WEEKS = 32  # 8 weeks early: 56 days short, so 78 days of corrected age on TODAY
NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def _user(db: Session, name: str) -> User:
    return db.execute(select(User).where(User.username == name)).scalar_one()


def preterm_child(world: World) -> tuple[int, list[str]]:
    """Parent1's daughter born at 32 weeks, with a home measurement of 5.0 kg / 58.0 cm today,
    a checklist with its first item "not yet" and the others "yes", and a recall of breast
    milk only yesterday: her id and the words of the item answered "not yet" (zh-CN, en)."""
    at = Moment(now=NOW, today=TODAY)
    with world_db(world) as db:
        parent = _user(db, "parent1")
        child = create_child(db, ChildCreate(code="K-PRE", sex="F", birth_date=BORN,
                                             gestational_weeks=WEEKS, area_code="T1",
                                             name="Xiaohong"))  # fmt: skip
        add_guardian(db, parent, child)
        db.flush()
        by = Author(Source.home, int(parent.id))  # type: ignore[arg-type]
        record_measurement(db, child, MeasurementCreate(measured_on=TODAY, source="home",
                                                        weight_kg=5.0, length_cm=58.0,
                                                        measure="L"), by=by, at=at)  # fmt: skip
        form = checklist_for(child, PARENT_MILESTONES, TODAY)
        first = form.band.items[0]
        answers = {item.id: "yes" for item in form.band.items} | {first.id: "not_yet"}
        answers |= {q.id: "no" for q in form.instrument.global_questions}
        record_milestones(db, child, instrument=PARENT_MILESTONES, administered_on=TODAY,
                          answers=answers, by=by, at=at)  # fmt: skip
        record_feeding(db, child, recalled_on=TODAY - dt.timedelta(days=1),
                       answers=breast_milk_only(), by=by, at=at)  # fmt: skip
        child_id = int(child.id)  # type: ignore[arg-type]
        words = [str(first.text.get("zh-CN")).replace("他", "她"), str(first.text.get("en"))]
    return child_id, words


def visible(html: str) -> str:
    """The page without its figure blocks (JSON for the chart script)."""
    return re.sub(r'<script type="application/json".*?</script>', "", html, flags=re.S)


def shared_token(client: TestClient, child_id: int) -> str:
    """Share the child's summary as the signed-in parent; the token from the page's link."""
    made = client.post(f"/children/{child_id}/summary/share", headers=HTML)
    assert made.status_code == 201, made.text
    found = re.search(r'value="https://testserver\.local/shared/summary/([A-Za-z0-9_-]{43})"',
                      made.text)  # fmt: skip
    assert found, "the new link is on the page"
    return found.group(1)


def test_summary_in_chinese_has_both_ages_growth_milestones_feeding_advice(
    app_client, world: World
) -> None:
    child_id, (not_yet, _) = preterm_child(world)
    client = login(app_client, "parent1")
    page = client.get(f"/children/{child_id}/summary", headers=HTML)
    assert page.status_code == 200
    text = visible(page.text)
    # 134 days since birth (4 months of 30.4375 days), 134 − 56 = 78 days corrected (2 months)
    assert "出生后年龄：4月龄" in text and "矫正年龄：2月龄" in text and "出生胎龄32周" in text
    # weight-for-age of a girl at 78 days (WHO: L 0.063, M 5.5527, S 0.12758), 5.0 kg:
    # ((5.0 / 5.5527) ** 0.063 − 1) / (0.063 × 0.12758) = −0.819, the 20.6th percentile
    assert re.search(r"<th>年龄别体重</th><td>-0.82</td><td>20.6</td>", text)
    assert 'data-figure="figure-' in page.text  # the weight chart
    assert "<h2>发育里程碑 · 2026-06-15</h2>" in text and not_yet in text
    assert "还不会" in text and "项为“会了”" in text
    assert "昨天只吃了母乳" in text  # the recall of breast milk only, in the family's words
    assert "有几项本领孩子还不会" in text  # the open advice of the "not yet" answer
    assert "分享给诊所" in text and "打印或保存为PDF" in text
    for code in ("not_yet", "EBF", "DEV_", "wfa", "iycf.", "result.", "flag.", "None"):
        assert code not in text, code


def test_summary_in_english(app_client, world: World) -> None:
    child_id, (_, not_yet) = preterm_child(world)
    client = login(app_client, "parent1")
    client.cookies.set("lang", "en", domain="testserver.local")
    text = visible(client.get(f"/children/{child_id}/summary", headers=HTML).text)
    assert "Age since birth: 4 months" in text and "Corrected age: 2 months" in text
    assert "born at 32 weeks" in text
    assert re.search(r"<th>Weight-for-age</th><td>-0.82</td><td>20.6</td>", text)
    assert not_yet in text and "answers were ‘yes, can do it’" in text
    assert "Yesterday your baby had breast milk only" in text
    assert "Share with the clinic" in text
    for code in ("not_yet", "EBF", "DEV_", "wfa", "iycf.", "result.", "flag."):
        assert code not in text, code


def test_summary_names_the_doctors_latest_outcome(app_client, world: World) -> None:
    doctor = login(app_client, "doctor2")
    closed = doctor.post(f"/api/v1/cases/{world.other_case}/outcome",
                         json={"outcome": "advice", "outcome_note": "喂养指导",
                               "note_for_family": True})  # fmt: skip
    assert closed.status_code in (200, 201), closed.text
    parent = login(app_client, "parent2")
    text = visible(parent.get(f"/children/{world.other_child}/summary", headers=HTML).text)
    assert "医生最近的处理结果" in text and "已给予指导" in text and "喂养指导" in text


def test_the_summary_keeps_the_doctors_own_note_from_the_family(app_client, world: World) -> None:
    doctor = login(app_client, "doctor2")
    note = {"outcome": "advice", "outcome_note": "家长焦虑，需随访"}
    closed = doctor.post(f"/api/v1/cases/{world.other_case}/outcome", json=note)
    assert closed.status_code in (200, 201), closed.text
    parent = login(app_client, "parent2")
    text = visible(parent.get(f"/children/{world.other_child}/summary", headers=HTML).text)
    assert "已给予指导" in text and "家长焦虑" not in text
    doctor = login(app_client, "doctor2")
    own = visible(doctor.get(f"/children/{world.other_child}/summary", headers=HTML).text)
    assert "家长焦虑，需随访" in own


def _pinned_client(world: World, instant: list[dt.datetime]) -> TestClient:
    clock = Clock(zone=SHANGHAI, source=lambda: instant[0])
    app = create_app(settings_for(f"sqlite:///{world.db_file}"), clock=clock)
    return TestClient(app, base_url=BASE_URL)


def test_a_shared_link_works_seven_days_then_expires(world: World) -> None:
    instant = [NOW]
    with _pinned_client(world, instant) as client:
        login(client, "parent2")
        made = client.post(f"/children/{world.other_child}/summary/share", headers=HTML)
        # made at 10:00 in Shanghai on 2026-06-15: valid until 10:00 on 2026-06-22, local time
        assert "2026-06-22 10:00" in made.text and 'class="qr"' in made.text and "<svg" in made.text
        assert "只在此刻显示" in made.text  # shown only now: only its fingerprint is stored
        token = re.search(r"/shared/summary/([A-Za-z0-9_-]{43})", made.text).group(1)  # type: ignore[union-attr]
        page = client.get(f"/children/{world.other_child}/summary", headers=HTML)
        assert "汇总已分享给诊所，有效期至 2026-06-22 10:00" in page.text and token not in page.text
        instant[0] = NOW + dt.timedelta(days=7, seconds=-1)
        login(client, "doctor1")
        opened = client.get(f"/shared/summary/{token}", headers=HTML)
        assert opened.status_code == 200 and "Other · 汇总" in opened.text
        assert "此链接在 2026-06-22 10:00 前有效" in opened.text
        instant[0] = NOW + dt.timedelta(days=7)
        login(client, "doctor1")
        gone = client.get(f"/shared/summary/{token}", headers=HTML)
        assert gone.status_code == 404 and "此链接无效" in gone.text and "Other" not in gone.text


def test_stopping_the_share_ends_every_link(app_client, world: World) -> None:
    parent = login(app_client, "parent2")
    first, second = shared_token(parent, world.other_child), shared_token(parent, world.other_child)
    stopped = parent.post(f"/children/{world.other_child}/summary/unshare", headers=HTML,
                          data={"idempotency_key": "stop-1"}, follow_redirects=False)  # fmt: skip
    assert stopped.status_code == 303
    page = parent.get(f"/children/{world.other_child}/summary", headers=HTML)
    assert "汇总已分享给诊所" not in page.text and 'id="unshare-button"' not in page.text
    doctor = login(app_client, "doctor2")
    for token in (first, second):
        refused = doctor.get(f"/shared/summary/{token}", headers=HTML)
        assert refused.status_code == 404 and "链接可能已过期，或家长已停止分享" in refused.text
    with world_db(world) as db:
        links = db.execute(select(ShareLink).where(ShareLink.child_id == world.other_child))
        assert all(link.revoked_at is not None for link in links.scalars())


def test_each_shared_read_is_audited_with_the_clinician(app_client, world: World) -> None:
    token = shared_token(login(app_client, "parent2"), world.other_child)
    doctor = login(app_client, "doctor1")  # another clinic: the family's link lets them in
    assert doctor.get(f"/shared/summary/{token}", headers=HTML).status_code == 200
    login(app_client, "admin").get(f"/shared/summary/{token}", headers=HTML)
    with world_db(world) as db:
        rows = db.execute(
            select(AuditEntry.role, AuditEntry.object_kind, AuditEntry.object_ref, User.username)
            .join(User, User.id == AuditEntry.actor_id)
            .where(AuditEntry.action == "summary.shared_read")
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("doctor", "child", str(world.other_child), "doctor1"),
        ("admin", "child", str(world.other_child), "admin"),
    ]


def test_the_clinician_sees_clinician_words_and_no_parent_buttons(app_client, world: World) -> None:
    token = shared_token(login(app_client, "parent2"), world.other_child)
    doctor = login(app_client, "doctor2")
    text = visible(doctor.get(f"/shared/summary/{token}", headers=HTML).text)
    assert (
        "未处理的提示" in text and "重度低体重（年龄别体重 Z = -4.99）" in text
    )  # clinician words
    assert "现在该做什么" not in text and 'id="share-button"' not in text and "停止分享" not in text
    assert "由家长分享给诊所" in text and "打印或保存为PDF" in text
    assert doctor.post(f"/children/{world.other_child}/summary/share").status_code == 403


def test_an_anonymous_visitor_signs_in_and_comes_back(app_client, world: World) -> None:
    token = shared_token(login(app_client, "parent2"), world.other_child)
    app_client.cookies.clear()  # signed out: no session, no CSRF token of the parent's
    app_client.headers.pop(CSRF_HEADER, None)
    answer = app_client.get(f"/shared/summary/{token}", headers=HTML, follow_redirects=False)
    assert answer.status_code in (302, 303, 307)
    assert answer.headers["location"] == f"/login?next=%2Fshared%2Fsummary%2F{token}"
    login_page = app_client.get(answer.headers["location"], headers=HTML).text
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', login_page).group(1)  # type: ignore[union-attr]
    back = re.search(r'name="next" value="([^"]+)"', login_page).group(1)  # type: ignore[union-attr]
    assert back == f"/shared/summary/{token}"
    form = {"username": "doctor1", "password": PASSWORD, "next": back, "_csrf_token": csrf}
    signed = app_client.post("/login", headers=HTML, data=form, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == f"/shared/summary/{token}"
    assert app_client.get(signed.headers["location"], headers=HTML).status_code == 200


def test_parents_and_facilities_only_open_links_of_their_own_children(
    app_client, world: World
) -> None:
    others = shared_token(login(app_client, "parent2"), world.other_child)
    own = shared_token(login(app_client, "parent1"), world.own_child)
    parent = app_client  # still parent1
    assert parent.get(f"/shared/summary/{own}", headers=HTML).status_code == 200
    refused = parent.get(f"/shared/summary/{others}", headers=HTML)
    assert refused.status_code == 404 and "Other" not in refused.text
    facility = login(app_client, "facility1")  # the own child is enrolled at facility F1
    assert facility.get(f"/shared/summary/{own}", headers=HTML).status_code == 200
    assert facility.get(f"/shared/summary/{others}", headers=HTML).status_code == 404
    bureau = login(app_client, "bureau_p")
    assert bureau.get(f"/shared/summary/{own}", headers=HTML).status_code == 403
    with world_db(world) as db:
        roles = db.execute(
            select(AuditEntry.role).where(AuditEntry.action == "summary.shared_read")
        ).scalars()
        assert list(roles) == ["facility"]  # a guardian's own reads are not audited


def test_an_unknown_link_is_a_404_in_the_readers_language(app_client, world: World) -> None:
    doctor = login(app_client, "doctor1")
    doctor.cookies.set("lang", "en", domain="testserver.local")
    for token in ("x" * 43, "short", "a" * 200):
        page = doctor.get(f"/shared/summary/{token}", headers=HTML)
        assert page.status_code == 404 and "This link is not valid" in page.text
        assert "Ask the family for a new link." in page.text


def test_only_the_tokens_sha256_is_stored(app_client, world: World) -> None:
    token = shared_token(login(app_client, "parent2"), world.other_child)
    with world_db(world) as db:
        link = db.execute(select(ShareLink)).scalar_one()
        assert link.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
        assert (link.expires_at - link.created_at) == dt.timedelta(days=7)  # type: ignore[operator]
    stored = b"".join(p.read_bytes() for p in world.db_file.parent.glob(world.db_file.name + "*"))
    assert token.encode() not in stored  # nor in the idempotency answers


def test_the_same_summary_for_a_doctor_of_the_child(app_client, world: World) -> None:
    doctor = login(app_client, "doctor2")
    page = doctor.get(f"/children/{world.other_child}/summary", headers=HTML)
    assert page.status_code == 200 and "未处理的提示" in page.text
    assert 'id="share"' not in page.text
