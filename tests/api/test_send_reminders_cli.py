"""``childhealth send-reminders`` on the API world (issue 14, 3): on 2026-06-15 parent1's child
(born 2025-12-01) has its 6-month check due (from 2026-05-17) and parent2's child (born
2025-10-01) its 8-month check (window 2026-05-17 to 2026-07-01): two reminders, one per family,
sent by the file sender at 10:00 local; a second pass makes and sends nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from health import db
from tests.api.api_world import World


@pytest.fixture
def outbox_file(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    out = tmp_path / "sent.jsonl"
    monkeypatch.setenv(db.ENV_VAR, f"sqlite:///{world.db_file}")
    monkeypatch.setenv("CHILDHEALTH_TIMEZONE", "Asia/Shanghai")
    monkeypatch.setenv("CHILDHEALTH_NOTIFY_FILE", str(out))
    monkeypatch.delenv("CHILDHEALTH_NOTIFY_SENDER", raising=False)
    monkeypatch.delenv("CHILDHEALTH_QUIET_HOURS", raising=False)
    db.get_engine.cache_clear()
    yield out
    db.get_engine().dispose()
    db.get_engine.cache_clear()


def test_send_reminders_makes_and_sends_once(outbox_file: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["send-reminders", "--on", "2026-06-15", "--at", "10:00"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == (
        "reminders made: 2 for 2 families, removed: 0; sent: 2 (file), failed: 0, "
        "moved to a later day: 0"
    )
    lines = [json.loads(line) for line in outbox_file.read_text(encoding="utf-8").splitlines()]
    assert [line["text"] for line in lines] == [
        "孩子有一项儿童保健待办，请打开儿童保健服务查看。"
    ] * 2
    again = runner.invoke(app, ["send-reminders", "--on", "2026-06-15", "--at", "10:15"])
    assert again.output.strip() == (
        "reminders made: 0 for 0 families, removed: 0; sent: 0 (file), failed: 0, "
        "moved to a later day: 0"
    )
    assert len(outbox_file.read_text(encoding="utf-8").splitlines()) == 2


def test_send_reminders_in_quiet_hours_makes_but_does_not_send(outbox_file: Path) -> None:
    out = CliRunner().invoke(app, ["send-reminders", "--on", "2026-06-15", "--at", "21:00"])
    assert out.exit_code == 0, out.output
    assert "reminders made: 2 for 2 families" in out.output and "sent: 0 (file)" in out.output
    assert not outbox_file.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sender", "no.such.module:Sender"], "error: CHILDHEALTH_NOTIFY_SENDER: cannot load"),
        (["--on", "2026-13-01"], "error: --on must be a date YYYY-MM-DD, not '2026-13-01'"),
        (["--at", "25:00"], "error: --at must be a local time HH:MM, not '25:00'"),
    ],
)
def test_send_reminders_bad_input_is_one_line(
    outbox_file: Path, args: list[str], message: str
) -> None:
    out = CliRunner().invoke(app, ["send-reminders", *args])
    assert out.exit_code == 2
    assert out.output.startswith(message) and "Traceback" not in out.output


def test_the_demo_runs_one_pass_at_start_up(outbox_file: Path) -> None:
    """``childhealth serve --demo`` prints this line after the accounts (10:00 local)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from api.commands.reminders import demo_pass
    from health.clock import Clock

    instant = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)
    clock = Clock(zone=ZoneInfo("Asia/Shanghai"), source=lambda: instant)
    line = demo_pass(db.get_engine(), clock)
    assert line == "Reminders for the demo families: 2 made, 2 sent (file)"
    assert len(outbox_file.read_text(encoding="utf-8").splitlines()) == 2
