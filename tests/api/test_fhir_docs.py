"""The example Bundle of ``docs/fhir.md`` is what the service gives for the API world's other
child (the clinic's view, English texts) and is valid FHIR R4B.

Regenerate the example with ``python -m tests.api.test_fhir_docs`` (prints the JSON)."""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from health.fhir import FULL, child_bundle
from health.fhir.codes import LOCAL
from health.models import Child
from tests.api.api_world import World, build, world_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "fhir.md"
STAMP = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)
SYSTEM = f"{LOCAL}:sid:child-code"


def example_bundle(world: World) -> dict[str, Any]:
    """The other child's Bundle as a doctor of its clinic gets it (English)."""
    with world_db(world) as db:
        child = db.get(Child, world.other_child)
        return child_bundle(db, child, FULL, now=STAMP, lang="en", system=SYSTEM)  # type: ignore[arg-type]


def documented() -> dict[str, Any]:
    """The JSON block under the heading "Example Bundle" of docs/fhir.md."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"## Example Bundle.*?```json\n(.*?)\n```", text, flags=re.S)
    assert found, "docs/fhir.md has an Example Bundle section with a json block"
    return json.loads(found.group(1))


def test_documented_example_is_valid_and_current(world: World) -> None:
    """Valid R4B, and the same as the code gives today (no stale example)."""
    example = documented()
    Bundle.model_validate(example)
    assert example == example_bundle(world)
    kinds = [e["resource"]["resourceType"] for e in example["entry"]]
    assert kinds.count("Patient") == 1 and kinds.count("Flag") == 3


if __name__ == "__main__":
    print(json.dumps(example_bundle(build(Path(tempfile.mkdtemp()) / "w.db")), indent=1,
                     ensure_ascii=False))  # fmt: skip
