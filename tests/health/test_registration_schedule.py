"""Issue 11: a check whose window closed before the child was registered here is not missed
("before registration", never on the missed list); a registration records its local day; the
guardian's phone is read by one rule; the demo's made-up phone numbers cannot be real ones."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlmodel import Session

from health import demo_names
from health.errors import RecordError
from health.models import Child, ChildCreate
from health.models.enums import CheckState
from health.registry import create_child, phone_number
from health.schedule import child_schedule, due_entries
from health.services.schedule import due_list, schedule_for_child
from tests.health.health_builders import build_geography

TODAY = dt.date(2026, 6, 15)
BORN = dt.date(2026, 3, 15)  # 3 months old on TODAY
# windows of a child born 2026-03-15 (reference_data/schedule/china_0_6.yaml):
# newborn visit 03-15 .. 04-12 (days 0-28), full month 04-12 .. 04-14 (days 28-30),
# 3 months 05-31 .. 07-15


def _states(registered_on: dt.date | None) -> dict[str, str]:
    statuses = child_schedule(BORN, [], TODAY, registered_on=registered_on)
    return {s.code: str(s.status) for s in statuses[:4]}


def test_a_child_registered_today_at_three_months_has_not_missed_the_newborn_visit() -> None:
    assert _states(TODAY) == {
        "newborn_visit": "before_registration",
        "full_month": "before_registration",
        "m3": "due",
        "m6": "upcoming",
    }


@pytest.mark.parametrize("registered_on", [BORN, None])
def test_a_child_known_since_birth_has_missed_the_newborn_visit(
    registered_on: dt.date | None,
) -> None:
    assert _states(registered_on) == {
        "newborn_visit": "missed",
        "full_month": "missed",
        "m3": "due",
        "m6": "upcoming",
    }


def test_a_window_still_open_on_the_day_of_registration_is_the_services_to_keep() -> None:
    # registered 04-12, the newborn visit's last day: missed; a day later: before registration,
    # but the full-month window (04-12 .. 04-14) was open then: missed
    assert _states(dt.date(2026, 4, 12))["newborn_visit"] == "missed"
    later = _states(dt.date(2026, 4, 13))
    assert (later["newborn_visit"], later["full_month"]) == ("before_registration", "missed")
    assert _states(dt.date(2026, 4, 15))["full_month"] == "before_registration"


def test_a_check_done_before_registration_stays_done() -> None:
    done = [(dt.date(2026, 3, 20), "newborn_visit")]
    statuses = child_schedule(BORN, done, TODAY, registered_on=TODAY)
    assert (statuses[0].status, statuses[0].done_on) == (CheckState.done, dt.date(2026, 3, 20))


def test_a_registration_records_its_local_day_and_the_phone(session: Session) -> None:
    build_geography(session)
    entry = ChildCreate(sex="F", birth_date=BORN, area_code="T1", guardian_phone=" 100 1234-5678")
    registered = create_child(session, entry, today=TODAY)
    imported = create_child(session, ChildCreate(sex="M", birth_date=BORN, area_code="T1"))
    assert (registered.registered_on, registered.guardian_phone) == (TODAY, "100 1234-5678")
    assert (imported.registered_on, imported.guardian_phone) == (None, None)
    statuses, upcoming = schedule_for_child(session, registered, TODAY)
    assert statuses[0].status == "before_registration"
    assert upcoming is not None and upcoming.code == "m3"


def test_the_missed_list_leaves_out_checks_closed_before_registration(session: Session) -> None:
    build_geography(session)
    today_entry = ChildCreate(code="K-TODAY", sex="F", birth_date=BORN, area_code="T1")
    birth_entry = ChildCreate(code="K-BIRTH", sex="M", birth_date=BORN, area_code="T1",
                              guardian_phone="100-0000-0007")  # fmt: skip
    create_child(session, today_entry, today=TODAY)
    at_birth = create_child(session, birth_entry, today=BORN)
    in_scope = Child.code.in_(["K-TODAY", "K-BIRTH"])
    missed = due_list(session, in_scope, TODAY, ("missed",))
    assert [(r.child_code, r.check, r.days_overdue, r.guardian_phone) for r in missed] == [
        ("K-BIRTH", "newborn_visit", 64, "100-0000-0007"),  # closed 04-12: 64 days before 06-15
    ]
    assert missed[0].child_id == at_birth.id and missed[0].age_days == 92
    due = due_list(session, in_scope, TODAY, ("due",))
    assert sorted((r.child_code, r.check) for r in due) == [("K-BIRTH", "m3"), ("K-TODAY", "m3")]


def _expected(births, registered, checks_by_child, today, statuses):  # type: ignore[no-untyped-def]
    out = set()
    for index, birth in enumerate(births):
        seen = set()
        done = checks_by_child.get(index, [])
        for item in child_schedule(birth, done, today, registered_on=registered[index]):
            recent = item.status != "missed" or 0 < (today - item.closes).days <= 365
            if item.status in statuses and item.status not in seen and recent:
                seen.add(item.status)
                out.add((index, item.code, item.status, item.opens, item.closes))
    return out


@pytest.mark.parametrize("seed", [4, 5])
def test_due_entries_agree_with_each_childs_schedule_with_registration_dates(seed: int) -> None:
    rng = np.random.default_rng(seed)
    today = dt.date(2026, 6, 15)
    n = 300
    births = [today - dt.timedelta(days=int(d)) for d in rng.integers(0, 7 * 365, n)]
    registered: list[dt.date | None] = []
    for birth in births:  # 30 % known since birth, the others registered on a day since birth
        late = int(rng.integers(0, (today - birth).days + 1))
        registered.append(None if rng.random() < 0.3 else birth + dt.timedelta(days=late))
    rows, dates, kinds = [], [], []
    checks_by_child: dict[int, list[tuple[dt.date, str]]] = {}
    for index, birth in enumerate(births):
        for _ in range(int(rng.integers(0, 6))):
            day = birth + dt.timedelta(days=int(rng.integers(0, (today - birth).days + 1)))
            kind = ("newborn_visit", "full_month", "routine")[int(rng.choice(3, p=[0.2, 0.1, 0.7]))]
            rows.append(index)
            dates.append(day)
            kinds.append(kind)
            checks_by_child.setdefault(index, []).append((day, kind))
    for statuses in [("due", "missed"), ("missed",)]:
        got = due_entries(
            np.array(births, dtype="datetime64[D]"),
            np.array(rows, dtype=np.int64),
            np.array(dates, dtype="datetime64[D]"),
            np.array(kinds, dtype=object),
            today,
            statuses,
            registered=np.array(registered, dtype="datetime64[D]"),
        )
        found = {(e.index, e.code, e.status, e.opens, e.closes) for e in got}
        assert found == _expected(births, registered, checks_by_child, today, statuses)


@pytest.mark.parametrize(
    ("entered", "stored"),
    [
        ("100-1234-5678", "100-1234-5678"),
        ("  +86 100 1234 5678 ", "+86 100 1234 5678"),
        ("１００－１２３４\u3000５６７８", "100-1234 5678"),  # full-width, as a Chinese IME types
        ("100 - 1234--5678", "100-1234-5678"),  # a run of separators is one
        ("12345", "12345"),
        ("+ 44 20 1234", "+44 20 1234"),
        ("1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0", "12345678901234567890"),  # > 32: digits
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_a_phone_number_is_kept_in_one_form(entered: str | None, stored: str | None) -> None:
    assert phone_number(entered) == stored
    assert phone_number(stored) == stored  # reading it again changes nothing


@pytest.mark.parametrize(
    ("entered", "message_id", "params"),
    [
        ("1234", "error.record.phone_digits", {"count": 4, "low": 5, "high": 20}),
        ("+", "error.record.phone_digits", {"count": 0, "low": 5, "high": 20}),
        ("1" * 21, "error.record.phone_digits", {"count": 21, "low": 5, "high": 20}),
        ("(010) 1234-5678", "error.record.phone_characters", {"character": "("}),
        ("100 1234 5678 ext 2", "error.record.phone_characters", {"character": "e"}),
        ("100+1234", "error.record.phone_characters", {"character": "+"}),
        ("\u202e10012345678", "error.record.phone_characters", {"character": "U+202E"}),
        ("100\x001234", "error.record.phone_characters", {"character": "U+0000"}),
    ],
)
def test_a_phone_number_that_is_not_one_is_refused(
    entered: str, message_id: str, params: dict[str, object]
) -> None:
    with pytest.raises(RecordError) as refused:
        phone_number(entered)
    assert (refused.value.message_id, refused.value.field) == (message_id, "guardian_phone")
    assert refused.value.params == params


def test_demo_phone_numbers_are_made_up_and_fixed() -> None:
    assert demo_names.phone(1) == "100-0000-7919"
    assert demo_names.phone(3000) is None  # every eighth child has none on file
    assert demo_names.phone(3001) == "100-2376-4919"  # 3001 x 7919 = 23 764 919
    numbers = [demo_names.phone(i) for i in range(1, 5001)]
    given = [p for p in numbers if p is not None]
    assert len(given) == 5000 - 625 and len(set(given)) == len(given)
    assert all(p.startswith("100-") and phone_number(p) == p for p in given)
