"""`childhealth import` and `childhealth coverage` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel
from typer.testing import CliRunner

from api.cli import app
from health import db
from tests.health.test_health_import import FOLDER, write


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """``CHILDHEALTH_DATABASE_URL`` for the commands: an SQLite file, then the PostgreSQL test
    schema (emptied first; skipped with the reason when PostgreSQL is not reachable)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cli.db'}"
    else:
        pg = request.getfixturevalue("pg_engine")
        with pg.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        url = pg.info_url
    monkeypatch.setenv(db.ENV_VAR, url)
    db.get_engine.cache_clear()
    yield url
    db.get_engine().dispose()
    db.get_engine.cache_clear()


def test_import_and_coverage_csv(database: str, tmp_path: Path) -> None:
    runner = CliRunner()
    folder = write(tmp_path / "in", FOLDER)
    first = runner.invoke(app, ["import", str(folder)])
    assert first.exit_code == 0, first.output
    assert "checks.csv: 11 rows read, 11 added or changed" in first.output
    second = runner.invoke(app, ["import", str(folder)])
    assert "checks.csv: 11 rows read, 0 added or changed" in second.output
    out = runner.invoke(app, ["coverage", "--year", "2024", "--level", "province"])
    assert out.exit_code == 0
    assert out.output.splitlines() == [
        "area_code,area_name,indicator,numerator,denominator,rate,ci_low,ci_high,target,"
        "meets_target,gap",
        "P,Province,infant_health_management,2,4,0.5000,0.1500,0.8500,0.95,false,2",
        "P,Province,child_health_management_0_6,3,5,0.6000,0.2307,0.8824,0.95,false,2",
        "P,Province,newborn_visit,1,3,0.3333,0.0615,0.7923,0.95,false,2",
    ]
    js = runner.invoke(app, ["coverage", "--year", "2024", "--by", "clinic", "--format", "json"])
    rows = json.loads(js.output)
    assert [(r["area_code"], r["indicator"], r["numerator"], r["denominator"]) for r in rows][
        :2
    ] == [
        ("CL1", "infant_health_management", 2, 3),
        ("CL1", "child_health_management_0_6", 3, 4),
    ]


def test_import_error_is_one_line(database: str, tmp_path: Path) -> None:
    files = dict(FOLDER)
    files["children.csv"] = files["children.csv"].replace("c12,M,2024-05-05", "c12,M,2024-02-30")
    result = CliRunner().invoke(app, ["import", str(write(tmp_path / "bad", files))])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: children.csv, line 7, column 'birth_date': '2024-02-30' is not a date (YYYY-MM-DD)"
    )


def test_coverage_rejects_unknown_level(database: str) -> None:
    result = CliRunner().invoke(app, ["coverage", "--year", "2024", "--level", "village"])
    assert result.exit_code == 2
    assert "--level must be one of: province, city, county, township, all" in result.output


def test_tallies_prepares_the_days_sums(database: str, tmp_path: Path) -> None:
    import datetime as dt

    from sqlmodel import Session, select

    from health.models import Tally

    runner = CliRunner()
    loaded = runner.invoke(app, ["import", str(write(tmp_path / "in", FOLDER))])
    assert loaded.exit_code == 0 and "dashboard sums: " in loaded.output  # today's
    out = runner.invoke(app, ["tallies", "--on", "2024-05-10"])
    assert out.exit_code == 0, out.output
    # this year and the last four quarters (2023 Q3 … 2024 Q2, the last counted to 10 May),
    # this year's screens, the newborn visits of 2023 and 2024
    assert out.output.splitlines()[-1].startswith("8 kept sums up to date in ")
    assert "coverage: 2024-04-01 to 2024-05-10" in out.output
    with Session(db.get_engine()) as s:  # (the import prepared today's, 8 more)
        kept = s.exec(select(Tally.kind, Tally.start, Tally.end)).all()
    assert ("newborn_months", dt.date(2023, 1, 1), dt.date(2023, 12, 31)) in kept
    assert ("coverage", dt.date(2024, 1, 1), dt.date(2024, 5, 10)) in kept
    assert ("screens", dt.date(2024, 1, 1), dt.date(2024, 5, 10)) in kept
    again = runner.invoke(app, ["tallies", "--on", "2024-05-10"])  # nothing new to compute
    assert again.exit_code == 0 and "8 kept sums" in again.output
    bad = runner.invoke(app, ["tallies", "--on", "10 May"])
    assert bad.exit_code != 0 and "--on must be a date" in bad.output
