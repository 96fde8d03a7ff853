"""FHIR R4B: the child's Bundle by role (validated with ``fhir.resources``), the audit of its
reads, the area's NDJSON layout, and the import (round trip, refusals, idempotence)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from litestar.testing import TestClient
from sqlmodel import select

from health.clock import Clock
from health.fhir import FULL, child_bundle, for_role, identifier_system
from health.fhir.importer import FhirImportError, import_fhir
from health.models import AuditEntry, Child, FlagRecord, Measurement
from tests.api.api_world import TODAY, World, copy_of, login, serve, world_db
from tests.api.fhir_world import NOW, PHONE, VISITS, enrich

ZONE = "Asia/Shanghai"


def _cli(args: list[str], db_file: Path) -> Any:
    """``childhealth ARGS`` on the world's database (a fresh process-wide engine)."""
    from typer.testing import CliRunner

    from api.cli import app
    from health.db import get_engine

    env = {"CHILDHEALTH_DATABASE_URL": f"sqlite:///{db_file}", "CHILDHEALTH_TIMEZONE": ZONE}
    get_engine.cache_clear()
    try:
        return CliRunner().invoke(app, args, env=env)
    finally:
        get_engine().dispose()
        get_engine.cache_clear()


@pytest.fixture
def rich(world: World) -> World:
    enrich(world)
    return world


def _clock() -> Clock:
    return Clock(zone=ZoneInfo(ZONE), pinned_today=TODAY)


def _kinds(bundle: dict[str, Any]) -> Counter[str]:
    return Counter(e["resource"]["resourceType"] for e in bundle["entry"])


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _get(client: TestClient, user: str, child_id: int, lang: str = "en") -> Any:
    login(client, user)
    return client.get(f"/api/v1/children/{child_id}/fhir", headers={"Accept-Language": lang})


def test_doctor_bundle_is_valid_r4b_with_codes_and_values(rich: World) -> None:
    """The doctor's Bundle validates; the Patient carries the code, name and phone; the last
    visit's weight is LOINC 29463-7 5.3 kg and its weight-for-age z the stored -3.36 with
    SNOMED 1153593003, WHO 2006 as method, the rule set; BMI 5.3 / 0.61² = 14.24 kg/m²."""
    with serve(f"sqlite:///{rich.db_file}") as client:
        response = _get(client, "doctor1", rich.own_child)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    Bundle.model_validate(bundle)
    (patient,) = _resources(bundle, "Patient")
    assert patient["identifier"][0] == {
        "use": "usual",
        "system": identifier_system(),
        "value": "K-OWN",
    }
    assert patient["name"][0]["text"] == "Xiaoming"
    assert patient["contact"][0]["telecom"][0]["value"] == PHONE
    assert patient["gender"] == "male" and patient["birthDate"] == "2025-12-01"
    obs = {o["id"]: o for o in _resources(bundle, "Observation")}
    last = [o for o in obs.values() if o["effectiveDateTime"] == "2026-05-20"]
    weight = next(o for o in last if o["code"]["coding"][0]["code"] == "29463-7")
    assert weight["valueQuantity"] == {
        "value": 5.3,
        "unit": "kg",
        "system": "http://unitsofmeasure.org",
        "code": "kg",
    }
    mid = weight["id"].removesuffix("-weight")
    z = obs[f"{mid}-wfa-z"]
    assert z["code"]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "1153593003",
        "display": "Weight for age z-score",
    }
    assert z["valueQuantity"]["value"] == -3.36
    assert z["method"]["coding"][0]["code"] == "who2006"
    assert z["derivedFrom"] == [{"reference": f"Observation/{mid}-weight"}]
    assert any(e["valueString"].startswith("who-anthro+") for e in z["extension"][1:])
    assert obs[f"{mid}-length"]["code"]["coding"][0]["code"] == "8306-3"
    assert obs[f"{mid}-lhfa-z"]["code"]["coding"][0]["code"] == "1153590000"
    assert obs[f"{mid}-bmi"]["valueQuantity"]["value"] == round(5.3 / 0.61**2, 2) == 14.24
    # weight-for-length (lying) and MUAC have no confirmed SNOMED concept: the local code only
    assert [c["code"] for c in obs[f"{mid}-wflh-z"]["code"]["coding"]] == ["wflh-z"]
    with world_db(rich) as db:
        stored = db.exec(select(Measurement).where(Measurement.measured_on == VISITS[2][0])).one()
        assert z["valueQuantity"]["value"] == stored.z_wfa
    flags = {f["code"]["coding"][0]["code"] for f in _resources(bundle, "Flag")}
    assert {"GROWTH_SEVERE_UNDERWEIGHT", "DEV_MILESTONE_NOT_YET"} <= flags
    assert _kinds(bundle)["QuestionnaireResponse"] == 2
    assert _kinds(bundle)["Questionnaire"] == 2


def test_each_role_gets_what_it_may(rich: World) -> None:
    """Parent: no phone, no flags, their answers; facility: name, measurements, no phone, no
    answers, no flags; bureau: 403; another clinic's doctor: 404."""
    with serve(f"sqlite:///{rich.db_file}") as client:
        parent = _get(client, "parent1", rich.own_child).json()
        facility = _get(client, "facility1", rich.own_child).json()
        bureau = _get(client, "bureau_p", rich.own_child)
        stranger = _get(client, "doctor2", rich.own_child)
    for bundle in (parent, facility):
        Bundle.model_validate(bundle)
        (patient,) = _resources(bundle, "Patient")
        assert "contact" not in patient and PHONE not in json.dumps(bundle)
        assert patient["name"][0]["text"] == "Xiaoming"
        assert _kinds(bundle)["Observation"] == 39
        assert _kinds(bundle)["Flag"] == 0 and _kinds(bundle)["ServiceRequest"] == 0
    assert _kinds(parent)["QuestionnaireResponse"] == 2
    assert _kinds(facility)["QuestionnaireResponse"] == 0
    assert bureau.status_code == 403
    assert stranger.status_code == 404
    assert for_role("bureau") is None


def test_reads_are_audited_but_a_parents(rich: World) -> None:
    """A doctor's read is a ``child.read`` of the child's id; the parent's own is not."""
    with serve(f"sqlite:///{rich.db_file}") as client:
        assert _get(client, "parent1", rich.own_child).status_code == 200
        assert _get(client, "doctor1", rich.own_child).status_code == 200
    with world_db(rich) as db:
        reads = db.exec(select(AuditEntry).where(AuditEntry.action == "child.read")).all()
        seen = [(r.role, r.object_kind, r.object_ref) for r in reads]
    assert seen == [("doctor", "child", str(rich.own_child))]


def test_referral_is_a_service_request(rich: World) -> None:
    """The other child's case closed as referred: SNOMED 3457005, the clinic, the note."""
    with serve(f"sqlite:///{rich.db_file}") as client:
        bundle = _get(client, "doctor2", rich.other_child, "zh-CN").json()
    Bundle.model_validate(bundle)
    (request,) = _resources(bundle, "ServiceRequest")
    assert request["code"]["coding"][0]["code"] == "3457005"
    assert request["requester"] == {"display": "Clinic 2"}
    assert request["note"] == [{"text": "County maternal and child health hospital"}]
    assert request["authoredOn"] == "2026-06-15T02:00:00Z"
    assert "GROWTH_SEVERE_WASTING" in {r["coding"][0]["code"] for r in request["reasonCode"]}


def test_area_export_writes_ndjson_per_resource_type(rich: World, tmp_path: Path) -> None:
    """Province P: one Patient line per child (3), each line one valid resource of its file's
    type, Questionnaires once; the command records ``export.fhir``."""
    out = tmp_path / "out"
    result = _cli(["export-fhir", "--area", "P", "--out", str(out)], rich.db_file)
    assert result.exit_code == 0, result.output
    assert "3 children" in result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "Flag.ndjson",
        "Observation.ndjson",
        "Patient.ndjson",
        "Questionnaire.ndjson",
        "QuestionnaireResponse.ndjson",
        "ServiceRequest.ndjson",
    ]
    for file in out.iterdir():
        kind = file.stem
        lines = file.read_text(encoding="utf-8").splitlines()
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == kind
            get_fhir_model_class(kind).model_validate(resource)
        if kind == "Patient":
            assert sorted(json.loads(x)["identifier"][0]["value"] for x in lines) == [
                "K-OTHER",
                "K-OWN",
                "K-T1",
            ]
        if kind == "Questionnaire":
            assert len(lines) == 2
    with world_db(rich) as db:
        (entry,) = db.exec(select(AuditEntry).where(AuditEntry.action == "export.fhir")).all()
        assert (entry.role, entry.object_kind, entry.object_ref) == ("cli", "area", "P")
    bad = _cli(["export-fhir", "--area", "NOPE", "--out", str(out)], rich.db_file)
    assert bad.exit_code == 2 and "unknown area 'NOPE'" in bad.output


def _measurement_state(world: World, child_id: int) -> tuple[list[tuple], list[tuple]]:
    with world_db(world) as db:
        rows = db.exec(
            select(Measurement).where(Measurement.child_id == child_id).order_by(Measurement.id)
        ).all()
        flags = db.exec(
            select(FlagRecord).where(
                FlagRecord.child_id == child_id, FlagRecord.source_kind == "measurement"
            )
        ).all()
        z = [
            (
                m.measured_on,
                m.weight_kg,
                m.length_cm,
                m.measure,
                m.head_cm,
                m.z_wfa,
                m.z_lhfa,
                m.z_wflh,
                m.z_bmi,
                m.z_hcfa,
                m.status,
            )
            for m in rows
        ]
        found = sorted(
            (f.code, f.severity, f.resolved_at is None, json.dumps(f.evidence, sort_keys=True))
            for f in flags
        )
    return z, found


def test_round_trip_keeps_z_scores_and_flags(
    rich: World, template_world: World, tmp_path: Path
) -> None:
    """The parent's child exported by the doctor and imported into a copy of the world with the
    same children and none of these measurements: the same values, z-scores and flags; a second
    import stores nothing (all three already present)."""
    with world_db(rich) as db:
        child = db.get(Child, rich.own_child)
        bundle = child_bundle(db, child, FULL, now=NOW, lang="en")  # type: ignore[arg-type]
    Bundle.model_validate(bundle)
    file = tmp_path / "bundle.json"
    file.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    empty = copy_of(template_world, tmp_path / "empty.db")
    assert _measurement_state(empty, empty.own_child) == ([], [])
    with world_db(empty) as db:
        summary = import_fhir(db, file, clock=_clock())
    assert (summary.stored, summary.already_present) == (3, 0)
    # 8 values imported (3 weights, 3 lengths, 2 heads); the Patient matched; the rest skipped
    assert summary.resources == len(bundle["entry"])
    assert summary.skipped == len(bundle["entry"]) - 1 - 8
    before, after = (
        _measurement_state(rich, rich.own_child),
        _measurement_state(empty, empty.own_child),
    )
    assert after == before
    assert [z[5] for z in after[0]] == [-0.78, -1.05, -3.36]
    assert ("GROWTH_SEVERE_UNDERWEIGHT", "refer", True) in [f[:3] for f in after[1]]
    with world_db(empty) as db:
        again = import_fhir(db, file, clock=_clock())
        audits = db.exec(select(AuditEntry).where(AuditEntry.action == "import.fhir")).all()
        assert [a.object_ref for a in audits] == ["3", "0"]
    assert (again.stored, again.already_present) == (0, 3)
    assert _measurement_state(empty, empty.own_child) == after


def _line(resource: dict[str, Any]) -> str:
    return json.dumps(resource)


def test_refusals_name_file_resource_and_reason_and_store_nothing(
    world: World, tmp_path: Path
) -> None:
    """Six bad resources, six refusals (file, line or id, reason); the good Observation of
    the same file is not stored either."""
    system = identifier_system()
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": system, "value": "K-T1"}],
    }
    good = {
        "resourceType": "Observation",
        "id": "w1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-06-01",
        "valueQuantity": {
            "value": 12.1,
            "unit": "kg",
            "system": "http://unitsofmeasure.org",
            "code": "kg",
        },
    }
    pounds = good | {"id": "w2", "valueQuantity": {"value": 26, "code": "[lb_av]"}}
    future = good | {"id": "w3", "effectiveDateTime": "2026-07-01"}
    stranger = {
        "resourceType": "Patient",
        "id": "p9",
        "identifier": [{"system": system, "value": "K-NOBODY"}],
    }
    broken = good | {"id": "w4", "status": "done"}
    typed = good | {"id": "w5", "valueQuantity": {"value": "heavy"}}
    month = good | {"id": "w6", "effectiveDateTime": "2026-05"}
    file = tmp_path / "input.ndjson"
    file.write_text(
        "\n".join(
            [
                _line(patient),
                _line(good),
                "{not json",
                _line(pounds),
                _line(stranger),
                _line(broken),
                _line(future),
                _line(typed),
                _line(month),
            ]
        )
        + "\n"
    )
    with world_db(world) as db, pytest.raises(FhirImportError) as refused:
        import_fhir(db, file, clock=_clock())
    got = {r.resource: r.reason for r in refused.value.refusals}
    assert {Path(r.file).name for r in refused.value.refusals} == {"input.ndjson"}
    assert got["line 3"] == "not JSON: Expecting property name enclosed in double quotes"
    assert got["Patient/p9 (line 5)"] == f"no child here with identifier {system}|K-NOBODY"
    assert got["Observation/w2 (line 4)"] == "needs a valueQuantity in kg, g (got [lb_av])"
    assert got["Observation/w4 (line 6)"] == "status 'done' is not an Observation status"
    assert got["line 8"].startswith("not valid FHIR R4B: valueQuantity.value")
    assert got["Observation/w6 (line 9)"] == "needs effectiveDateTime (a day: YYYY-MM-DD)"
    assert len(got) == 6  # the future date is refused by the pipeline once the rest is clean
    file.write_text("\n".join([_line(patient), _line(good), _line(future)]) + "\n")
    with world_db(world) as db, pytest.raises(FhirImportError) as late:
        import_fhir(db, file, clock=_clock())
    ((where, reason),) = [(r.resource, r.reason) for r in late.value.refusals]
    assert where == "Observation/w3 (line 3)" and "2026-07-01" in reason
    with world_db(world) as db:
        assert (
            db.exec(select(Measurement).where(Measurement.child_id == world.t1_child)).all() == []
        )
        assert db.exec(select(AuditEntry).where(AuditEntry.action == "import.fhir")).all() == []


def test_import_command_reports_refusals(world: World, tmp_path: Path) -> None:
    """``import-fhir`` prints each refusal and exits 2; a good file is stored and counted;
    grams are converted (12100 g → 12.1 kg)."""
    obs = {
        "resourceType": "Observation",
        "id": "w1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "subject": {"identifier": {"system": identifier_system(), "value": "K-T1"}},
        "effectiveDateTime": "2026-06-01T09:30:00+08:00",
        "valueQuantity": {"value": 12100, "unit": "g"},
    }
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": obs}]}
    file = tmp_path / "b.json"
    file.write_text(json.dumps(bundle))
    ok = _cli(["import-fhir", str(file)], world.db_file)
    assert ok.exit_code == 0, ok.output
    assert "1 measurements stored for 1 children, 0 already present" in ok.output
    with world_db(world) as db:
        (row,) = db.exec(select(Measurement).where(Measurement.child_id == world.t1_child)).all()
        assert (row.weight_kg, row.measured_on, row.source) == (12.1, dt.date(2026, 6, 1), "clinic")
    obs["subject"] = {"reference": "Patient/missing"}
    file.write_text(json.dumps(bundle | {"entry": [{"resource": obs}]}))
    bad = _cli(["import-fhir", str(file)], world.db_file)
    assert bad.exit_code == 2
    assert f"refused: {file}: Observation/w1 (entry[0]): subject Patient/missing" in bad.output


def test_identifier_system_of_the_deployment() -> None:
    """``CHILDHEALTH_FHIR_SYSTEM`` first, then the public address, then the project's URN."""
    assert identifier_system({"CHILDHEALTH_FHIR_SYSTEM": "urn:oid:2.16.156.1"}) == (
        "urn:oid:2.16.156.1"
    )
    assert identifier_system({"CHILDHEALTH_PUBLIC_URL": "https://ch.example.cn/"}) == (
        "https://ch.example.cn/fhir/sid/child-code"
    )
    assert identifier_system({}) == "urn:childhealth:fhir:sid:child-code"
