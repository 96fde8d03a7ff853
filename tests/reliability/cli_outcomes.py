"""Helpers for the reliability tests: running ``childhealth`` in-process or as the console
script, reading its one-line error, and CSV-building with known physical line numbers (a plain
module rather than a conftest, so its name cannot clash with another test folder's conftest)."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app

ERROR_LINE = re.compile(
    r"^error: (?P<file>.+?), line (?P<line>\d+)(?:, column '(?P<column>[^']*)')?: (?P<reason>.+)$"
)
CONSOLE_SCRIPT = Path(sys.executable).with_name("childhealth")
LINE_BREAK = re.compile(rb"\r\n|\r|\n")


@dataclass
class Outcome:
    """What one ``childhealth`` run did: exit status, standard output and standard error."""

    code: int
    stdout: str
    stderr: str
    crashed: BaseException | None = None  # an exception other than the normal exit


def invoke(*args: str) -> Outcome:
    """Run ``childhealth ARGS`` in-process through typer's CliRunner."""
    result = CliRunner().invoke(app, list(args))
    crashed = result.exception if not isinstance(result.exception, SystemExit) else None
    return Outcome(result.exit_code, result.stdout, result.stderr, crashed)


def run_script(*args: str, env: dict[str, str] | None = None) -> Outcome:
    """Run ``childhealth ARGS`` as the installed console script in a child process."""
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), *args], capture_output=True, text=True, timeout=120, env=env
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


@dataclass
class Reported:
    """The parts of an ``error: FILE, line N[, column 'C']: reason`` line."""

    file: str
    line: int
    column: str | None
    reason: str


def one_error(outcome: Outcome) -> Reported:
    """Assert ``outcome`` is a clean failure with exactly one located error line; return it."""
    assert outcome.crashed is None, f"crashed: {outcome.crashed!r}"
    assert "Traceback" not in outcome.stderr + outcome.stdout
    assert outcome.code != 0
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, outcome.stderr
    match = ERROR_LINE.match(lines[0])
    assert match, lines[0]
    return Reported(match["file"], int(match["line"]), match["column"], match["reason"])


def quote(cell: str) -> str:
    """A CSV cell, quoted (quotes doubled) when it holds a separator, quote or line break."""
    if any(c in cell for c in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def line_breaks(data: bytes) -> int:
    """Physical line breaks in ``data``: LF, CRLF and a bare CR each count once."""
    return len(LINE_BREAK.findall(data))
