"""``childhealth export-fhir --area CODE --out DIR`` and ``childhealth import-fhir FILE|DIR``.

The export writes the FHIR bulk-data layout (``Patient.ndjson``, ``Observation.ndjson``, …, one
resource a line) of every child living in the area or below, reading children in batches; it is
the operator's view (names, guardians' phones, flags, referrals) and is recorded in the access
audit (``export.fhir``, role ``cli``, the area code). The import reads a Bundle or NDJSON of
Patients and measurement Observations (``health.fhir.importer``) all-or-nothing: each refusal
is printed as ``file: resource: reason`` on stderr and nothing is stored.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from api.commands.errors import fail


def export_fhir(
    area: Annotated[str, typer.Option(help="Area code: its children and those below it.")],
    out: Annotated[Path, typer.Option(help="Folder for the .ndjson files (created).")],
    lang: Annotated[str, typer.Option(help="Language of texts: zh-CN or en.")] = "zh-CN",
) -> None:
    """Write an area's children as FHIR R4B NDJSON, one file per resource type."""
    from sqlmodel import Session

    from api.commands.clock import command_clock
    from health.db import DatabaseConfigError, get_engine
    from health.fhir import FULL, UnknownAreaError, export_area
    from health.services import audit

    if lang not in ("zh-CN", "en"):
        fail(f"--lang must be zh-CN or en (got {lang!r})")
    clock = command_clock()
    started = time.perf_counter()
    try:
        with Session(get_engine()) as session:
            summary = export_area(session, area, out, FULL, lang=lang)
            audit.record(session, actor_id=None, role="cli", action="export.fhir",
                         object_kind="area", object_ref=area, at=clock.now())  # fmt: skip
            session.commit()
    except UnknownAreaError:
        fail(f"unknown area {area!r}")
    except DatabaseConfigError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot write to {out}: {error.strerror or error}")
    elapsed = time.perf_counter() - started
    for name, size in sorted(summary.bytes.items()):
        kind = name.removesuffix(".ndjson")
        typer.echo(f"{name}: {summary.resources[kind]} resources, {size} bytes")
    typer.echo(f"{summary.children} children in {elapsed:.1f} s")


def import_fhir(
    source: Annotated[
        Path, typer.Argument(help="A Bundle (.json), an NDJSON file, or a folder of them.")
    ],
    system: Annotated[
        list[str] | None,
        typer.Option(help="Another identifier system whose values are our child codes."),
    ] = None,
) -> None:
    """Import measurements from FHIR Patients and Observations (all-or-nothing)."""
    from sqlmodel import Session

    from api.commands.clock import command_clock
    from health.db import DatabaseConfigError, get_engine
    from health.fhir.importer import FhirImportError
    from health.fhir.importer import import_fhir as load

    if not source.exists():
        fail(f"{source} does not exist")
    try:
        with Session(get_engine()) as session:
            summary = load(session, source, clock=command_clock(), systems=tuple(system or ()))
    except FhirImportError as error:
        for refusal in error.refusals:
            typer.echo(f"refused: {refusal}", err=True)
        fail(f"nothing imported: {len(error.refusals)} refusal(s)")
    except DatabaseConfigError as error:
        fail(str(error))
    typer.echo(
        f"{summary.resources} resources read, {summary.skipped} skipped; "
        f"{summary.stored} measurements stored for {len(summary.children)} children, "
        f"{summary.already_present} already present"
    )


def register(app: typer.Typer) -> None:
    """Attach the ``export-fhir`` and ``import-fhir`` commands."""
    app.command("export-fhir")(export_fhir)
    app.command("import-fhir")(import_fhir)
