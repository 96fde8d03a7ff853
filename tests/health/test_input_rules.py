"""The input rules of a registration (``health.registry.create_child`` with ``today``) and of
the texts people type (``plain_text``), on both databases: each refusal a ``RecordError`` with
its catalogue message, nothing stored."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from health.errors import RecordError
from health.models import Child, ChildCreate
from health.registry import create_child, plain_text, years_before
from screening.messages import text
from tests.health.health_builders import build_geography

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def units(session: Session) -> dict:
    return build_geography(session)


def register(session: Session, **fields: object) -> Child:
    data = {"sex": "F", "birth_date": dt.date(2025, 1, 1), "area_code": "T1"} | fields
    return create_child(session, ChildCreate(**data), today=TODAY)  # type: ignore[arg-type]


def refusal(session: Session, **fields: object) -> RecordError:
    with pytest.raises(RecordError) as refused:
        register(session, **fields)
    assert session.exec(select(Child)).all() == []  # nothing stored
    return refused.value


@pytest.mark.parametrize("area", ["P", "C", "K1"])
def test_a_child_lives_in_a_township(session: Session, units: dict, area: str) -> None:
    error = refusal(session, area_code=area)
    assert (error.message_id, error.field, error.params["area"]) == (
        "error.record.area_not_township", "area_code", area,
    )  # fmt: skip
    assert register(session, area_code="T2").area_id is not None


@pytest.mark.parametrize(
    "born,message_id",
    [
        (dt.date(1, 1, 1), "error.record.birth_too_long_ago"),
        (dt.date(1900, 1, 1), "error.record.birth_too_long_ago"),
        (dt.date(2019, 6, 14), "error.record.birth_too_long_ago"),
        (dt.date(2026, 6, 16), "error.record.birth_in_future"),
        (dt.date(9999, 12, 31), "error.record.birth_in_future"),
    ],
)
def test_a_birth_date_is_within_seven_years_before_today(
    session: Session, units: dict, born: dt.date, message_id: str
) -> None:
    error = refusal(session, birth_date=born)
    assert (error.message_id, error.field) == (message_id, "birth_date")
    words = text(error.message_id, "zh-CN", **error.params)
    assert born.isoformat() in words and "{" not in words


@pytest.mark.parametrize("born", [dt.date(2019, 6, 15), TODAY])
def test_the_edges_of_the_birth_window_are_accepted(
    session: Session, units: dict, born: dt.date
) -> None:
    assert register(session, birth_date=born).birth_date == born


def test_seven_years_before_a_leap_day() -> None:
    assert years_before(dt.date(2028, 2, 29), 7) == dt.date(2021, 2, 28)
    assert years_before(TODAY, 7) == dt.date(2019, 6, 15)


def test_rules_of_registration_need_the_local_today(session: Session, units: dict) -> None:
    """Without ``today`` (builders, fixtures) only the name rule applies."""
    old = ChildCreate(sex="M", birth_date=dt.date(2010, 1, 1), area_code="K1")
    assert create_child(session, old).area_id is not None
    with pytest.raises(RecordError):
        create_child(session, ChildCreate(sex="M", birth_date=TODAY, area_code="T1", name="\x00"))


@pytest.mark.parametrize(
    "name,character",
    [
        ("a\x00b", "U+0000"),
        ("Xiao\u202egnp.exe", "U+202E"),
        ("\x1b[31mXiao", "U+001B"),
        ("Xiao\nming", "U+000A"),
        ("Xiao\x7fming", "U+007F"),
        ("Xiao\x85ming", "U+0085"),
        ("\u202aXiao", "U+202A"),
        ("Xiao\u2069", "U+2069"),
    ],
)
def test_names_refuse_control_and_direction_characters(
    session: Session, units: dict, name: str, character: str
) -> None:
    error = refusal(session, name=name)
    assert (error.message_id, error.field) == ("error.record.name_characters", "name")
    assert error.params["character"] == character
    assert character in text(error.message_id, "en", **error.params)


@pytest.mark.parametrize(
    "name,stored",
    [("Cafe\u0301", "Caf\u00e9"), ("  小明 ", "小明"), ("   ", None), ("", None), (None, None)],
)
def test_names_are_stored_in_nfc_and_trimmed(
    session: Session, units: dict, name: str | None, stored: str | None
) -> None:
    assert register(session, name=name).name == stored


def test_a_name_that_nfc_makes_too_long_is_refused(session: Session, units: dict) -> None:
    """U+0958 is decomposed by NFC (a composition exclusion): 200 of them become 400 code
    points, more than the column holds (PostgreSQL would refuse the row)."""
    error = refusal(session, name="\u0958" * 200)
    assert (error.message_id, error.params["limit"]) == ("error.record.text_too_long", 200)


def test_notes_keep_line_breaks_and_tabs_only() -> None:
    assert plain_text("a\r\nb\rc\td", "m", "note", limit=10, lines=True) == "a\nb\nc\td"
    with pytest.raises(RecordError):
        plain_text("a\r\nb", "m", "name", limit=10)
    with pytest.raises(RecordError):
        plain_text("a\x0bb", "m", "note", limit=10, lines=True)  # vertical tab
