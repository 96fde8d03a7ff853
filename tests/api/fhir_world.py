"""Records for the FHIR tests on top of the API world: measurements of the parent's child
(clinic values: low weight at the last visit), a checklist, a recall, the guardian's phone, and
a referral of the other child's case."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from health.clock import Moment
from health.models import CaseClose, Child, MeasurementCreate, User
from health.models.enums import Outcome, Source
from health.pipeline import (
    PARENT_MILESTONES,
    Author,
    checklist_for,
    record_feeding,
    record_measurement,
    record_milestones,
)
from health.services.cases import close_case
from tests.api.api_world import TODAY, World, breast_milk_only, world_db

NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)
VISITS = (
    # measured_on, weight kg, length cm (lying), head cm
    (dt.date(2026, 1, 5), 4.2, 53.0, 37.0),
    (dt.date(2026, 3, 1), 5.6, 58.5, None),
    (dt.date(2026, 5, 20), 5.3, 61.0, 40.0),
)
PHONE = "138 0013 8000"


def clinic_measurements(db: Session, child: Child, by: Author) -> None:
    """The three clinic visits of :data:`VISITS` through the pipeline."""
    at = Moment(now=NOW, today=TODAY)
    for on, weight, length, head in VISITS:
        entry = MeasurementCreate(
            measured_on=on,
            source="clinic",
            weight_kg=weight,
            length_cm=length,
            measure="L",
            head_cm=head,
        )
        record_measurement(db, child, entry, by=by, at=at, confirm=True)


def enrich(world: World) -> None:
    """Add the records of the module docstring to ``world``."""
    at = Moment(now=NOW, today=TODAY)
    with world_db(world) as db:
        doctor = db.exec(select(User).where(User.username == "doctor1")).one()
        parent = db.exec(select(User).where(User.username == "parent1")).one()
        own = db.get(Child, world.own_child)
        assert own is not None
        own.guardian_phone = PHONE
        db.add(own)
        clinic_measurements(db, own, Author(Source.clinic, doctor.id, clinic_id=world.clinic1))
        home = Author(Source.home, parent.id)
        form = checklist_for(own, PARENT_MILESTONES, TODAY)
        answers = {item.id: "yes" for item in form.band.items} | {form.band.items[0].id: "not_yet"}
        answers |= {q.id: "no" for q in form.instrument.global_questions}
        record_milestones(
            db,
            own,
            instrument=PARENT_MILESTONES,
            administered_on=TODAY,
            answers=answers,
            by=home,
            at=at,
        )
        record_feeding(
            db,
            own,
            recalled_on=TODAY - dt.timedelta(days=1),
            answers=breast_milk_only(),
            by=home,
            at=at,
        )
        close_case(
            db,
            world.other_case,
            CaseClose(
                outcome=Outcome.referred, outcome_note="County maternal and child health hospital"
            ),
            actor_id=None,
            now=NOW,
            today=TODAY,
        )
