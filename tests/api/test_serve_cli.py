"""``childhealth serve``: refuses what would be unsafe before starting anything."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app


def test_demo_only_binds_to_loopback() -> None:
    result = CliRunner().invoke(app, ["serve", "--demo", "--host", "0.0.0.0"])
    assert result.exit_code != 0
    assert "loopback" in result.output


def test_several_workers_need_a_shared_secret(monkeypatch) -> None:
    monkeypatch.delenv("CHILDHEALTH_SECRET_KEY", raising=False)
    result = CliRunner().invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code != 0
    assert "CHILDHEALTH_SECRET_KEY" in result.output
