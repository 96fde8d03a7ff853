"""Create the reference records: areas, clinics, facilities, children, enrolments, users.

Every function takes a ``Session`` and explicit times; it flushes but does not commit.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from typing import TypeVar

from argon2 import PasswordHasher
from sqlmodel import Session, select

from health.areas import rebuild_area_ancestors
from health.errors import RecordError
from health.models import (
    Area,
    AreaCreate,
    Child,
    ChildCreate,
    Clinic,
    ClinicCreate,
    Enrolment,
    Facility,
    FacilityCreate,
    Guardianship,
    User,
    UserCreate,
)
from health.models.enums import AREA_LEVELS
from health.passwords import check_password

_HASHER = PasswordHasher()
Coded = TypeVar("Coded", Area, Clinic, Facility)


class NotFoundError(LookupError):
    """A referenced record (by code or id) does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"unknown {kind} '{key}'")


class InvalidRecordError(ValueError):
    """A record breaks a rule of the domain (e.g. an area below the wrong level)."""


NAME_LENGTH = 200  # the column's length
REGISTRATION_YEARS = 7
"""A child registered by a person is born at most this many years before the local today (the
service follows children of 0-6 years)."""

NOT_IN_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Characters no name or note may hold: C0 and C1 controls, DEL, and the bidirectional
embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which make a text read
differently from what it stores."""


def plain_text(
    value: str | None, message_id: str, field: str, *, limit: int, lines: bool = False
) -> str | None:
    """``value`` NFC-normalised and trimmed (None when empty); with ``lines`` its line breaks
    (any of CR, LF, CRLF, kept as LF) and tabs stay. Any other control or bidirectional-override
    character is a :class:`~health.errors.RecordError` with ``message_id``; a text that NFC made
    longer than ``limit`` characters is one too (``error.record.text_too_long``)."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value)
    if lines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = NOT_IN_TEXT.search(text.replace("\n", "").replace("\t", "") if lines else text)
    if found:
        code = f"U+{ord(found.group()):04X}"
        raise RecordError(message_id, field, f"holds the character {code}", character=code)
    text = text.strip()
    if len(text) > limit:
        raise RecordError(
            "error.record.text_too_long", field, f"longer than {limit} characters", limit=limit
        )
    return text or None


PHONE_DIGITS = (5, 20)
"""A guardian's phone number has this many digits, at least and at most."""
PHONE_LENGTH = 32  # the column's length
_PHONE_NOT = re.compile(r"[^0-9 +-]")
_PHONE_RUN = re.compile(r"[ -]+")


def phone_number(value: str | None) -> str | None:
    """A guardian's phone number as stored, or None when empty. NFKC-normalised first (so
    full-width digits, plus, hyphen and the ideographic space read as their ASCII forms) and
    trimmed; it holds only digits, an optional ``+`` at the start, and spaces or hyphens
    between digits; :data:`PHONE_DIGITS` digits. Each run of spaces and hyphens is kept as one
    hyphen (a run holding one) or one space; should that still be longer than the column, the
    number is kept as ``+`` and digits only. Refusals are :class:`~health.errors.RecordError`
    on ``guardian_phone``: ``error.record.phone_characters`` (with the first such character) and
    ``error.record.phone_digits`` (with the count of digits and the limits)."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    plus, rest = ("+", text[1:].lstrip()) if text.startswith("+") else ("", text)
    found = _PHONE_NOT.search(rest) or re.search(r"\+", rest)
    if found:
        character = found.group()
        shown = character if character.isprintable() else f"U+{ord(character):04X}"
        raise RecordError(
            "error.record.phone_characters", "guardian_phone",
            f"holds the character U+{ord(character):04X}", character=shown,
        )  # fmt: skip
    digits = re.sub(r"[^0-9]", "", rest)
    low, high = PHONE_DIGITS
    if not low <= len(digits) <= high:
        raise RecordError(
            "error.record.phone_digits", "guardian_phone",
            f"has {len(digits)} digits, not {low}-{high}", count=len(digits), low=low, high=high,
        )  # fmt: skip
    body = _PHONE_RUN.sub(lambda run: "-" if "-" in run.group() else " ", rest.strip(" -"))
    number = plus + body
    return number if len(number) <= PHONE_LENGTH else plus + digits


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _by_code(session: Session, model: type[Coded], kind: str, code: str) -> Coded:
    """The ``model`` row with ``code``, or :class:`NotFoundError` naming ``kind``."""
    found = session.exec(select(model).where(model.code == code)).first()
    if found is None:
        raise NotFoundError(kind, code)
    return found


def area_by_code(session: Session, code: str) -> Area:
    """The area with ``code``, or :class:`NotFoundError`."""
    return _by_code(session, Area, "area", code)


def clinic_by_code(session: Session, code: str) -> Clinic:
    """The clinic with ``code``, or :class:`NotFoundError`."""
    return _by_code(session, Clinic, "clinic", code)


def facility_by_code(session: Session, code: str) -> Facility:
    """The facility with ``code``, or :class:`NotFoundError`."""
    return _by_code(session, Facility, "facility", code)


def create_area(session: Session, data: AreaCreate) -> Area:
    """Add an area; its parent must sit exactly one level higher (the root has no parent)."""
    depth = AREA_LEVELS.index(data.level)
    parent_id = None
    if data.parent_code:
        parent = area_by_code(session, data.parent_code)
        if AREA_LEVELS.index(parent.level) != depth - 1:
            raise InvalidRecordError(
                f"a {data.level} cannot sit directly under a {parent.level} ('{parent.code}')"
            )
        parent_id = parent.id
    elif depth != 0:
        raise InvalidRecordError(f"a {data.level} needs a parent area")
    area = Area(code=data.code, name=data.name, level=data.level, parent_id=parent_id)
    session.add(area)
    session.flush()
    rebuild_area_ancestors(session)
    return area


def create_clinic(session: Session, data: ClinicCreate) -> Clinic:
    """Add a clinic in a township-level area."""
    area = area_by_code(session, data.area_code)
    if area.level != "township":
        raise InvalidRecordError(f"clinic area '{area.code}' is a {area.level}, not a township")
    clinic = Clinic(code=data.code, name=data.name, area_id=area.id)
    session.add(clinic)
    session.flush()
    return clinic


def create_facility(session: Session, data: FacilityCreate) -> Facility:
    """Add a childcare facility linked to one clinic."""
    area = area_by_code(session, data.area_code)
    clinic = clinic_by_code(session, data.clinic_code)
    facility = Facility(code=data.code, name=data.name, area_id=area.id, clinic_id=clinic.id)
    session.add(facility)
    session.flush()
    return facility


def create_child(session: Session, data: ChildCreate, *, today: dt.date | None = None) -> Child:
    """Add a child; without an external ``code`` a random one is assigned. The name is
    NFC-normalised and refused with control or bidirectional-override characters; the
    guardian's phone, when given, is read by :func:`phone_number`. With ``today`` (the local
    date: a registration by a person) the rules of registration apply too: the child lives in a
    township-level area, and is born not after ``today`` and not more than
    :data:`REGISTRATION_YEARS` years before it; ``registered_on`` is then ``today`` (without
    it, e.g. imported records, the child is known since birth: ``registered_on`` stays empty).
    Each refusal is a :class:`~health.errors.RecordError`."""
    name = plain_text(data.name, "error.record.name_characters", "name", limit=NAME_LENGTH)
    phone = phone_number(data.guardian_phone)
    area = area_by_code(session, data.area_code)
    if today is not None:
        _check_registration(data.birth_date, area, today)
    child = Child(
        **data.model_dump(exclude={"area_code", "code", "name", "guardian_phone"}),
        name=name,
        code=data.code or uuid.uuid4().hex[:16],
        area_id=area.id,
        guardian_phone=phone,
        registered_on=today,
    )
    session.add(child)
    session.flush()
    return child


def _check_registration(birth: dt.date, area: Area, today: dt.date) -> None:
    """The rules of a registration on the local ``today`` (see :func:`create_child`)."""
    if birth > today:
        raise RecordError(
            "error.record.birth_in_future", "birth_date", f"{birth} is after today",
            date=birth.isoformat(),
        )  # fmt: skip
    earliest = years_before(today, REGISTRATION_YEARS)
    if birth < earliest:
        raise RecordError(
            "error.record.birth_too_long_ago", "birth_date", f"{birth} is before {earliest}",
            date=birth.isoformat(), earliest=earliest.isoformat(), years=REGISTRATION_YEARS,
        )  # fmt: skip
    if area.level != "township":
        raise RecordError(
            "error.record.area_not_township", "area_code",
            f"area '{area.code}' is a {area.level}, not a township", area=area.code,
        )  # fmt: skip


def enrol(session: Session, child: Child, facility: Facility, start: dt.date | None) -> Enrolment:
    """Enrol ``child`` at ``facility`` from ``start``, ending any open enrolment the day before."""
    open_rows = session.exec(
        select(Enrolment).where(Enrolment.child_id == child.id, Enrolment.end_date.is_(None))  # type: ignore[union-attr]
    ).all()
    for row in open_rows:
        if row.facility_id == facility.id:
            return row
        row.end_date = (start - dt.timedelta(days=1)) if start else None
        if row.end_date is None:
            session.delete(row)
    enrolment = Enrolment(child_id=child.id, facility_id=facility.id, start_date=start)
    session.add(enrolment)
    session.flush()
    return enrolment


def leave_facility(session: Session, child: Child, end: dt.date) -> None:
    """End the child's open enrolment(s) on ``end``."""
    for row in session.exec(
        select(Enrolment).where(Enrolment.child_id == child.id, Enrolment.end_date.is_(None))  # type: ignore[union-attr]
    ):
        row.end_date = end
    session.flush()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (False on any mismatch)."""
    try:
        return _HASHER.verify(password_hash, password)
    except Exception:
        return False


def create_user(
    session: Session, data: UserCreate, *, now: dt.datetime, password_hash: str | None = None
) -> User:
    """Add an account; the scope column required by the role must be set. ``password_hash``
    (an argon2 hash of ``data.password``) skips hashing again, e.g. for many demo accounts.
    The password must meet :func:`health.passwords.check_password` (else ``PasswordRuleError``).
    """
    check_password(data.password, data.username)
    scope = {"doctor": data.clinic_id, "facility": data.facility_id, "bureau": data.area_id}
    if data.role in scope and scope[data.role] is None:
        raise InvalidRecordError(f"a {data.role} account needs its scope")
    user = User(
        **data.model_dump(exclude={"password"}),
        password_hash=password_hash or hash_password(data.password),
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def add_guardian(session: Session, user: User, child: Child, relation: str = "parent") -> None:
    """Link a parent account to a child (idempotent)."""
    if session.get(Guardianship, (user.id, child.id)) is None:
        session.add(Guardianship(user_id=user.id, child_id=child.id, relation=relation))
        session.flush()
