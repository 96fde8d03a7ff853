"""The doctor's referral letter (issue 15, item 3): for a case whose outcome is a referral, the
child, the reasons with their evidence in the clinician's words (the doctor's page's), the
measurements and the vector chart, the institution, the doctor, the clinic and the day, in
zh-CN and en; only for clinicians of the child's clinic; each letter audited; the doctor's
child page links to it."""

from __future__ import annotations

from sqlalchemy import select

from api.services.present import clinician_words
from health.models import AuditEntry, FlagRecord, Measurement, User
from health.pipeline import flag_of
from tests.api.api_world import World, login, world_db
from tests.api.pdf_reading import fonts_embedded, has_raster, reader, squeeze, text_of

INSTITUTION = "县妇幼保健院儿童营养门诊"


def _refer(app_client, world: World) -> None:
    doctor = login(app_client, "doctor2")
    done = doctor.post(f"/api/v1/cases/{world.other_case}/outcome",
                       json={"outcome": "referred", "outcome_note": INSTITUTION})  # fmt: skip
    assert done.status_code == 201, done.text


def _flag_words(world: World, language: str) -> list[str]:
    with world_db(world) as db:
        rows = db.execute(select(FlagRecord).where(FlagRecord.case_id == world.other_case))
        return [clinician_words(flag_of(r), language) for r in rows.scalars()]


def test_the_referral_letter_in_chinese(app_client, world: World) -> None:
    _refer(app_client, world)
    doctor = login(app_client, "doctor2")
    page = doctor.get(f"/children/{world.other_child}", headers={"accept": "text/html"})
    assert f'href="/cases/{world.other_case}/referral.pdf"' in page.text
    answer = doctor.get(f"/cases/{world.other_case}/referral.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert len(reader(answer.content).pages) == 1
    text = text_of(answer.content)
    with world_db(world) as db:
        row = db.execute(select(Measurement).where(Measurement.child_id == world.other_child))
        measured = row.scalars().one()
        z_wfa = measured.z_wfa
    # born 2025-10-01; on 2026-06-15 she is 257 days old: 8 months of 30.4375 days
    for words in ("转诊单", "Clinic2", f"转诊至{INSTITUTION}", "Other·女孩·出生于2025-10-01",
                  "出生后年龄：8月龄", "转诊原因", "2026-05-014.058.0–", f"{z_wfa:.2f}",
                  "转诊医生：doctor2·Clinic2·2026-06-15", "年龄别体重·女童"):  # fmt: skip
        assert words in text, words
    words = _flag_words(world, "zh-CN")
    assert len(words) == 3
    for sentence in words:  # the reasons in the doctor's page's words, evidence included
        assert squeeze(sentence) in text, sentence
    assert fonts_embedded(answer.content) and not has_raster(answer.content)


def test_the_referral_letter_in_english(app_client, world: World) -> None:
    _refer(app_client, world)
    doctor = login(app_client, "doctor2")
    doctor.cookies.set("lang", "en", domain="testserver.local")
    text = text_of(doctor.get(f"/cases/{world.other_case}/referral.pdf").content)
    for words in ("Referral letter", f"Referred to {INSTITUTION}", "Reason for referral",
                  "Age since birth: 8 months", "Referring doctor: doctor2",
                  *_flag_words(world, "en")):  # fmt: skip
        assert squeeze(words) in text, words


def test_only_clinicians_of_the_child_get_the_letter_and_each_is_audited(
    app_client, world: World
) -> None:
    doctor = login(app_client, "doctor2")
    open_case = doctor.get(f"/cases/{world.other_case}/referral.pdf")
    assert open_case.status_code == 404  # no referral yet: the case is open
    assert open_case.json()["type"].endswith("no-referral")
    _refer(app_client, world)
    for name, status in (("parent2", 403), ("facility1", 403), ("bureau_p", 403),
                         ("doctor1", 404), ("admin", 200), ("doctor2", 200)):  # fmt: skip
        client = login(app_client, name)
        assert client.get(f"/cases/{world.other_case}/referral.pdf").status_code == status, name
    with world_db(world) as db:
        entries = db.execute(
            select(User.username, AuditEntry.object_kind, AuditEntry.object_ref)
            .join(User, User.id == AuditEntry.actor_id)
            .where(AuditEntry.action == "pdf.referral")
            .order_by(AuditEntry.id)
        ).all()
    child = str(world.other_child)
    assert [tuple(e) for e in entries] == [("admin", "child", child), ("doctor2", "child", child)]
