"""The family's summary as a PDF (issue 15, item 3): exactly one A4 page in zh-CN and en with
both ages, growth, the vector chart, milestones, feeding and advice, its Chinese text extracted
(fonts embedded); with sharing, the QR code and address of a fresh link that works; a parent
gets only their own child's, a bureau none; reads by anyone but the guardian are audited."""

from __future__ import annotations

import re

from sqlalchemy import select

from health.models import AuditEntry, ShareLink
from health.pipeline import PARENT_MILESTONES, Author, checklist_for, record_milestones
from tests.api.api_world import TODAY, World, login, world_db
from tests.api.pdf_reading import fonts_embedded, has_raster, reader, squeeze, text_of
from tests.api.test_summary_page import NOW, _user, preterm_child

A4 = (595.0, 842.0)  # points (1/72 in): 210 × 297 mm


def _entries(world: World, action: str) -> list[tuple[int | None, str, str]]:
    """The audit entries of ``action``: (actor, object kind, object ref)."""
    with world_db(world) as db:
        rows = db.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars()
        return [(e.actor_id, e.object_kind, e.object_ref) for e in rows]


def test_the_summary_pdf_in_chinese_is_one_a4_page_with_everything(
    app_client, world: World
) -> None:
    child_id, (not_yet, _) = preterm_child(world)
    client = login(app_client, "parent1")
    answer = client.get(f"/children/{child_id}/summary.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    pages = reader(answer.content).pages
    assert len(pages) == 1
    box = pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4
    text = text_of(answer.content)
    # born 2026-02-01 at 32 weeks, on 2026-06-15: 134 days (4 months), corrected 134 − 56 = 78
    # days (2 months; months of 30.4375 days)
    for words in ("Xiaohong·汇总", "出生后年龄：4月龄", "矫正年龄：2月龄", "出生胎龄32周",
                  "体重5.0kg", "身长/身高58.0cm", squeeze(not_yet), "还不会",
                  "昨天只吃了母乳", "现在该做什么", "年龄别体重·女童", "P50", "月龄"):  # fmt: skip
        assert words in text, words
    assert fonts_embedded(answer.content)
    assert not has_raster(answer.content)  # the chart is vector lines, not a picture
    assert "<svg" not in text and "weight_kg" not in text and "not_yet" not in text
    assert _entries(world, "pdf.summary") == []  # the guardian's own read is not audited


def test_the_summary_pdf_in_english(app_client, world: World) -> None:
    child_id, (_, not_yet) = preterm_child(world)
    client = login(app_client, "parent1")
    client.cookies.set("lang", "en", domain="testserver.local")
    answer = client.get(f"/children/{child_id}/summary.pdf")
    assert len(reader(answer.content).pages) == 1
    text = text_of(answer.content)
    for words in ("Xiaohong · Summary", "Age since birth: 4 months", "Corrected age: 2 months",
                  not_yet, "Weight-for-age", "Median", "97th"):  # fmt: skip
        assert squeeze(words) in text, words
    assert not re.search(r"[\u4e00-\u9fff]", text)  # no Chinese word left untranslated


def test_a_long_checklist_still_prints_on_one_page(app_client, world: World) -> None:
    child_id, _ = preterm_child(world)
    with world_db(world) as db:
        parent = _user(db, "parent1")
        from health.clock import Moment
        from health.models import Child

        child = db.get(Child, child_id)
        form = checklist_for(child, PARENT_MILESTONES, TODAY)
        answers = {item.id: "not_yet" for item in form.band.items}
        answers |= {q.id: "yes" for q in form.instrument.global_questions}
        record_milestones(db, child, instrument=PARENT_MILESTONES, administered_on=TODAY,
                          answers=answers, by=Author("home", int(parent.id)),
                          at=Moment(now=NOW, today=TODAY))  # fmt: skip
    client = login(app_client, "parent1")
    answer = client.get(f"/children/{child_id}/summary.pdf")
    assert len(reader(answer.content).pages) == 1


def test_the_shared_summary_pdf_carries_a_fresh_links_code(app_client, world: World) -> None:
    child_id, _ = preterm_child(world)
    client = login(app_client, "parent1")
    answer = client.post(f"/children/{child_id}/summary.pdf/share")
    assert answer.status_code == 201
    text = text_of(answer.content)
    found = re.search(r"https://testserver\.local/shared/summary/([A-Za-z0-9_-]{43})", text)
    assert found, "the link's address is printed beside its QR code"
    assert "分享给诊所" in text and "前有效" in text
    assert len(reader(answer.content).pages) == 1
    with world_db(world) as db:
        links = db.execute(select(ShareLink).where(ShareLink.child_id == child_id)).scalars()
        assert len(list(links)) == 1
    doctor = login(app_client, "doctor1")
    assert doctor.get(f"/shared/summary/{found.group(1)}").status_code == 200


def test_who_gets_the_summary_pdf_and_the_audit(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    assert client.get(f"/children/{world.other_child}/summary.pdf").status_code == 404
    assert client.get(f"/children/{world.own_child}/summary.pdf").status_code == 200
    bureau = login(app_client, "bureau_p")
    assert bureau.get(f"/children/{world.own_child}/summary.pdf").status_code == 403
    doctor = login(app_client, "doctor1")
    assert doctor.post(f"/children/{world.own_child}/summary.pdf/share").status_code == 403
    answer = doctor.get(f"/children/{world.own_child}/summary.pdf")
    assert answer.status_code == 200 and "Xiaoming" in text_of(answer.content)
    entries = _entries(world, "pdf.summary")
    with world_db(world) as db:
        doctor_id = _user(db, "doctor1").id
    assert entries == [(doctor_id, "child", str(world.own_child))]
