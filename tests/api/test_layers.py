"""One truth, one place: the web layer renders what ``health`` computed. No module under
``api/`` imports the growth engine's computation or a screening rule; it may use the engine's
constants (``growth_charts.age``), the chart figures (``api/services/charts.py``, a rendering
helper), and screening's data and words (reference files, messages, the flag vocabulary,
errors). The command line (``api/commands/``) is the front end of the batch tools (z-scores,
prevalence, quality) and calls them by design."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[2] / "api"
ALLOWED = {
    "growth_charts.age",
    "screening.reference",
    "screening.messages",
    "screening.flags",
    "screening.errors",
}
EXEMPT = {"services/charts.py"}
MODULES = sorted(
    p for p in API.rglob("*.py")
    if "commands" not in p.parts and str(p.relative_to(API)) not in EXEMPT
)  # fmt: skip


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a import b`` counts ``a`` and ``a.b``)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(API)))
def test_the_web_layer_computes_no_rule(path: Path) -> None:
    lower = {
        name for name in imported(path)
        if name.split(".")[0] in ("growth_charts", "screening")
    }  # fmt: skip
    wrong = {
        name for name in lower
        if not any(name == ok or name.startswith(ok + ".") for ok in ALLOWED)
        and name not in ("growth_charts", "screening")
    }  # fmt: skip
    # `from screening import reference` names the module itself: allowed like its dotted form
    assert sorted(wrong) == [], f"{path.relative_to(API)} imports rules: {sorted(wrong)}"
