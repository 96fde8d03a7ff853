"""``childhealth seed-demo``: a deterministic synthetic province for demonstrations.

An empty database receives: areas (province → cities → counties → townships), one clinic per
township, linked childcare facilities, a few thousand children whose checks follow the schedule
with a compliance that differs by county and whose growth follows the WHO standards (a share
stunted, wasted, overweight or faltering), home measurements (through the services, so flags and
cases appear), milestone checklists and feeding recalls (some raising flags), and one or more
demo account for every role. The same ``seed`` and ``today`` give the same data.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session, col

from health import demo_names
from health.clock import Moment
from health.exchange import import_folder
from health.models import (
    Area,
    Child,
    Clinic,
    Facility,
    MeasurementCreate,
    User,
    UserCreate,
)
from health.models.enums import Role, Source
from health.pipeline import Author, record_feeding, record_measurement, record_milestones
from health.registry import add_guardian, create_user, hash_password
from health.synthetic import Layout, generate, write_folder
from screening import development, reference
from screening.errors import ScreeningInputError
from screening.vocabulary import who_completed_months

DEMO_PASSWORD = "childhealth-demo"
DEMO_LAYOUT = Layout(cities=2, counties_per_city=2, townships_per_county=3)


class DemoError(Exception):
    """Seeding refused (the database already holds data)."""


@dataclass
class DemoSummary:
    """What was seeded: row counts and the demo accounts (username, role)."""

    counts: dict[str, int] = field(default_factory=dict)
    accounts: list[tuple[str, str]] = field(default_factory=list)


def _is_empty(engine: Engine) -> bool:
    with Session(engine) as session:
        for model in (Area, Child, User):
            if session.execute(select(func.count()).select_from(model)).one()[0]:  # type: ignore[call-overload]
                return False
    return True


def seed_demo(
    engine: Engine,
    *,
    today: dt.date,
    now: dt.datetime,
    seed: int = 7,
    children: int = 3000,
) -> DemoSummary:
    """Fill an empty database with the demo province; raises :class:`DemoError` otherwise."""
    if not _is_empty(engine):
        raise DemoError("the database is not empty: seed-demo only fills an empty database")
    summary = DemoSummary()
    with tempfile.TemporaryDirectory(prefix="childhealth-demo-") as tmp:
        folder = Path(tmp)
        write_folder(folder, generate(children, today, seed=seed, layout=DEMO_LAYOUT))
        loaded = import_folder(engine, folder, today=today)
    summary.counts.update({k.removesuffix(".csv"): v for k, v in loaded.read.items()})
    rng = np.random.default_rng(seed + 1)
    with Session(engine) as session:
        _name_children(session)
        summary.accounts = _accounts(session, rng, now)
        summary.counts["home_measurements"] = _home_measurements(session, rng, today, now)
        summary.counts["milestone_checklists"] = _milestones(session, rng, today, now)
        summary.counts["feeding_recalls"] = _feeding(session, rng, today, now)
        session.commit()
        summary.counts["open_cases"] = session.execute(
            text("SELECT COUNT(*) FROM cases WHERE status = 'open'")
        ).scalar_one()
    return summary


def _name_children(session: Session) -> None:
    """Give every demo child a made-up Chinese name and most a made-up guardian phone that
    cannot be a real one (:func:`health.demo_names.phone`; the exchange format carries
    neither). No random draw: the demo's figures stay as they are."""
    rows = session.execute(text("SELECT id, sex FROM children ORDER BY id")).all()
    session.execute(
        text("UPDATE children SET name = :name, guardian_phone = :phone WHERE id = :id"),
        [{"id": int(i), "name": demo_names.child(int(i), str(sex)),
          "phone": demo_names.phone(int(i))} for i, sex in rows],
    )  # fmt: skip


def _accounts(
    session: Session, rng: np.random.Generator, now: dt.datetime
) -> list[tuple[str, str]]:
    """Demo accounts for every role; all share :data:`DEMO_PASSWORD`."""
    root = session.execute(select(Area).where(Area.level == "province")).first()[0]  # type: ignore[index]
    county = session.execute(
        select(Area).where(Area.level == "county").order_by(Area.code)
    ).first()[0]  # type: ignore[index]
    clinics = [r[0] for r in session.execute(select(Clinic).order_by(Clinic.code).limit(3))]  # type: ignore[call-overload]
    facilities = [r[0] for r in session.execute(select(Facility).order_by(Facility.code).limit(2))]  # type: ignore[call-overload]
    plan: list[dict[str, Any]] = [
        {"username": "admin", "role": "admin", "display_name": "系统管理员"},
        {"username": "bureau-province", "role": "bureau", "area_id": root.id,
         "display_name": f"{root.name}卫生健康委"},
        {"username": "bureau-county", "role": "bureau", "area_id": county.id,
         "display_name": f"{county.name}卫生健康局"},
    ]  # fmt: skip
    plan += [
        {"username": f"doctor-{i + 1}", "role": "doctor", "clinic_id": c.id,
         "display_name": f"{c.name}儿保医生"}
        for i, c in enumerate(clinics)
    ]  # fmt: skip
    plan += [
        {"username": f"facility-{i + 1}", "role": "facility", "facility_id": f.id,
         "display_name": f"{f.name}保育老师"}
        for i, f in enumerate(facilities)
    ]  # fmt: skip
    parents = [{"username": f"parent-{i + 1}", "role": "parent", "display_name": f"家长{i + 1}"}
               for i in range(4)]  # fmt: skip
    young = [
        row[0]
        for row in session.execute(
            select(Child)
            .where(
                Child.area_id == clinics[0].area_id,
                col(Child.birth_date) > now.date() - dt.timedelta(days=3 * 365),
            )
            .order_by(Child.code)
        )
    ]
    accounts = []
    shared = hash_password(DEMO_PASSWORD)  # one argon2 hash for every demo account
    for spec in plan + parents:
        data = UserCreate(password=DEMO_PASSWORD, **spec)
        user = create_user(session, data, now=now, password_hash=shared)
        accounts.append((user.username, str(user.role)))
        if user.role == Role.parent:
            pool = young or [None]
            count = 1 + int(user.username.endswith(("1", "3")))  # two parents have twins-ish
            for _ in range(count):
                kid = pool[int(rng.integers(0, len(pool)))]
                if kid is not None:
                    add_guardian(session, user, kid)
    return accounts


def _home_measurements(
    session: Session, rng: np.random.Generator, today: dt.date, now: dt.datetime
) -> int:
    """For about one child in eight under 5: the last two clinic checks' values become clinic
    measurements (so growth series and faltering show), then a home weight and length a few
    weeks later (the last clinic values plus growth and home-scale noise)."""
    rows = session.execute(
        text(
            "SELECT c.id, k.check_date, k.weight_kg, k.length_cm, k.measure, k.head_cm "
            "FROM children c JOIN checks k ON k.child_id = c.id "
            "WHERE k.weight_kg IS NOT NULL AND c.birth_date > :oldest "
            "ORDER BY c.id, k.check_date"
        ),
        {"oldest": today - dt.timedelta(days=5 * 365)},
    ).all()
    by_child: dict[int, list[Any]] = {}
    for row in rows:
        by_child.setdefault(int(row[0]), []).append(row)
    done = 0
    for child_id, checks in by_child.items():
        if rng.random() >= 0.125:
            continue
        for _, day, weight, length, measure, head in checks[-2:]:
            clinic = MeasurementCreate(
                measured_on=dt.date.fromisoformat(str(day)[:10]),  # raw SQL: text on SQLite
                source="clinic",  # type: ignore[arg-type]
                weight_kg=weight,
                length_cm=length,
                measure=measure,
                head_cm=head,
            )
            record_measurement(session, _child(session, child_id), clinic, at=Moment(now, today),
                               by=Author(Source.clinic), confirm=True)  # fmt: skip
        _, last, weight, length, measure, _ = checks[-1]
        last_day = dt.date.fromisoformat(str(last)[:10])
        on = min(last_day + dt.timedelta(days=int(rng.integers(7, 45))), today)
        if on == last_day:
            continue
        data = MeasurementCreate(
            measured_on=on,
            source="home",  # type: ignore[arg-type]
            weight_kg=round(weight * (1 + rng.normal(0.01, 0.02)), 2),
            length_cm=round(length + abs(rng.normal(0.4, 0.3)), 1) if length else None,
            measure=measure,
        )
        record_measurement(session, _child(session, child_id), data, at=Moment(now, today),
                           by=Author(Source.home), confirm=True)  # fmt: skip
        done += 1
    return done


def _child(session: Session, child_id: int) -> Child:
    child = session.get(Child, child_id)
    assert child is not None  # ids come from the query just made
    return child


def _milestones(
    session: Session, rng: np.random.Generator, today: dt.date, now: dt.datetime
) -> int:
    """Parent milestone checklists for some children under 3; about one in ten answers one
    item 'not yet'."""
    inst = reference.instrument("milestone-checklist")
    kids = session.execute(
        select(Child).where(col(Child.birth_date) > today - dt.timedelta(days=3 * 365))
        .order_by(Child.id)
    ).all()  # fmt: skip
    done = 0
    for (child,) in kids:
        if rng.random() >= 0.08:
            continue
        try:
            age = development.age_used(inst, birth_date=child.birth_date,
                                       gestational_weeks=child.gestational_weeks,
                                       assessment_date=today)  # fmt: skip
            band = development.choose_band(inst, age)
        except ScreeningInputError:
            continue  # no band at this age
        answers = {item.id: "yes" for item in band.items}
        answers |= {q.id: "no" for q in inst.global_questions}
        if rng.random() < 0.1:
            answers[band.items[int(rng.integers(0, len(band.items)))].id] = "not_yet"
        record_milestones(session, child, instrument=inst.code, administered_on=today,
                          by=Author(Source.home), answers=answers,
                          at=Moment(now, today))  # fmt: skip
        done += 1
    return done


def _recall_answers(rng: np.random.Generator, months: int) -> dict[str, Any]:
    """A plausible previous-day recall for a child of ``months`` (answers of the question bank)."""
    bank = reference.recall_bank()
    breastfed = bool(rng.random() < (0.8 if months < 12 else 0.4))
    liquids = {}
    for q in bank.liquids:
        taken = bool(rng.random() < (0.35 if months >= 6 else 0.08))
        entry: dict[str, Any] = {"taken": taken}
        if taken and q.with_times:
            entry["times"] = int(rng.integers(1, 5))
        if taken and q.asks_sweetened:
            entry["sweetened"] = bool(rng.random() < 0.3)
        liquids[q.id] = entry
    foods = {}
    for f in bank.foods:
        taken = months >= 6 and bool(rng.random() < (0.1 if f.unhealthy else 0.45))
        entry = {"taken": taken}
        if taken and f.with_times:
            entry["times"] = 1
        foods[f.id] = entry
    eaten = sum(1 for v in foods.values() if v["taken"])
    return {
        "breastfed": breastfed,
        "bottle_with_nipple": bool(rng.random() < 0.3),
        "liquids": liquids,
        "foods": foods,
        "solid_feeds": 0 if eaten == 0 else int(rng.integers(1, 5)),
        "vitamin_d": bool(rng.random() < 0.8),
    }


def _feeding(session: Session, rng: np.random.Generator, today: dt.date, now: dt.datetime) -> int:
    """Feeding recalls for some children under 2 (yesterday's diet)."""
    yesterday = today - dt.timedelta(days=1)
    kids = session.execute(
        select(Child).where(col(Child.birth_date) > yesterday - dt.timedelta(days=700),
                            col(Child.birth_date) < yesterday).order_by(Child.id)
    ).all()  # fmt: skip
    done = 0
    for (child,) in kids:
        if rng.random() >= 0.15:
            continue
        months = who_completed_months((yesterday - child.birth_date).days)
        record_feeding(session, child, recalled_on=yesterday, by=Author(Source.home),
                       answers=_recall_answers(rng, months), at=Moment(now, today))  # fmt: skip
        done += 1
    return done


__all__ = ["DEMO_PASSWORD", "DemoError", "DemoSummary", "seed_demo"]
