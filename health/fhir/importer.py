"""Import of Patients and measurement Observations from another system (``childhealth
import-fhir FILE|DIR``): a Bundle (JSON), a single resource, or NDJSON (one resource a line).

- Each resource is validated as FHIR R4B (``fhir.resources``). Patients are matched to our
  children by identifier: the system of this deployment (``health.fhir.identifier_system``) or
  one named by the caller, the value a child's code. An Observation's subject is a Patient of
  the input (``Patient/<id>``) or a logical reference by identifier.
- Observations imported: body weight (LOINC 29463-7; kg or g), length lying (8306-3) and height
  standing (8302-2) (cm, mm or m), head circumference (9843-4; cm or mm), status ``final``,
  ``amended`` or ``corrected``. Any other code or status (z-scores, percentiles, BMI, MUAC,
  preliminary values) and other resource types are skipped: derived values are worked out again
  by the pipeline.
- Values of one child on one day form one measurement (the same kind twice on a day starts the
  next one), recorded in date order through ``health.pipeline.record_measurement`` as a clinic
  (a professional source, values beyond WHO's limits stored as confirmed), so flags and cases
  follow as for any entry.
- Idempotent: a measurement is already present when a measurement of the child on that day
  that was not withdrawn has every value of it (to 0.001); it is not stored again.
- All-or-nothing: every refusal is collected with its file, resource (id, line or entry) and
  reason, and then nothing is stored (:class:`FhirImportError`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from health.clock import Clock, Moment
from health.errors import RecordError
from health.fhir.codes import LOINC, identifier_system
from health.models import Child, Measurement, MeasurementCreate
from health.models.enums import Source
from health.pipeline import Author, record_measurement
from health.services import audit
from screening.errors import ScreeningInputError
from screening.messages import has, text

IMPORTED = {"29463-7": "weight", "8306-3": "length", "8302-2": "height", "9843-4": "head"}
UNITS = {
    "weight": {"kg": 1.0, "g": 0.001},
    "length": {"cm": 1.0, "mm": 0.1, "m": 100.0},
    "height": {"cm": 1.0, "mm": 0.1, "m": 100.0},
    "head": {"cm": 1.0, "mm": 0.1},
}
FIELD = {"weight": "weight_kg", "length": "length_cm", "height": "length_cm", "head": "head_cm"}
USABLE_STATUS = ("final", "amended", "corrected")
STATUSES = ("registered", "preliminary", *USABLE_STATUS, "cancelled", "entered-in-error", "unknown")
"""The R4B Observation statuses (``fhir.resources`` does not check the code)."""
TOLERANCE = 5e-4
"""Two values are the same when they differ by less than this (kg or cm)."""


@dataclass(frozen=True)
class Refusal:
    """Why one resource (or one measurement made of several) was refused."""

    file: str
    resource: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.resource}: {self.reason}"


class FhirImportError(Exception):
    """The import was refused; nothing was stored. ``refusals`` lists every reason."""

    def __init__(self, refusals: list[Refusal]) -> None:
        self.refusals = refusals
        super().__init__(f"{len(refusals)} refusal(s); first: {refusals[0]}")


@dataclass
class ImportSummary:
    """Resources read and skipped, measurements stored and already present."""

    resources: int = 0
    skipped: int = 0
    stored: int = 0
    already_present: int = 0
    children: set[int] = field(default_factory=set)


@dataclass
class _Value:
    file: str
    where: str
    child: Child
    on: dt.date
    kind: str
    value: float


def _read(path: Path) -> Iterator[tuple[str, str, Any]]:
    """(file, where, resource or an error text) for every resource of ``path``."""
    files = sorted(p for p in path.iterdir() if p.suffix in (".json", ".ndjson")) if path.is_dir() \
        else [path]  # fmt: skip
    for file in files:
        shown = str(file)
        try:
            raw = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            yield shown, "(file)", f"cannot be read: {error}"
            continue
        if file.suffix == ".ndjson":
            for n, line in enumerate(raw.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    yield shown, f"line {n}", json.loads(line)
                except json.JSONDecodeError as error:
                    yield shown, f"line {n}", f"not JSON: {error.msg}"
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            yield shown, f"line {error.lineno}", f"not JSON: {error.msg}"
            continue
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            for i, entry in enumerate(data.get("entry") or []):
                resource = entry.get("resource") if isinstance(entry, dict) else None
                yield shown, f"entry[{i}]", resource if resource is not None else "no resource"
        else:
            yield shown, "(resource)", data


def _validate(resource: Any) -> str | None:
    """None when ``resource`` is a valid FHIR R4B resource, else the reason."""
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return "not a FHIR resource (no resourceType)"
    try:
        model = get_fhir_model_class(resource["resourceType"])
    except (KeyError, ValueError):
        return f"unknown resource type {resource['resourceType']!r}"
    try:
        model.model_validate(resource)
    except ValidationError as error:
        first = error.errors()[0]
        place = ".".join(str(p) for p in first.get("loc", ()))
        return f"not valid FHIR R4B: {place}: {first.get('msg')}"
    return None


def _name(resource: dict[str, Any], where: str) -> str:
    rid = resource.get("id")
    return (
        f"{resource['resourceType']}/{rid} ({where})"
        if rid
        else f"{resource['resourceType']} ({where})"
    )


class _Reader:
    """Collects children, values and refusals from the resources of an input."""

    def __init__(self, session: Session, systems: tuple[str, ...], clock: Clock) -> None:
        self.session, self.systems, self.clock = session, systems, clock
        self.patients: dict[str, Child] = {}
        self.refusals: list[Refusal] = []
        self.values: list[_Value] = []
        self.summary = ImportSummary()
        self._observations: list[tuple[str, str, dict[str, Any]]] = []

    def refuse(self, file: str, resource: str, reason: str) -> None:
        self.refusals.append(Refusal(file, resource, reason))

    def child_by_identifiers(self, identifiers: Iterable[Any]) -> tuple[Child | None, str]:
        tried = []
        for ident in identifiers or ():
            if not isinstance(ident, dict) or ident.get("system") not in self.systems:
                continue
            value = str(ident.get("value") or "")
            tried.append(f"{ident['system']}|{value}")
            found = self.session.execute(select(Child).where(Child.code == value)).scalar()
            if found is not None:
                return found, ""
        if not tried:
            return None, f"no identifier of system {' or '.join(self.systems)}"
        return None, f"no child here with identifier {', '.join(tried)}"

    def add(self, file: str, where: str, resource: Any) -> None:
        self.summary.resources += 1
        if isinstance(resource, str):
            self.refuse(file, where, resource)
            return
        problem = _validate(resource)
        if problem is not None:
            self.refuse(file, where, problem)
            return
        kind = resource["resourceType"]
        if kind == "Patient":
            child, reason = self.child_by_identifiers(resource.get("identifier"))
            if child is None:
                self.refuse(file, _name(resource, where), reason)
            elif resource.get("id"):
                self.patients[f"Patient/{resource['id']}"] = child
        elif kind == "Observation":
            self._observations.append((file, where, resource))
        else:
            self.summary.skipped += 1

    def finish(self) -> None:
        """Read the Observations (their Patients may come later in the input)."""
        for file, where, resource in self._observations:
            self._observation(file, _name(resource, where), resource)

    def _observation(self, file: str, name: str, obs: dict[str, Any]) -> None:
        codes = [c.get("code") for c in (obs.get("code") or {}).get("coding") or []
                 if c.get("system") == LOINC and c.get("code") in IMPORTED]  # fmt: skip
        if obs.get("status") not in STATUSES:
            self.refuse(file, name, f"status {obs.get('status')!r} is not an Observation status")
            return
        if not codes or obs.get("status") not in USABLE_STATUS:
            self.summary.skipped += 1
            return
        kind = IMPORTED[codes[0]]
        subject = obs.get("subject") or {}
        child = self.patients.get(str(subject.get("reference") or ""))
        if child is None and isinstance(subject.get("identifier"), dict):
            child, _ = self.child_by_identifiers([subject["identifier"]])
        if child is None:
            self.refuse(file, name, f"subject {subject.get('reference') or subject} is no "
                        "Patient matched to a child of this service")  # fmt: skip
            return
        quantity = obs.get("valueQuantity") or {}
        unit = quantity.get("code") or quantity.get("unit")
        factor = UNITS[kind].get(str(unit))
        if quantity.get("value") is None or factor is None:
            units = ", ".join(UNITS[kind])
            self.refuse(file, name, f"needs a valueQuantity in {units} (got {unit or 'none'})")
            return
        try:
            on = self._date(obs)
        except ValueError:
            on = None
        if on is None:
            self.refuse(file, name, "needs effectiveDateTime (a day: YYYY-MM-DD)")
            return
        value = round(float(quantity["value"]) * factor, 3)
        self.values.append(_Value(file, name, child, on, kind, value))

    def _date(self, obs: dict[str, Any]) -> dt.date | None:
        stamp = obs.get("effectiveDateTime") or (obs.get("effectivePeriod") or {}).get("start")
        if not stamp:
            return None
        stamp = str(stamp)
        if len(stamp) == 10:
            return dt.date.fromisoformat(stamp)
        if len(stamp) < 10:
            return None  # a year or a month is not a day
        instant = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return self.clock.local_date(instant) if instant.tzinfo else instant.date()


def _groups(values: list[_Value]) -> list[list[_Value]]:
    """Values of one child and day as measurements (a kind already in one starts the next);
    lengths lying and heights standing are one kind. Ordered by child and day."""
    out: dict[tuple[int, dt.date], list[list[_Value]]] = {}
    for v in values:
        groups = out.setdefault((int(v.child.id), v.on), [])  # type: ignore[arg-type]
        kind = FIELD[v.kind]
        target = next((g for g in groups if all(FIELD[x.kind] != kind for x in g)), None)
        if target is None:
            groups.append([v])
        else:
            target.append(v)
    return [g for key in sorted(out) for g in out[key]]


def _entry(group: list[_Value]) -> MeasurementCreate:
    values: dict[str, Any] = {FIELD[v.kind]: v.value for v in group}
    lengths = [v.kind for v in group if v.kind in ("length", "height")]
    if lengths:
        values["measure"] = "L" if lengths[0] == "length" else "H"
    return MeasurementCreate(measured_on=group[0].on, source=Source.clinic, **values)


def _present(session: Session, child: Child, entry: MeasurementCreate) -> bool:
    """A measurement of the child that day, not withdrawn, holds every value of ``entry``."""
    rows = session.execute(
        select(Measurement).where(
            Measurement.child_id == child.id,
            Measurement.measured_on == entry.measured_on,
            col(Measurement.withdrawn_at).is_(None),
        )
    ).scalars()
    given = {f: getattr(entry, f) for f in ("weight_kg", "length_cm", "head_cm")}
    for row in rows:
        if entry.measure is not None and row.measure != entry.measure:
            continue
        if all(
            v is None or (getattr(row, f) is not None and abs(getattr(row, f) - v) < TOLERANCE)
            for f, v in given.items()
        ):
            return True
    return False


def _reason(error: Exception) -> str:
    if isinstance(error, RecordError) and has(error.message_id):
        try:
            return text(error.message_id, "en", **error.params)
        except (KeyError, IndexError):
            return error.detail
    return str(error)


def import_fhir(
    session: Session,
    path: Path,
    *,
    clock: Clock,
    systems: tuple[str, ...] = (),
) -> ImportSummary:
    """Import ``path`` (a file or a folder of ``.json``/``.ndjson`` files) into ``session``
    and commit (see the module docstring); :class:`FhirImportError` stores nothing."""
    reader = _Reader(session, (identifier_system(), *systems), clock)
    for file, where, resource in _read(path):
        reader.add(file, where, resource)
    reader.finish()
    if reader.refusals:
        session.rollback()
        raise FhirImportError(reader.refusals)
    at = Moment(clock.now(), clock.today())
    summary = reader.summary
    for group in _groups(reader.values):
        child = group[0].child
        entry = _entry(group)
        if _present(session, child, entry):
            summary.already_present += 1
            continue
        try:
            with session.begin_nested():
                record_measurement(session, child, entry, by=Author(Source.clinic), at=at,
                                   confirm=True)  # fmt: skip
        except (RecordError, ScreeningInputError) as error:
            names = ", ".join(v.where for v in group)
            reader.refuse(group[0].file, names, _reason(error))
            continue
        summary.stored += 1
        summary.children.add(int(child.id))  # type: ignore[arg-type]
    if reader.refusals:
        session.rollback()
        raise FhirImportError(reader.refusals)
    audit.record(session, actor_id=None, role="cli", action="import.fhir",
                 object_kind="measurements", object_ref=summary.stored, at=at.now)  # fmt: skip
    session.commit()
    return summary
